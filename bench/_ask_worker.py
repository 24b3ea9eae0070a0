"""One side of `python -m bench.ask_compare`: a long-lived process answering the gold cases on command.

Run by path with cwd and PYTHONPATH set to the tree under test, so ``import app`` and
``import evals`` resolve to that tree's code (this file imports nothing from ``bench``, so it
works against a commit that has no copy of it):

    python -P /path/to/bench/_ask_worker.py --index DIR --cases PATH

Protocol, one JSON object per line on stdout (anything else the libraries print goes to stderr):

    -> {"ready": true, "app": <app/__init__.py>, "cases": [ids], "build_s": .., "warmup_s": .., "warmup_verdicts": [..]}
    <- round
    -> {"ms": [per-case ms, in case order], "verdicts": [per-case verdict]}
    <- ask 3
    -> {"ms": [ms of case 3 (0-based)], "verdicts": [its verdict]}
    <- quit
"""

from __future__ import annotations

import os
import sys

# Run by path, Python puts this file's folder first on sys.path; bench/ must not shadow anything.
_here = os.path.dirname(os.path.abspath(__file__))
sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != _here]

import argparse  # noqa: E402
import json  # noqa: E402
import time  # noqa: E402
import traceback  # noqa: E402
from pathlib import Path  # noqa: E402


def _answer_all(engine, cases) -> tuple[list[float], list[str]]:
    ms, verdicts = [], []
    for case in cases:
        started = time.perf_counter()
        try:
            verdict = engine.ask(case.question, case.patient).verdict
        except Exception as exc:  # recorded, so the verdict comparison shows it
            verdict = f"error:{type(exc).__name__}"
        ms.append((time.perf_counter() - started) * 1000)
        verdicts.append(str(verdict))
    return ms, verdicts


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--index", required=True)
    parser.add_argument("--cases", required=True)
    args = parser.parse_args()

    # The protocol gets a private copy of stdout; fd 1 then points at stderr, so a library that
    # prints (progress bars, warnings) cannot corrupt it.
    proto = os.fdopen(os.dup(1), "w", buffering=1)
    os.dup2(2, 1)
    sys.stdout = sys.stderr

    def send(obj) -> None:
        proto.write(json.dumps(obj) + "\n")
        proto.flush()

    try:
        started = time.perf_counter()
        import app
        from app.engine import Engine
        from app.settings import get_settings
        from evals.cases import load_cases

        settings = get_settings().with_index(Path(args.index))
        engine = Engine.from_settings(settings)
        cases = load_cases(Path(args.cases))
        build_s = time.perf_counter() - started
        started = time.perf_counter()
        _, warm_verdicts = _answer_all(engine, cases)  # model, caches, lazy imports
        warmup_s = time.perf_counter() - started
    except BaseException:
        send({"ready": False, "error": traceback.format_exc()})
        raise SystemExit(1)
    send({"ready": True, "app": os.path.abspath(app.__file__), "python": sys.version.split()[0],
          "cases": [c.id for c in cases], "build_s": round(build_s, 3), "warmup_s": round(warmup_s, 3),
          "warmup_verdicts": warm_verdicts})

    for line in sys.stdin:
        command = line.strip()
        if command == "round":
            ms, verdicts = _answer_all(engine, cases)
            send({"ms": [round(v, 3) for v in ms], "verdicts": verdicts})
        elif command.startswith("ask ") and command[4:].isdigit() and int(command[4:]) < len(cases):
            ms, verdicts = _answer_all(engine, [cases[int(command[4:])]])
            send({"ms": [round(v, 3) for v in ms], "verdicts": verdicts})
        elif command == "quit":
            break
        elif command:
            send({"error": f"unknown command {command!r}"})


if __name__ == "__main__":
    main()
