"""A Chroma server (`chroma run`) filled with N synthetic chunks and queried by 4 worker processes.

    python -m bench.server_scale --chunks 1000000 --out bench/server-scale.md [--queries 100] [--budget 40]

Chunks: 384-dim unit vectors in three levels (256 topics; documents of 40 chunks around a topic;
chunks around their document), ~110 words from the bundled corpus's vocabulary (Zipf) plus their
document's 8 topic words, and the metadata ingest stores (``Chunk.chroma_metadata``), 14 issuers
of unequal size; added through ``HttpClient`` in batches into a cosine HNSW with the app's ef.
At each checkpoint 4 spawned processes run the app's retrieval code together, mode by mode, the
same queries back to back (query vectors made beforehand: the encoder is not timed): ``dense``
(``ChromaSearch.nearest``, 50 candidates), ``filtered`` (with the issuer ``where`` the retriever
builds), ``hybrid`` (plus the app's BM25 over every chunk, loaded in each worker, RRF-fused),
``hybrid-candidates`` (BM25 over the 50 dense candidates' texts only) and ``hybrid-fts`` (a second
server query restricted by Chroma's full-text ``where_document $contains`` on one topic word).
Baseline, same run: the same queries on an embedded ``PersistentClient`` (the app's exact search)
at the first checkpoint. Timing lives here, never in tests."""

from __future__ import annotations

import argparse
import gc
import json
import multiprocessing as mp
import os
import platform
import re
import shutil
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

for _k, _v in (("HF_HUB_OFFLINE", "1"), ("TOKENIZERS_PARALLELISM", "false"), ("ANONYMIZED_TELEMETRY", "False")):
    os.environ.setdefault(_k, _v)

import chromadb  # noqa: E402 — after the environment above
import numpy as np  # noqa: E402
import psutil  # noqa: E402

DIM, PER_DOC, TOPICS, WORDS, FETCH, LEX_K, RRF_K, WORKERS = 384, 40, 256, 110, 50, 40, 60, 4
ISSUERS = ["Aetna", "Cigna", "UnitedHealthcare", "Humana", "Anthem", "CMS", "TRICARE", "USPSTF", "Kaiser Permanente",
           "Blue Shield", "American Academy of Neurology", "American College of Radiology", "VA/DoD", "Molina"]
ISSUER_WEIGHTS = np.array([1 / (i + 1) for i in range(len(ISSUERS))]) / sum(1 / (i + 1) for i in range(len(ISSUERS)))
MODES = ("dense", "filtered", "hybrid", "hybrid-candidates", "hybrid-fts")
CHROMA = Path(sys.executable).parent / "chroma"


def unit(m: np.ndarray) -> np.ndarray:
    return (m / np.linalg.norm(m, axis=-1, keepdims=True)).astype(np.float32)


