"""Cold start, whole process: `criterion ask` from launch to exit, and `criterion serve` from launch
until GET /readyz answers ready, for two commits in one run (issue #18 item 3).

    python -m bench.cold_start --base REV [--head REV] --index sentence-transformers=DIR \\
        [--index onnx=DIR] [--runs 5] [--out bench/cold-start.md]

Each side is a checkout (``git worktree add --detach``, as ``bench.ask_compare`` makes them; the
head defaults to the working tree) run with its tree as cwd and PYTHONPATH. Each ``--index`` names
an embedding backend and an index built with it; runs alternate base/head, head/base (ABBA) per
backend, so load from other work falls on both alike. Every process gets its own temporary data
dir and the repository's ONNX export (``embedding.onnx_dir``). The report gives the median, min and
max of each, the head/base ratios of the medians, and whether both sides answered alike (the
answer JSON without its timings).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

import httpx

from bench.ask_compare import git, remove_worktree, worktree_of

ROOT = Path(__file__).resolve().parent.parent
QUESTION = "Is IVIG 1 g/kg every 3 weeks medically necessary for a patient with refractory myasthenia gravis?"
PATIENT = "MG-ADL 9, up from 6; prednisone 40 mg daily and mycophenolate tried; no respiratory compromise"
ENV = {"HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false",
       "ANONYMIZED_TELEMETRY": "False", "CRITERION_API__AUTH": "off"}
TARGETS = {"ask": 8.0, "ready": 10.0}  # seconds, medians of 5 (issue #18 acceptance)


def child_env(tree: Path, backend: str, data_dir: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CRITERION_")}
    return {**env, **ENV, "PYTHONPATH": str(tree), "CRITERION_DATA_DIR": str(data_dir),
            "CRITERION_EMBEDDING__BACKEND": backend,
            "CRITERION_EMBEDDING__ONNX_DIR": str(_export_dir())}


def _export_dir() -> Path:
    """The ONNX export `make install` made (the default place, whatever this shell's settings)."""
    from app.model_files import onnx_export_dir
    from app.settings import Settings

    return onnx_export_dir(Settings())


def time_ask(tree: Path, backend: str, index: Path, data_dir: Path) -> tuple[float, dict]:
    """Seconds from launch to exit of one `criterion ask --json`, and the answer without timings."""
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "app.cli", "ask", QUESTION, "--patient", PATIENT,
                           "--index", str(index), "--json"], cwd=tree, env=child_env(tree, backend, data_dir),
                          capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if done.returncode:
        raise RuntimeError(f"ask failed in {tree}: {done.stderr[-2000:]}")
    answer = json.loads(done.stdout)
    answer.pop("timings_ms", None)
    return seconds, answer


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def time_ready(tree: Path, backend: str, index: Path, data_dir: Path, limit: float = 600.0) -> float:
    """Seconds from launching `criterion serve` until GET /readyz answers 200 with status ready."""
    port = free_port()
    started = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "app.cli", "serve", "--port", str(port), "--index", str(index)],
                            cwd=tree, env=child_env(tree, backend, data_dir),
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        while time.perf_counter() - started < limit:
            try:
                response = httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=2)
                if response.status_code == 200 and response.json().get("status") == "ready":
                    return time.perf_counter() - started
            except httpx.HTTPError:
                pass
            if proc.poll() is not None:
                raise RuntimeError(f"serve exited with {proc.returncode} in {tree}: {proc.stderr.read()[-2000:]}")
            time.sleep(0.05)
        raise RuntimeError(f"serve was not ready in {limit:g} s")
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def order(runs: int) -> list[tuple[str, str]]:
    """base/head, head/base, … (ABBA)."""
    return [("base", "head") if i % 2 == 0 else ("head", "base") for i in range(runs)]


def summary(values: list[float]) -> dict:
    return {"median": round(statistics.median(values), 2), "min": round(min(values), 2),
            "max": round(max(values), 2), "n": len(values), "all": [round(v, 2) for v in values]}


def machine() -> dict:
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor()) if Path("/proc/cpuinfo").exists() else ""
    mem = next((int(line.split()[1]) / 1e6 for line in Path("/proc/meminfo").read_text().splitlines()
                if line.startswith("MemTotal")), 0.0) if Path("/proc/meminfo").exists() else 0.0
    return {"cpu": cpu, "cores": os.cpu_count(), "ram_gb": round(mem, 1), "python": platform.python_version(),
            "kernel": platform.release()}


