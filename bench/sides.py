"""The measured side of the benchmark: one pipeline on one corpus, in its own process, so peak
RSS and warm-up belong to that pipeline alone. ``bench.run`` starts these as

    python -m bench.sides criterion|baseline|onnx|latency --corpus DIR --cases PATH --work DIR --out FILE.json

and reads back the JSON they write: ingest figures, raw-encoder figures, and per gold case the
distinct retrieved document ids in rank order and the verdict (Criterion); ``latency`` times both
pipelines over the indexes the other two left in ``--work``; ``onnx`` compares the encoders.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")


def peak_rss_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)  # Linux: KiB


def dir_bytes(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def sample(items: list, n: int) -> list:
    """Every k-th item, at most ``n`` of them (all when n <= 0): a fixed, spread-out sample."""
    if n <= 0 or len(items) <= n:
        return list(items)
    step = len(items) / n
    return [items[int(i * step)] for i in range(n)]


def raw_encoder(embeddings, texts: list[str]) -> dict:
    started = time.perf_counter()
    embeddings.embed_documents(texts)
    seconds = time.perf_counter() - started
    return {"texts": len(texts), "chars": sum(map(len, texts)), "seconds": round(seconds, 5)}


def timed_model(build):
    started = time.perf_counter()
    model = build()
    model.embed_query("warm up")  # first call allocates; not part of any measurement
    return model, round(time.perf_counter() - started, 3)


# --- Criterion ----------------------------------------------------------------------------------


def criterion_ingest(folder: Path, settings, embeddings) -> tuple[dict, list[str]]:
    from app.engine.retrieve.index import current_generation, read_chunks
    from ingest.indexing import embed_text
    from ingest.sync import sync

    report = sync([folder], settings, embeddings=embeddings)
    chunks = read_chunks(current_generation(settings.index_path))
    texts = [embed_text(c) for c in chunks]
    return {
        "files": len(report.added), "failed": report.failed, "chunks": report.chunks_total,
        "pages": report.pages_read, "chars": sum(map(len, texts)), "seconds": round(report.seconds, 3),
        "embed_seconds": round(report.embed_seconds, 3), "index_bytes": dir_bytes(settings.index_path),
    }, texts


def _gold(case) -> dict:
    """What a result row carries of its gold case (the same on both sides)."""
    return {"id": case.id, "file": Path(case.source_file).name, "expected_sources": list(case.expected_sources),
            "expected_verdict": case.expected_verdict}


def ask_cases(engine, cases) -> list[dict]:
    """Every case once, after one warm-up question; ranked = distinct documents in rank order."""
    engine.ask(cases[0].question, patient=cases[0].patient)
    out = []
    for case in cases:
        started = time.perf_counter()
        error = None
        try:
            answer = engine.ask(case.question, patient=case.patient, **case.scope)
        except Exception as exc:  # recorded against the case; the run goes on
            answer, error = None, f"{type(exc).__name__}: {exc}"
        latency = (time.perf_counter() - started) * 1000
        ranked = [] if answer is None else list(dict.fromkeys(
            p.document_id for p in sorted(answer.retrieved, key=lambda p: p.rank)))
        out.append({
            **_gold(case), "verdict": answer.verdict if answer else "error",
            "ranked": ranked, "latency_ms": round(latency, 2), "error": error,
            "retrieval_ms": answer.timings_ms.get("retrieval") if answer else None,
        })
    return out


def run_criterion(args, embeddings_factory=None, backend: str | None = None) -> dict:
    from app.backends import make_embeddings
    from app.engine import Engine
    from app.settings import Settings
    from evals.cases import load_cases

    backend = backend or args.backend
    settings = Settings(data_dir=args.work / "criterion-index", embedding={"backend": backend})
    embeddings, load_s = timed_model(lambda: (embeddings_factory or make_embeddings)(settings))
    result: dict = {"pipeline": "criterion", "backend": backend, "model_load_s": load_s, "rss_after_load_mb": peak_rss_mb()}
    pdfs = sorted(args.corpus.rglob("*.pdf"))
    if pdfs and args.pdf_probe:
        # PDF pages/s: the PDFs alone, in a throwaway index (the full ingest below mixes formats).
        probe = args.work / "criterion-pdf-probe"
        probe_src = probe / "src"
        probe_src.mkdir(parents=True, exist_ok=True)
        for pdf in pdfs:
            (probe_src / pdf.name).symlink_to(pdf.resolve())
        pdf_settings = Settings(data_dir=probe / "data", embedding={"backend": backend})
        result["pdf_ingest"], _ = criterion_ingest(probe_src, pdf_settings, embeddings)
    result["ingest"], texts = criterion_ingest(args.corpus, settings, embeddings)
    result["rss_after_ingest_mb"] = peak_rss_mb()
    (args.work / "chunk_texts.json").write_text(json.dumps(texts))  # for the ONNX batch measure
    if args.raw_sample >= 0:
        result["raw_encoder"] = raw_encoder(embeddings, sample(texts, args.raw_sample))
    cases = load_cases(args.cases)
    engine = Engine.from_settings(settings, embeddings=embeddings)
    result["cases"] = ask_cases(engine, cases)
    result["peak_rss_mb"] = peak_rss_mb()
    return result


# --- baseline -----------------------------------------------------------------------------------


def baseline_embeddings(backend: str):
    """The baseline's embedder: HuggingFaceEmbeddings on the bundled model (LangChain's fake for
    the smoke test)."""
    from app.backends import model_path
    from app.settings import Settings
    from bench.baseline import make_baseline_embeddings

    if backend == "fake":
        from langchain_core.embeddings import DeterministicFakeEmbedding

        return DeterministicFakeEmbedding(size=384)
    return make_baseline_embeddings(model_path(Settings()))


def run_baseline(args) -> dict:
    from bench.baseline import BaselinePipeline
    from evals.cases import load_cases

    embeddings, load_s = timed_model(lambda: baseline_embeddings(args.backend))
    result: dict = {"pipeline": "baseline", "model_load_s": load_s, "rss_after_load_mb": peak_rss_mb()}
    pdfs = sorted(args.corpus.rglob("*.pdf"))
    if pdfs and args.pdf_probe:
        probe_src = args.work / "baseline-pdf-probe" / "src"
        probe_src.mkdir(parents=True, exist_ok=True)
        for pdf in pdfs:
            (probe_src / pdf.name).symlink_to(pdf.resolve())
        probe = BaselinePipeline(embeddings, args.work / "baseline-pdf-probe" / "chroma")
        result["pdf_ingest"] = vars(probe.ingest(probe_src))
    pipeline = BaselinePipeline(embeddings, args.work / "baseline-index")
    ingest = pipeline.ingest(args.corpus)
    result["ingest"] = {**vars(ingest), "index_bytes": dir_bytes(pipeline.persist_directory)}
    result["rss_after_ingest_mb"] = peak_rss_mb()
    if args.raw_sample >= 0:
        result["raw_encoder"] = raw_encoder(embeddings, sample(pipeline.texts, args.raw_sample))
    cases = load_cases(args.cases)
    pipeline.ranked_documents(cases[0].question)  # warm-up
    rows = []
    for case in cases:
        started = time.perf_counter()
        # the naive pipeline reads the question alone; a plan given in a payer field is written into it
        ranked = pipeline.ranked_documents(f"{case.question} (Plan: {case.payer})" if case.payer else case.question)
        rows.append({
            **_gold(case), "verdict": None, "ranked": ranked,
            "latency_ms": round((time.perf_counter() - started) * 1000, 2), "error": None,
        })
    result["cases"] = rows
    result["peak_rss_mb"] = peak_rss_mb()
    return result


# --- ONNX int8 ----------------------------------------------------------------------------------


def run_onnx(args) -> dict:
    """Encoder speed of torch fp32 as shipped, torch fp32 on one thread, ONNX fp32 and ONNX int8,
    interleaved round by round so load from other processes falls on all alike; then Criterion's
    gold-case run with the int8 encoder (index built with it too)."""
    import numpy as np
    import torch

    from app.backends import make_embeddings, model_path
    from app.settings import Settings
    from bench.onnx_export import FP32_FILE, INT8_FILE, OnnxEmbeddings, export

    export_dir = args.onnx_dir
    exported = export(model_path(Settings()), export_dir)
    shipped = make_embeddings(Settings())
    threads = torch.get_num_threads()
    encoders = {  # name -> (encoder, torch intra-op threads while it runs)
        f"torch fp32 (shipped, {threads} threads)": (shipped, threads),
        "torch fp32, 1 thread": (shipped, 1),
        "onnx fp32": (OnnxEmbeddings(export_dir, FP32_FILE), threads),
        "onnx int8": (OnnxEmbeddings(export_dir, INT8_FILE), threads),
    }
    from evals.cases import load_cases

    cases = load_cases(args.cases)
    questions = sample(sorted({c.question for c in cases}), args.queries)
    chunk_texts = json.loads(args.texts.read_text()) if args.texts else questions
    texts = sample(chunk_texts, args.batch_texts)
    for enc, _ in encoders.values():
        enc.embed_query("warm up")
        enc.embed_documents(texts[:8])
    single = {name: [] for name in encoders}
    batch = {name: [] for name in encoders}
    for _ in range(args.rounds):
        for name, (enc, n_threads) in encoders.items():
            torch.set_num_threads(n_threads)
            for q in questions:
                started = time.perf_counter()
                enc.embed_query(q)
                single[name].append((time.perf_counter() - started) * 1000)
            started = time.perf_counter()
            enc.embed_documents(texts)
            batch[name].append(round(len(texts) / (time.perf_counter() - started), 2))
    torch.set_num_threads(threads)
    speed = {
        name: {"single_ms_p50": round(float(np.median(single[name])), 2),
               "single_ms_p95": round(float(np.percentile(single[name], 95)), 2),
               "batch_texts_per_s": round(float(np.median(batch[name])), 2), "batch_rounds": batch[name]}
        for name in encoders
    }
    int8 = encoders["onnx int8"][0]
    encoders.clear()  # free the others before the int8 gold-case run
    del shipped
    result = run_criterion(args, embeddings_factory=lambda s: int8, backend="onnx")
    result.update({
        "pipeline": "criterion-onnx-int8", "exported_now": exported, "speed": speed, "torch_threads": threads,
        "queries": len(questions), "rounds": args.rounds, "batch_texts": len(texts),
        "export": json.loads((export_dir / "EXPORTED.json").read_text()),
    })
    return result


# --- latency, both pipelines in one process -----------------------------------------------------


def run_latency(args) -> dict:
    """Warm latency of both pipelines over the gold questions, from the indexes the two sides
    built, alternating Criterion and baseline question by question (and which goes first, round
    by round) so load from other processes falls on both alike. Per question the median of the
    rounds is kept."""
    import numpy as np

    from app.backends import make_embeddings
    from app.engine import Engine
    from app.settings import Settings
    from bench.baseline import BaselinePipeline
    from evals.cases import load_cases

    settings = Settings(data_dir=args.work / "criterion-index", embedding={"backend": args.backend})
    engine = Engine.from_settings(settings, embeddings=make_embeddings(settings))
    baseline = BaselinePipeline(baseline_embeddings(args.backend), args.work / "baseline-index").open()
    cases = load_cases(args.cases)
    for case in cases[:3]:  # warm both
        engine.ask(case.question, patient=case.patient)
        baseline.ranked_documents(case.question)
    times = {"criterion": [[] for _ in cases], "criterion_retrieval": [[] for _ in cases], "baseline": [[] for _ in cases]}

    def criterion(i, case):
        started = time.perf_counter()
        answer = engine.ask(case.question, patient=case.patient)
        times["criterion"][i].append((time.perf_counter() - started) * 1000)
        times["criterion_retrieval"][i].append(answer.timings_ms.get("retrieval", 0.0))

    def naive(i, case):
        started = time.perf_counter()
        baseline.ranked_documents(case.question)
        times["baseline"][i].append((time.perf_counter() - started) * 1000)

    for r in range(args.rounds):
        for i, case in enumerate(cases):
            first, second = (criterion, naive) if (r + i) % 2 == 0 else (naive, criterion)
            first(i, case)
            second(i, case)
    out = {"rounds": args.rounds, "questions": len(cases)}
    for name, per_case in times.items():
        medians = [float(np.median(t)) for t in per_case]
        out[name] = {"p50_ms": round(float(np.percentile(medians, 50)), 2),
                     "p95_ms": round(float(np.percentile(medians, 95)), 2),
                     "max_ms": round(max(medians), 2)}
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="one measured side of the benchmark (see bench.run)")
    parser.add_argument("side", choices=["criterion", "baseline", "onnx", "latency"])
    parser.add_argument("--corpus", type=Path, default=None)
    parser.add_argument("--cases", type=Path, required=True)
    parser.add_argument("--work", type=Path, required=True, help="scratch directory for the index")
    parser.add_argument("--out", type=Path, required=True, help="where the JSON result goes")
    parser.add_argument("--raw-sample", type=int, default=-1,
                        help="raw-encoder pass over this many chunk texts (0: all; -1: skip)")
    parser.add_argument("--pdf-probe", action="store_true", help="also time the corpus's PDFs alone (pages/s)")
    parser.add_argument("--backend", default="sentence-transformers",
                        help="Criterion's embedding backend ('fake' for the smoke test)")
    parser.add_argument("--onnx-dir", type=Path, default=None)
    parser.add_argument("--texts", type=Path, default=None, help="JSON list of chunk texts for batch throughput")
    parser.add_argument("--queries", type=int, default=32)
    parser.add_argument("--batch-texts", type=int, default=64)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)
    args.work.mkdir(parents=True, exist_ok=True)
    run = {"criterion": run_criterion, "baseline": run_baseline, "onnx": run_onnx, "latency": run_latency}[args.side]
    result = run(args)
    args.out.write_text(json.dumps(result, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
