"""Two ``criterion eval`` reports of the same cases side by side: the retrieval metrics as the
reports give them, and every case whose verdict (or correctness) differs.

    python -m bench.compare_reports A/report.json B/report.json [--labels fp32 int8] [--tolerance 0.01]

Used for the encoder switch (issue #18): the same corpus ingested once per encoder, each index
evaluated with its own encoder, the reports compared here. Exit code 1 when a metric moves by more
than the tolerance or any case's verdict differs.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

METRICS = ("source_recall_at_k", "source_mrr", "verdict_accuracy", "wrong_yes", "cannot_answer_recall")
GATED = ("source_recall_at_k", "source_mrr")


def load(path: Path) -> dict:
    return json.loads(Path(path).read_text())


def compare(a: dict, b: dict, tolerance: float = 0.01) -> dict:
    """Metric rows (a, b, b − a), the cases whose verdict differs, and whether ``b`` holds."""
    rows = [(name, a["metrics"].get(name), b["metrics"].get(name)) for name in METRICS]
    by_id = {case["id"]: case for case in a["cases"]}
    differing = [
        {"id": case["id"], "expected": case["expected_verdict"], "a": by_id[case["id"]]["verdict"],
         "b": case["verdict"], "a_rank": by_id[case["id"]]["first_relevant_rank"],
         "b_rank": case["first_relevant_rank"]}
        for case in b["cases"]
        if case["id"] in by_id and (case["verdict"], case["correct"]) != (by_id[case["id"]]["verdict"],
                                                                          by_id[case["id"]]["correct"])
    ]
    missing = sorted(set(by_id) ^ {case["id"] for case in b["cases"]})
    moved = [name for name, x, y in rows if name in GATED and (x is None or y is None or abs(y - x) > tolerance)]
    return {"rows": rows, "differing": differing, "missing": missing, "moved": moved,
            "n": len(b["cases"]), "holds": not differing and not moved and not missing}


def render(result: dict, labels: tuple[str, str]) -> str:
    a, b = labels
    lines = [f"| metric | {a} | {b} | difference |", "|---|---:|---:|---:|"]
    for name, x, y in result["rows"]:
        diff = f"{y - x:+.4f}" if isinstance(x, (int, float)) and isinstance(y, (int, float)) else "—"
        lines.append(f"| {name} | {x} | {y} | {diff} |")
    lines.append("")
    lines.append(f"{result['n']} cases; verdicts differing: {len(result['differing'])}"
                 + (f"; cases in one report only: {', '.join(result['missing'])}" if result["missing"] else ""))
    for d in result["differing"]:
        lines.append(f"- `{d['id']}` (expected {d['expected']}): {a} {d['a']} (first relevant rank "
                     f"{d['a_rank']}), {b} {d['b']} (rank {d['b_rank']})")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("a", type=Path)
    parser.add_argument("b", type=Path)
    parser.add_argument("--labels", nargs=2, default=("a", "b"))
    parser.add_argument("--tolerance", type=float, default=0.01)
    args = parser.parse_args(argv)
    result = compare(load(args.a), load(args.b), args.tolerance)
    print(render(result, tuple(args.labels)))
    return 0 if result["holds"] else 1


if __name__ == "__main__":
    sys.exit(main())
