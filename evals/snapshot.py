"""A per-case answer snapshot: every gold case through the engine, one JSON line per case, so two
checkouts can be compared answer by answer (:mod:`evals.compare`).

Usage: python -m evals.snapshot --cases PATH --index DIR --out FILE.jsonl [--workers N]

Each line is ``{"id": ..., "answer": <Answer.model_dump(mode="json") without "timings_ms">}``, or
``{"id": ..., "error": "<ExceptionType>: <message>"}`` when ``ask`` raised; lines keep the cases'
order and keys are sorted, so a plain ``diff`` of two snapshots is readable too.

Standalone on purpose: it imports only ``app.settings``, ``app.engine``, ``evals.cases`` and the
standard library, the public API that exists before and after the #14 refactor, so this file can
be copied into an older checkout and run there unchanged. Exit codes: 0 written (engine errors on
single cases included), 2 unusable input (cases, index).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")

VOLATILE_KEYS = ("timings_ms",)  # differ from run to run; never part of "the answer"


def snapshot_case(engine: Any, case: Any) -> dict:
    """One case's line: its answer without the volatile keys, or the error ``ask`` raised (in the
    words :mod:`evals.runner` records it)."""
    try:
        answer = engine.ask(case.question, case.patient, **case.scope)
    except Exception as exc:  # one broken case must not hide the others' answers
        return {"id": case.id, "error": f"{type(exc).__name__}: {getattr(exc, 'message', None) or exc}"}
    dump = answer.model_dump(mode="json")
    for key in VOLATILE_KEYS:
        dump.pop(key, None)
    return {"id": case.id, "answer": dump}


def snapshot(cases: list, engine: Any, out: Path, *, workers: int = 1) -> tuple[int, int]:
    """Writes one line per case to ``out``, in the cases' order; returns (cases, errors)."""
    out.parent.mkdir(parents=True, exist_ok=True)
    errors = 0
    with out.open("w", encoding="utf-8") as fh, ThreadPoolExecutor(max_workers=max(workers, 1)) as pool:
        futures = [pool.submit(snapshot_case, engine, case) for case in cases]
        for done, future in enumerate(futures, start=1):
            line = future.result()
            errors += "error" in line
            fh.write(json.dumps(line, ensure_ascii=False, sort_keys=True) + "\n")
            if done % 25 == 0 or done == len(futures):
                print(f"  {done}/{len(futures)}", file=sys.stderr, flush=True)
    return len(cases), errors


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m evals.snapshot", description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=Path, required=True, help="Gold cases: a YAML list, a JSONL file, or a folder.")
    parser.add_argument("--index", type=Path, required=True, help="The index directory to answer from.")
    parser.add_argument("--out", type=Path, required=True, help="The snapshot to write (JSON lines).")
    parser.add_argument("--workers", type=int, default=1, help="Cases answered in parallel (threads); default 1.")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    from evals.cases import load_cases

    try:
        cases = load_cases(args.cases)
    except ValueError as exc:  # CaseError, which lists every problem
        print(f"snapshot: error: {exc}", file=sys.stderr)
        return 2
    if not args.index.is_dir():
        print(f"snapshot: error: {args.index}: no such index directory", file=sys.stderr)
        return 2
    from app.engine import Engine
    from app.settings import get_settings

    try:
        engine = Engine.from_settings(get_settings().with_index(args.index))
    except Exception as exc:
        print(f"snapshot: error: cannot open the index {args.index}: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 2
    total, errors = snapshot(cases, engine, args.out, workers=args.workers)
    print(f"wrote {total} answers ({errors} errors) to {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
