"""Warm `ask` latency over the gold questions: total and retrieval alone, p50/p95 (ms).
Usage: python -m bench.latency [--index DIR]  (default: a temporary index of corpus/)."""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def main() -> None:
    from bench.engines import engine_over
    from evals.cases import load_cases

    parser = argparse.ArgumentParser()
    parser.add_argument("--index", type=Path)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        engine, _ = engine_over(tmp, args.index)
        cases = load_cases(Path("evals/cases"))
        for case in cases:  # warm-up: model, caches, ConText pipeline
            engine.ask(case.question, case.patient)
        totals, retrieval = [], []
        for _ in range(args.rounds):
            for case in cases:
                answer = engine.ask(case.question, case.patient)
                totals.append(answer.timings_ms["total"])
                retrieval.append(answer.timings_ms["retrieval"])
    print(f"ask over {len(cases)} gold questions x {args.rounds} rounds (warm), ms")
    print(f"  total     p50 {statistics.median(totals):7.1f}  p95 {percentile(totals, 0.95):7.1f}")
    print(f"  retrieval p50 {statistics.median(retrieval):7.1f}  p95 {percentile(retrieval, 0.95):7.1f}")


if __name__ == "__main__":
    main()
