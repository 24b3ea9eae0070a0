"""Compares two answer snapshots (:mod:`evals.snapshot`) or two ``report.json`` files from
``criterion eval``, case by case, and lists every difference with a readable path.

Usage: python -m evals.compare BEFORE AFTER [--limit N] [--float-tolerance X]

Cases are matched by id; a case present on one side only is a difference. Snapshots are compared
over the whole answer (verdict, reason, retrieved passages, citations, criteria, summary, sections,
conflicts, missing information, flags, ...); reports over every per-case key but ``latency_ms``.
Lists are compared position by position, so a reordering is a difference. Exit codes: 0 no case
differs, 1 some case differs, 2 an input is unreadable. Standard library only.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path
from typing import Any, Iterator

SNAPSHOT, REPORT = "snapshot", "report"
REPORT_IGNORED = ("id", "latency_ms")  # the key matched on, and a timing that differs every run
CATEGORIES = {"verdict": "verdict", "error": "verdict",  # an engine error is the verdict "error" in the metrics
              "retrieved": "retrieved", "retrieved_document_ids": "retrieved",
              "citations": "citations", "cited_document_ids": "citations"}
ABSENT = object()


class InputError(ValueError):
    """An input file cannot be read as a snapshot or a report."""


def load(path: Path) -> tuple[str, dict[str, dict]]:
    """(format, {case id: what is compared for it}) in file order. Format is decided by the
    extension (``.jsonl`` a snapshot, ``.json`` a report), else by the content."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: cannot read: {exc}") from None
    suffix = Path(path).suffix.lower()
    if suffix == ".json" or (suffix != ".jsonl" and _looks_like_report(text)):
        return REPORT, _report_cases(path, text)
    return SNAPSHOT, _snapshot_cases(path, text)


def _looks_like_report(text: str) -> bool:
    try:
        data = json.loads(text)
    except json.JSONDecodeError:
        return False
    return isinstance(data, dict) and "cases" in data


def _report_cases(path: Path, text: str) -> dict[str, dict]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"{path}: not JSON: {exc.msg} (line {exc.lineno})") from None
    if not isinstance(data, dict) or not isinstance(data.get("cases"), list):
        raise InputError(f"{path}: not an eval report.json (no \"cases\" list)")
    out: dict[str, dict] = {}
    for n, case in enumerate(data["cases"], start=1):
        case_id = _case_id(path, f"case #{n}", case, out)
        out[case_id] = {k: v for k, v in case.items() if k not in REPORT_IGNORED}
    return _non_empty(path, out)


def _snapshot_cases(path: Path, text: str) -> dict[str, dict]:
    out: dict[str, dict] = {}
    for n, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            raise InputError(f"{path}: line {n}: not JSON: {exc.msg}") from None
        case_id = _case_id(path, f"line {n}", record, out)
        answer, error = record.get("answer"), record.get("error")
        if not (isinstance(answer, dict) and error is None) and not (isinstance(error, str) and answer is None):
            raise InputError(f"{path}: line {n}: needs an \"answer\" object or an \"error\" string")
        out[case_id] = answer if answer is not None else {"error": error}
    return _non_empty(path, out)


def _case_id(path: Path, where: str, record: Any, seen: dict) -> str:
    if not isinstance(record, dict) or not isinstance(record.get("id"), str) or not record["id"]:
        raise InputError(f"{path}: {where}: not a case (needs a JSON object with a string \"id\")")
    if record["id"] in seen:
        raise InputError(f"{path}: {where}: duplicate case id {record['id']!r}")
    return record["id"]


def _non_empty(path: Path, cases: dict[str, dict]) -> dict[str, dict]:
    if not cases:
        raise InputError(f"{path}: holds no cases")
    return cases


def diff(before: Any, after: Any, path: str = "", tolerance: float = 0.0) -> Iterator[tuple[str, Any, Any]]:
    """Every (path, before, after) where the two differ; ``ABSENT`` marks a missing key or item."""
    if isinstance(before, dict) and isinstance(after, dict):
        for key in [*before, *(k for k in after if k not in before)]:
            yield from diff(before.get(key, ABSENT), after.get(key, ABSENT), _key(path, key), tolerance)
    elif isinstance(before, list) and isinstance(after, list):
        for i in range(max(len(before), len(after))):
            yield from diff(before[i] if i < len(before) else ABSENT, after[i] if i < len(after) else ABSENT,
                            f"{path}[{i}]", tolerance)
    elif not _same(before, after, tolerance):
        yield path, before, after


def case_diff(before: dict, after: dict, tolerance: float = 0.0) -> list[tuple[str, Any, Any]]:
    """The differences of one case. A snapshot case whose ``ask`` raised is ``{"error": message}``;
    against an answer it is one difference, ``error: null -> 'message'``, not one per answer key."""
    if _is_error(before) or _is_error(after):
        old, new = before.get("error") if _is_error(before) else None, after.get("error") if _is_error(after) else None
        return [] if old == new else [("error", old, new)]
    return list(diff(before, after, tolerance=tolerance))