class Synthetic:
    """Row r of the corpus, the same in every run and process (seeded by topic, document, batch)."""

    def __init__(self, corpus: Path = Path("corpus")):
        words = sorted({w for f in corpus.rglob("*.md") for w in re.findall(r"[a-z]{4,14}", f.read_text().lower())})
        self.vocab = np.asarray(words if len(words) > 500 else [f"term{i}" for i in range(5000)])
        self.p = 1 / (np.arange(len(self.vocab)) + 10.0)
        self.p /= self.p.sum()
        self.topics = unit(np.random.default_rng(0).standard_normal((TOPICS, DIM)))

    def document(self, d: int) -> tuple[np.ndarray, list[str], str]:
        rng = np.random.default_rng(1_000_003 + d)
        center = unit(self.topics[d % TOPICS] + 0.8 * rng.standard_normal(DIM) / np.sqrt(DIM))
        return center, list(self.vocab[rng.integers(0, len(self.vocab), 8)]), ISSUERS[rng.choice(len(ISSUERS), p=ISSUER_WEIGHTS)]

    def rows(self, start: int, stop: int):
        from app.chunks import Chunk

        rng, docs, chunks, vectors = np.random.default_rng(start), {}, [], []
        general = self.vocab[rng.choice(len(self.vocab), size=(stop - start, WORDS), p=self.p)]
        for i, r in enumerate(range(start, stop)):
            d, page = r // PER_DOC, 1 + r % PER_DOC // 4
            center, topic, issuer = docs.setdefault(d, self.document(d))
            vectors.append(center + 0.5 * rng.standard_normal(DIM) / np.sqrt(DIM))
            words = list(general[i])
            for j, w in enumerate(topic):
                words[(j * 13 + r) % WORDS] = w
            chunks.append(Chunk(
                chunk_id=f"doc{d:07d}#{r:016x}", document_id=f"doc{d:07d}", text=" ".join(words), issuer=issuer,
                title=f"{topic[0].title()} and {topic[1]} ({issuer})", section=f"Criteria > {topic[2].title()}",
                page_start=page, page_end=page, doc_type="policy" if d % 3 else "guideline", effective_date="2025-01-01",
                source=f"synthetic/doc{d:07d}.pdf", source_sha256=f"{d:064x}", ordinal=r % PER_DOC, codes=[f"J{1000 + d % 9000}"]))
        return ([c.chunk_id for c in chunks], unit(np.asarray(vectors)), [c.text for c in chunks],
                [c.chroma_metadata() for c in chunks], [f"{c.title}\n{c.section}\n{c.text}\n{c.codes[0]}" for c in chunks])

    def queries(self, n: int, chunks: int, seed: int = 7) -> list[dict]:
        rng, out = np.random.default_rng(seed), []
        for _ in range(n):
            center, topic, issuer = self.document(int(rng.integers(0, max(1, chunks // PER_DOC))))
            words = [*topic[:3], *self.vocab[rng.choice(len(self.vocab), 3, p=self.p)]]
            out.append({"text": " ".join(words), "vector": unit(center + 0.6 * rng.standard_normal(DIM) / np.sqrt(DIM)).tolist(),
                        "issuer": issuer, "rare": topic[0]})
        return out


def start_server(path: Path) -> tuple[subprocess.Popen, int]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([str(CHROMA) if CHROMA.exists() else shutil.which("chroma"), "run", "--path", str(path),
                             "--host", "127.0.0.1", "--port", str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(200):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return proc, port
        except OSError:
            time.sleep(0.3)
    proc.kill()
    raise RuntimeError("chroma server did not start within a minute")


class RSS:
    """Resident memory of a process and its children; a thread samples it every 0.5 s for the peak."""

    def __init__(self, pid: int):
        self.proc, self.peak, self.stopped = psutil.Process(pid), 0, threading.Event()
        threading.Thread(target=lambda: [self.now() for _ in iter(lambda: self.stopped.wait(0.5), True)], daemon=True).start()

    def now(self) -> int:
        try:
            rss = sum(p.memory_info().rss for p in [self.proc, *self.proc.children(recursive=True)])
        except psutil.Error:
            return 0
        self.peak = max(self.peak, rss)
        return rss


def disk_mb(path: Path) -> int:
    return round(sum(f.stat().st_blocks * 512 for f in path.rglob("*") if f.is_file()) / 1e6)


def client(store: dict):
    """An HttpClient ({'port'}) or an embedded PersistentClient ({'path'}); fresh Settings each time
    (HttpClient writes its API choice into the Settings object it is given)."""
    settings = chromadb.Settings(anonymized_telemetry=False)
    if store.get("port"):
        return chromadb.HttpClient(host="127.0.0.1", port=store["port"], settings=settings)
    return chromadb.PersistentClient(path=store["path"], settings=settings)


def fill(collection, synth: Synthetic, start: int, stop: int, batch: int, texts: list, all_ids: list) -> tuple[float, float]:
    """Add rows start:stop; returns (seconds in add, seconds making the data). Appends BM25 texts and ids."""
    adding = making = 0.0
    for lo in range(start, stop, batch):
        t0 = time.perf_counter()
        ids, vecs, docs, metas, lexical = synth.rows(lo, min(lo + batch, stop))
        texts.extend(lexical)
        all_ids.extend(ids)
        t1 = time.perf_counter()
        collection.add(ids=ids, embeddings=vecs, documents=docs, metadatas=metas)
        adding, making = adding + time.perf_counter() - t1, making + t1 - t0
    return adding, making


def fuse(*rankings: list[str]) -> list[str]:
    """Reciprocal rank fusion, as the retriever does it (k = 60), the 8 best."""
    score: dict[str, float] = {}
    for ranking in rankings:
        for rank, cid in enumerate(ranking, start=1):
            score[cid] = score.get(cid, 0.0) + 1.0 / (RRF_K + rank)
    return sorted(score, key=lambda c: (-score[c], c))[:8]


def _worker(store: dict, bm25_dir: str, queries: list[dict], barrier, results) -> None:
    from app.engine.retrieve.dense import ChromaSearch
    from app.engine.retrieve.hybrid import _chroma_where
    from app.engine.retrieve.lexical import LexicalIndex
    from app.engine.text.vocabulary import expand

    collection = client(store).get_collection(store["name"])
    dense = ChromaSearch(collection, exact=not store.get("port"))  # what make_dense_search builds for this store
    dense.warm()
    lexical = LexicalIndex.load(Path(bm25_dir), json.loads((Path(bm25_dir) / "ids.json").read_text()))

    def dense_ids(q: dict) -> list[str]:
        return [c for c, _ in dense.nearest(q["vector"], FETCH)][:LEX_K]

    def candidates(q: dict) -> list[str]:
        got = collection.query(query_embeddings=[q["vector"]], n_results=FETCH, include=["documents"])
        local = LexicalIndex.build(got["documents"][0], got["ids"][0]).search(expand(q["text"]), LEX_K)
        return fuse(got["ids"][0][:LEX_K], [c for c, _ in local])

    one = {"dense": lambda q: dense.nearest(q["vector"], FETCH),
           "filtered": lambda q: dense.nearest(q["vector"], FETCH, _chroma_where({"issuer": q["issuer"]})),
           "hybrid": lambda q: fuse(dense_ids(q), [c for c, _ in lexical.search(expand(q["text"]), LEX_K)]),
           "hybrid-candidates": candidates,
           "hybrid-fts": lambda q: fuse(dense_ids(q), collection.query(
               query_embeddings=[q["vector"]], n_results=LEX_K, include=["distances"],
               where_document={"$contains": q["rare"]})["ids"][0])}
    out = {}
    for mode in MODES:
        for q in queries[:3]:
            one[mode](q)  # warm
        barrier.wait()
        times, t0 = [], time.perf_counter()
        for q in queries:
            if time.perf_counter() - t0 > store["budget_s"]:
                break  # a slow mode stops at its time budget; the report gives how many ran
            t = time.perf_counter()
            one[mode](q)
            times.append((time.perf_counter() - t) * 1000)
        out[mode] = {"ms": times, "wall": time.perf_counter() - t0}
    results.put({**out, "rss_mb": psutil.Process().memory_info().rss / 1e6})


def measure(store: dict, bm25_dir: Path, queries: list[dict]) -> dict:
    """The modes run by WORKERS processes at once; per mode p50/p95 over every timed query, and q/s."""
    ctx = mp.get_context("spawn")
    barrier, results = ctx.Barrier(WORKERS), ctx.Queue()
    procs = [ctx.Process(target=_worker, args=(store, str(bm25_dir), queries, barrier, results)) for _ in range(WORKERS)]
    [p.start() for p in procs]
    got = [results.get(timeout=3600) for _ in procs]
    [p.join() for p in procs]
    summary = {"worker_rss_mb": round(max(g["rss_mb"] for g in got), 1)}
    for mode in MODES:
        ms = np.concatenate([g[mode]["ms"] for g in got])
        summary[mode] = {"n": len(ms), "p50": round(float(np.percentile(ms, 50)), 2),
                         "p95": round(float(np.percentile(ms, 95)), 2), "qps": round(len(ms) / max(g[mode]["wall"] for g in got), 1)}
    return summary


def build_bm25(texts: list[str], ids: list[str], out: Path) -> dict:
    """The app's BM25 over every chunk (LexicalIndex.build), saved as the app saves it."""
    from app.engine.retrieve.lexical import LexicalIndex

    gc.collect()
    before, t0 = psutil.Process().memory_info().rss, time.perf_counter()
    index = LexicalIndex.build(texts, ids)
    seconds, grown = time.perf_counter() - t0, psutil.Process().memory_info().rss - before
    index.save(out)
    (out / "ids.json").write_text(json.dumps(ids))
    return {"build_s": round(seconds, 1), "disk_mb": disk_mb(out), "build_rss_growth_mb": round(grown / 1e6)}


def run(chunks: int, n_queries: int, work: Path, budget_s: float, report=None) -> dict:
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    synth, marks, started = Synthetic(), [*(m for m in (100_000, 300_000, 600_000) if m < chunks), chunks], time.time()
    queries = synth.queries(n_queries, marks[0])
    cpu = next((ln.split(":", 1)[1].strip() for ln in Path("/proc/cpuinfo").read_text().splitlines()
                if ln.startswith("model name")), platform.processor())
    result = {"machine": {"cpu": cpu, "nproc": os.cpu_count(), "usable": len(os.sched_getaffinity(0)),
                          "ram_gb": round(psutil.virtual_memory().total / 2**30, 1), "kernel": platform.release(),
                          "python": platform.python_version(), "chromadb": chromadb.__version__,
                          "load": [round(x, 1) for x in os.getloadavg()]},
              "chunks": chunks, "queries": n_queries, "workers": WORKERS, "checkpoints": []}
    proc, port = start_server(work / "server")
    rss, server = RSS(proc.pid), {"port": port, "name": "scale", "budget_s": budget_s}
    from app.settings import ChromaSettings

    hnsw = {"space": "cosine", "ef_search": ChromaSettings().ef_search, "ef_construction": ChromaSettings().ef_construction}
    try:
        collection = client(server).create_collection("scale", embedding_function=None, configuration={"hnsw": hnsw})
        batch = min(5000, client(server).get_max_batch_size())
        texts, ids, done, add_s, make_s = [], [], 0, 0.0, 0.0
        for mark in marks:
            a, m = fill(collection, synth, done, mark, batch, texts, ids)
            add_s, make_s, done, t0 = add_s + a, make_s + m, mark, time.perf_counter()
            collection.query(query_embeddings=[queries[0]["vector"]], n_results=FETCH, include=["distances"])
            bm25_dir = work / f"bm25-{mark}"
            row = {"chunks": mark, "count": collection.count(), "add_s": round(add_s, 1), "make_s": round(make_s, 1),
                   "add_rate": round(mark / add_s), "first_query_ms": round((time.perf_counter() - t0) * 1000, 1),
                   "bm25": build_bm25(texts, ids, bm25_dir), "server": measure(server, bm25_dir, queries)}
            row.update(server_rss_mb=round(rss.now() / 1e6), server_peak_mb=round(rss.peak / 1e6), disk_mb=disk_mb(work / "server"))
            if mark == marks[0]:  # the baseline: the embedded store, the same rows and queries
                embedded = {"path": str(work / "embedded"), "name": "scale", "budget_s": budget_s}
                a2, _ = fill(client(embedded).create_collection("scale", embedding_function=None, configuration={"hnsw": hnsw}),
                             synth, 0, mark, batch, [], [])
                gc.collect()
                row["embedded"] = {**measure(embedded, bm25_dir, queries), "add_rate": round(mark / a2),
                                   "disk_mb": disk_mb(work / "embedded")}
                shutil.rmtree(work / "embedded", ignore_errors=True)
            shutil.rmtree(bm25_dir, ignore_errors=True)
            result["checkpoints"].append(row)
            print(json.dumps(row), flush=True)
            result.update(wall_s=round(time.time() - started), load_end=[round(x, 1) for x in os.getloadavg()])
            if report:
                report(result)
    finally:
        rss.stopped.set()
        proc.terminate()
        proc.wait(timeout=60)
    return result


def table(header: list[str], rows: list[list]) -> list[str]:
    return ["| " + " | ".join(header) + " |", "|" + "---|" + "---:|" * (len(header) - 1),
            *("| " + " | ".join(f"{c:,}" if isinstance(c, int) else str(c) for c in row) + " |" for row in rows)]


def render(r: dict) -> str:
    m, rows = r["machine"], r["checkpoints"]
    first, last, e = rows[0], rows[-1], rows[0]["embedded"]
    lat = [[f"{row['chunks']:,} {store}", *(f"{row[store][x]['p50']} / {row[store][x]['p95']} ({row[store][x]['n']})"
                                             for x in MODES), row[store]["worker_rss_mb"]]
           for row in rows for store in ("embedded", "server") if store in row]
    ingest = [[row["chunks"], row["add_rate"], row["add_s"], row["make_s"], row["first_query_ms"],
               f"{row['server_rss_mb']:,} / {row['server_peak_mb']:,}", row["disk_mb"], row["bm25"]["build_s"],
               row["bm25"]["disk_mb"], row["bm25"]["build_rss_growth_mb"]] for row in rows]
    ratios = [[x, f"{first['server'][x]['p95'] / e[x]['p95']:.2f}×", f"{last['server'][x]['p95'] / first['server'][x]['p95']:.2f}×",
               f"{last['server'][x]['p95'] / e[x]['p95']:.2f}×"] for x in MODES]
    p95 = last["server"]["hybrid"]["p95"]
    return "\n".join([
        f"# Chroma server at scale ({last['chunks']:,} of {r['chunks']:,} chunks, {r['workers']} query workers)", "",
        f"Generated by `python -m bench.server_scale --chunks {r['chunks']} --queries {r['queries']}` on "
        f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; wall time {r['wall_s']} s.", "", "## Machine", "",
        f"- CPU: {m['cpu']}, {m['nproc']} cores ({m['usable']} usable), RAM {m['ram_gb']} GB, Linux {m['kernel']}; "
        f"Python {m['python']}, chromadb {m['chromadb']}",
        f"- Load average at start {m['load']}, at end {r['load_end']} (shared cores: compare ratios).", "",
        "## Query latency, 4 workers at once", "",
        "p50 / p95 in ms (queries timed); embedded = the app's chroma-local path (exact in-memory search).", "",
        *table(["chunks, store", *MODES, "worker RSS (MB)"], lat), "",
        "Throughput (queries/s, 4 workers together): " + "; ".join(
            f"{row['chunks']:,} server " + ", ".join(f"{x} {row['server'][x]['qps']}" for x in MODES) for row in rows), "",
        "## Server and ingest", "",
        *table(["chunks", "add rate (chunks/s, cumulative)", "add time (s)", "data generation (s)", "first query after add (ms)",
                "server RSS now / peak (MB)", "server disk (MB)", "app BM25 build (s)", "BM25 disk (MB)",
                "BM25 build RSS growth (MB)"], ingest), "",
        f"Embedded baseline at {first['chunks']:,}: add {e['add_rate']:,} chunks/s, disk {e['disk_mb']:,} MB.", "",
        "## Ratios of p95", "",
        *table(["mode", f"server / embedded at {first['chunks']:,}", f"server {last['chunks']:,} / server {first['chunks']:,}",
                f"server {last['chunks']:,} / embedded {first['chunks']:,}"], ratios), "",
        f"**Acceptance (issue #18): hybrid p95 ≤ 100 ms with 4 workers at {last['chunks']:,} chunks: "
        f"{'yes' if p95 <= 100 else 'no'}** ({p95} ms; hybrid-candidates {last['server']['hybrid-candidates']['p95']} ms).", ""])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="a Chroma server at scale (see the module docstring)")
    parser.add_argument("--chunks", type=int, default=1_000_000)
    parser.add_argument("--queries", type=int, default=100, help="queries per worker per mode")
    parser.add_argument("--budget", type=float, default=40.0, help="seconds each worker may spend on one mode")
    parser.add_argument("--work", type=Path, default=Path("/tmp/server-scale"), help="data dir (deleted at the end)")
    parser.add_argument("--out", type=Path, default=Path("bench/server-scale.md"))
    args = parser.parse_args(argv)
    try:  # the report is rewritten at every checkpoint, so a long run that is stopped still leaves one
        run(args.chunks, args.queries, args.work, args.budget, report=lambda r: args.out.write_text(render(r)))
    finally:
        shutil.rmtree(args.work, ignore_errors=True)
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