def run(args: argparse.Namespace) -> dict:
    indexes = dict(item.split("=", 1) for item in args.index)
    trees, created = {}, []
    for side, rev in (("base", args.base), ("head", args.head)):
        if rev in (None, "worktree"):
            trees[side] = ROOT
            continue
        commit = git("rev-parse", rev, cwd=ROOT)
        trees[side], made = worktree_of(ROOT, commit)
        if made:
            created.append(trees[side])
    labels = {side: ("working tree" if tree == ROOT else git("rev-parse", "--short", "HEAD", cwd=tree))
              for side, tree in trees.items()}
    results: dict = {"machine": machine(), "load_start": os.getloadavg(), "labels": labels, "backends": {},
                     "started": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")}
    try:
        with tempfile.TemporaryDirectory(prefix="cold-start-") as tmp:
            for backend, index in indexes.items():
                times = {side: {"ask": [], "ready": []} for side in trees}
                answers: dict[str, list] = {side: [] for side in trees}
                for i, pair in enumerate(order(args.runs)):
                    for side in pair:
                        data_dir = Path(tmp) / f"{backend}-{side}-{i}"
                        seconds, answer = time_ask(trees[side], backend, Path(index), data_dir)
                        times[side]["ask"].append(seconds)
                        answers[side].append(answer)
                        times[side]["ready"].append(time_ready(trees[side], backend, Path(index), data_dir))
                        print(f"{backend} {side} run {i + 1}: ask {seconds:.1f} s, ready "
                              f"{times[side]['ready'][-1]:.1f} s", file=sys.stderr)
                results["backends"][backend] = {
                    "index": index, "answers_identical": all(a == answers["base"][0] for side in trees for a in answers[side]),
                    "verdicts": {side: sorted({a["verdict"] for a in answers[side]}) for side in trees},
                    **{side: {what: summary(v) for what, v in times[side].items()} for side in trees},
                }
    finally:
        for tree in created:
            remove_worktree(ROOT, tree)
    results["load_end"] = os.getloadavg()
    return results


def render(r: dict) -> str:
    m = r["machine"]
    lines = [f"# Cold start ({r['started']})", "",
             f"Machine: {m['cpu']}, {m['cores']} cores, {m['ram_gb']} GB RAM, Linux {m['kernel']}, Python {m['python']}; "
             f"load average (1/5/15 min) {', '.join(f'{x:.1f}' for x in r['load_start'])} at start, "
             f"{', '.join(f'{x:.1f}' for x in r['load_end'])} at end (shared cores: compare the ratios).",
             f"Base: {r['labels']['base']}; head: {r['labels']['head']}. Question: the seed question with its "
             "patient (`criterion ask \"…\" --patient \"…\" --json`); ready: launch of `criterion serve` until "
             "GET /readyz answers ready.", "",
             "| backend | measure | base median (min–max) s | head median (min–max) s | head / base | target | head meets it |",
             "|---|---|---:|---:|---:|---:|---|"]
    for backend, b in r["backends"].items():
        for what in ("ask", "ready"):
            base, head = b["base"][what], b["head"][what]
            lines.append(f"| {backend} | {what} | {base['median']} ({base['min']}–{base['max']}) | "
                         f"{head['median']} ({head['min']}–{head['max']}) | {head['median'] / base['median']:.2f}× | "
                         f"≤ {TARGETS[what]:g} | {'yes' if head['median'] <= TARGETS[what] else 'no'} |")
    lines.append("")
    for backend, b in r["backends"].items():
        lines.append(f"- {backend} (index {b['index']}): answers identical on both sides and every run: "
                     f"{'yes' if b['answers_identical'] else 'no'} (verdicts {b['verdicts']}); runs: base ask "
                     f"{b['base']['ask']['all']}, head ask {b['head']['ask']['all']}, base ready "
                     f"{b['base']['ready']['all']}, head ready {b['head']['ready']['all']}.")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base", required=True, help="the commit before (a worktree is made)")
    parser.add_argument("--head", default="worktree", help="the commit after (default: the working tree)")
    parser.add_argument("--index", action="append", required=True, metavar="BACKEND=DIR",
                        help="an embedding backend and an index built with it (repeatable)")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--out", type=Path, default=None, help="also write the Markdown report here")
    args = parser.parse_args(argv)
    result = run(args)
    text = render(result)
    print(text)
    if args.out:
        args.out.write_text(text)
        args.out.with_suffix(".json").write_text(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