def _is_error(record: dict) -> bool:
    return set(record) == {"error"}


def _same(a: Any, b: Any, tolerance: float) -> bool:
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        if math.isnan(a) and math.isnan(b):
            return True
        return math.isclose(a, b, rel_tol=0.0, abs_tol=tolerance) if tolerance else a == b
    return a == b


def _key(path: str, key: str) -> str:
    name = key if key.replace("_", "a").isalnum() else repr(key)
    if not path:
        return name
    return f"{path}.{name}" if name == key else f"{path}[{name}]"


def category(path: str) -> str:
    """verdict, retrieved, citations or other: what the top-level key of ``path`` is about."""
    top = path.split(".", 1)[0].split("[", 1)[0]
    return CATEGORIES.get(top, "other")


def show(before: Any, after: Any, width: int = 120) -> tuple[str, str]:
    """The two values as text; two long strings are cut to a window around their first difference."""
    if isinstance(before, str) and isinstance(after, str) and max(len(before), len(after)) > width:
        start = next((i for i, (x, y) in enumerate(zip(before, after)) if x != y), min(len(before), len(after)))
        start = max(start - 30, 0)
        return _cut(before, start, width), _cut(after, start, width)
    return _text(before, width), _text(after, width)


def _cut(text: str, start: int, width: int) -> str:
    piece = repr(text[start:start + width])
    return ("…" if start else "") + piece + ("…" if start + width < len(text) else "")


def _text(value: Any, width: int) -> str:
    if value is ABSENT:
        return "(absent)"
    text = repr(value) if isinstance(value, str) else json.dumps(value, ensure_ascii=False, sort_keys=True)
    return text if len(text) <= width else text[:width] + "…"


def compare(before: dict[str, dict], after: dict[str, dict], names: tuple[str, str], *, limit: int = 20,
            tolerance: float = 0.0) -> tuple[list[str], dict[str, int], int]:
    """(report lines, cases differing per category, cases differing) over the union of case ids."""
    counts = {"verdict": 0, "retrieved": 0, "citations": 0, "other": 0, "missing": 0, "extra": 0}
    lines: list[str] = []
    differing = 0
    for case_id in [*before, *(c for c in after if c not in before)]:
        if case_id not in after:
            lines.append(f"case {case_id}: missing from {names[1]} (only in {names[0]})")
            counts["missing"] += 1
            differing += 1
            continue
        if case_id not in before:
            lines.append(f"case {case_id}: extra in {names[1]} (not in {names[0]})")
            counts["extra"] += 1
            differing += 1
            continue
        found = case_diff(before[case_id], after[case_id], tolerance)
        if not found:
            continue
        differing += 1
        for name in {category(path) for path, _, _ in found}:
            counts[name] += 1
        for path, old, new in found[:limit] if limit > 0 else found:
            old_text, new_text = show(old, new)
            lines.append(f"case {case_id}: {path}: {old_text} -> {new_text}")
        if 0 < limit < len(found):
            lines.append(f"case {case_id}: … and {len(found) - limit} more differences (--limit 0 shows all)")
    return lines, counts, differing


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m evals.compare", description=__doc__.split("\n\n")[0])
    parser.add_argument("before", type=Path, help="A snapshot (.jsonl) or an eval report.json.")
    parser.add_argument("after", type=Path, help="The same kind of file, from the changed code.")
    parser.add_argument("--limit", type=int, default=20, help="Differences shown per case (0: all); default 20.")
    parser.add_argument("--float-tolerance", type=float, default=0.0,
                        help="Numbers within this absolute distance are equal (e.g. retrieval scores); default 0, exact.")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        (kind_a, before), (kind_b, after) = load(args.before), load(args.after)
    except InputError as exc:
        print(f"compare: error: {exc}", file=sys.stderr)
        return 2
    if kind_a != kind_b:
        print(f"compare: error: cannot compare a {kind_a} ({args.before}) with a {kind_b} ({args.after})",
              file=sys.stderr)
        return 2
    names = (str(args.before), str(args.after))
    lines, counts, differing = compare(before, after, names, limit=args.limit, tolerance=args.float_tolerance)
    for line in lines:
        print(line)
    total = len(before.keys() | after.keys())
    print(f"compared {total} cases: {differing} differ (verdict {counts['verdict']}, retrieved {counts['retrieved']}, "
          f"citations {counts['citations']}, other {counts['other']}, missing {counts['missing']}, "
          f"extra {counts['extra']})")
    return 1 if differing else 0


if __name__ == "__main__":
    sys.exit(main())
