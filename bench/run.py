"""`make bench`: Criterion against the naive LangChain pipeline, in one run, on the same corpus,
gold cases and embedding weights; then the ONNX int8 encoder and the synthetic scale run.
Writes bench/results.md.

    python -m bench.run [--out bench/results.md] [--work bench/work] [--scale-size 25000] ...

Each pipeline runs in its own process (``bench.sides``) so its peak RSS is its own; warm query
latency is measured in one more process holding both, question by question in alternation, so
load from other work on the machine falls on both alike. The numbers that matter are the
ratios within this run.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import time
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from bench import report

ROOT = Path(__file__).resolve().parent.parent
REAL = ROOT.parent / "shared" / "real-corpus"
REAL_CASES = ROOT / "evals" / "real-corpus"  # every case file in the folder


def describe_machine() -> dict:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        cpu = platform.processor() or "unknown"
    ram_gb = None
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                ram_gb = round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass

    def ver(name: str) -> str:
        try:
            return version(name)
        except PackageNotFoundError:
            return "not installed"

    return {
        "cpu": cpu, "cores": os.cpu_count(),
        "usable_cores": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count(),
        "ram_gb": ram_gb, "os": f"{platform.system()} {platform.release()}", "machine": platform.machine(),
        "python": platform.python_version(),
        "versions": {p: ver(p) for p in ("torch", "sentence-transformers", "transformers", "chromadb",
                                         "langchain-chroma", "langchain-huggingface", "onnxruntime", "ranx")},
        "load_average_start": os.getloadavg(),
    }


def real_subset(source: Path, dest: Path, cases_path: Path, other_ngc: int) -> dict:
    """A copy (symlinks) of the real corpus small enough for the time budget: every uspstf and
    tricare file, the ngc-federal files the cases name, and ``other_ngc`` more ngc-federal files
    spread evenly over the sorted rest. Document ids stay those of the full corpus."""
    from evals.cases import load_cases

    named = {s for c in load_cases(cases_path) for s in c.expected_sources}
    chosen: list[Path] = []
    for folder in ("uspstf", "tricare"):
        chosen += sorted(p for p in (source / folder).glob("*") if p.is_file())
    ngc = sorted(p for p in (source / "ngc-federal").glob("*.md") if p.name != "SOURCE.md")
    referenced = [p for p in ngc if f"ngc-federal/{p.stem}" in named]
    rest = [p for p in ngc if p not in referenced]
    step = max(1, len(rest) // other_ngc) if other_ngc else 0
    others = rest[::step][:other_ngc] if other_ngc else []
    chosen += referenced + others
    if dest.exists():
        shutil.rmtree(dest)
    for p in chosen:
        target = dest / p.relative_to(source)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.symlink_to(p.resolve())
    return {
        "files": len(chosen), "uspstf": len(list((source / "uspstf").glob("*.html"))),
        "tricare_pdfs": len(list((source / "tricare").glob("*.pdf"))), "ngc_referenced": len(referenced),
        "ngc_others": len(others), "ngc_total": len(ngc), "bytes": sum(p.stat().st_size for p in chosen),
        "missing_sources": sorted(s for s in named if not any((dest / f"{s}{ext}").exists()
                                                                   for ext in (".md", ".html", ".pdf", ".txt"))),
    }


def side(name: str, work: Path, out: Path, *extra: str, **kw: str) -> dict:
    """One measured process; its JSON result."""
    cmd = [sys.executable, "-m", "bench.sides", name, "--work", str(work), "--out", str(out), *extra]
    for key, value in kw.items():
        cmd += [f"--{key.replace('_', '-')}", str(value)]
    started = time.perf_counter()
    print(f"bench: {name} {' '.join(cmd[4:])}", flush=True)
    subprocess.run(cmd, check=True, cwd=ROOT, env={**os.environ, "TQDM_DISABLE": "1"})
    result = json.loads(out.read_text())
    result["process_seconds"] = round(time.perf_counter() - started, 1)
    print(f"bench: {name} done in {result['process_seconds']} s", flush=True)
    return result


def compare_corpus(label: str, corpus: Path, cases: Path, work: Path, args, pdf_probe: bool) -> dict:
    work.mkdir(parents=True, exist_ok=True)
    flags = ("--pdf-probe",) if pdf_probe else ()
    common = {"corpus": corpus, "cases": cases, "raw_sample": args.raw_sample if label == "starter" else -1}
    crit = side("criterion", work, work / "criterion.json", *flags, **common)
    base = side("baseline", work, work / "baseline.json", *flags, **common)
    lat = side("latency", work, work / "latency.json", cases=cases,
               rounds=args.latency_rounds if label == "starter" else args.real_latency_rounds)
    return {"label": label, "corpus": str(corpus), "cases_path": str(cases), "criterion": crit, "baseline": base,
            "latency": lat}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="benchmark Criterion against a naive LangChain pipeline")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results.md")
    parser.add_argument("--work", type=Path, default=ROOT / "bench" / "work", help="scratch (emptied first)")
    parser.add_argument("--corpus", type=Path, default=ROOT / "corpus")
    parser.add_argument("--cases", type=Path, default=ROOT / "evals" / "cases")
    parser.add_argument("--real-corpus", type=Path, default=REAL)
    parser.add_argument("--real-ngc-sample", type=int, default=6,
                        help="ngc-federal files beyond those the real-corpus cases name")
    parser.add_argument("--raw-sample", type=int, default=128, help="chunk texts for the raw-encoder pass")
    parser.add_argument("--latency-rounds", type=int, default=1, help="rounds over the starter questions")
    parser.add_argument("--real-latency-rounds", type=int, default=1, help="rounds over the real-corpus questions")
    parser.add_argument("--onnx-dir", type=Path, default=None, help="ONNX export (default <data_dir>/onnx-model)")
    parser.add_argument("--scale-size", type=int, default=25_000, help="synthetic chunks (bench.scale alone: 100000)")
    parser.add_argument("--skip", action="append", default=[], choices=["real", "onnx", "scale"])
    args = parser.parse_args(argv)

    started = time.perf_counter()
    machine = describe_machine()
    if args.work.exists():
        shutil.rmtree(args.work)
    args.work.mkdir(parents=True)
    data: dict = {"machine": machine, "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "corpora": []}

    starter = compare_corpus("starter", args.corpus, args.cases, args.work / "starter", args, pdf_probe=False)
    data["corpora"].append(starter)

    if "onnx" not in args.skip:
        from bench.onnx_export import default_out_dir

        data["onnx"] = side("onnx", args.work / "onnx", args.work / "onnx.json", corpus=args.corpus, cases=args.cases,
                            onnx_dir=args.onnx_dir or default_out_dir(),
                            texts=args.work / "starter" / "chunk_texts.json")

    if "real" in args.skip:
        data["real_note"] = "skipped (--skip real)"
    elif not args.real_corpus.is_dir():
        data["real_note"] = f"skipped: {args.real_corpus} is absent on this machine"
    else:
        subset = args.work / "real-subset"
        data["real_subset"] = real_subset(args.real_corpus, subset, REAL_CASES, args.real_ngc_sample)
        data["corpora"].append(compare_corpus("real", subset, REAL_CASES, args.work / "real", args, pdf_probe=True))

    if "scale" not in args.skip:
        out = args.work / "scale.json"
        cmd = [sys.executable, "-m", "bench.scale", "--index", str(args.work / "starter" / "criterion-index" / "index"),
               "--cases", str(args.cases), "--size", str(args.scale_size), "--out", str(out)]
        print(f"bench: scale to {args.scale_size} chunks", flush=True)
        subprocess.run(cmd, check=True, cwd=ROOT)
        data["scale"] = json.loads(out.read_text())

    machine["load_average_end"] = os.getloadavg()
    data["wall_seconds"] = round(time.perf_counter() - started, 1)
    (args.work / "results.json").write_text(json.dumps(data, indent=1))
    args.out.write_text(report.render(data))
    print(f"bench: wrote {args.out} in {data['wall_seconds']} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
