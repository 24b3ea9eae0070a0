"""The cold-start benchmark's pure parts (run order, report) and the eval-report comparison used
for the encoder switch (bench/cold_start.py, bench/compare_reports.py)."""

from __future__ import annotations

from bench.cold_start import order, render, summary
from bench.compare_reports import compare, render as render_comparison


def test_runs_alternate_base_and_head_abba():
    assert order(4) == [("base", "head"), ("head", "base"), ("base", "head"), ("head", "base")]


def test_the_report_gives_medians_ratios_targets_and_the_machine():
    side = lambda ask, ready: {"ask": summary(ask), "ready": summary(ready)}  # noqa: E731
    result = {"started": "2026-12-03 19:00 UTC", "load_start": (6.0, 5.0, 4.0), "load_end": (7.0, 6.0, 5.0),
              "machine": {"cpu": "Xeon", "cores": 2, "ram_gb": 23.5, "python": "3.11.7", "kernel": "6.1"},
              "labels": {"base": "abc1234", "head": "def5678"},
              "backends": {"onnx": {"index": "/tmp/ix", "answers_identical": True, "verdicts": {"base": ["no"], "head": ["no"]},
                                    "base": side([20, 10, 30], [40, 50, 45]), "head": side([5, 6, 7], [9, 11, 10])}}}
    text = render(result)
    assert "2 cores" in text and "6.0, 5.0, 4.0" in text
    assert "| onnx | ask | 20 (10–30) | 6 (5–7) | 0.30× | ≤ 8 | yes |" in text
    assert "| onnx | ready | 45 (40–50) | 10 (9–11) | 0.22× | ≤ 10 | yes |" in text
    assert "answers identical on both sides and every run: yes" in text


def report(*cases, recall=1.0, mrr=0.98):
    return {"metrics": {"source_recall_at_k": recall, "source_mrr": mrr, "verdict_accuracy": 0.9},
            "cases": [{"id": i, "expected_verdict": e, "verdict": v, "correct": e == v, "first_relevant_rank": 1}
                      for i, e, v in cases]}


def test_a_comparison_names_the_case_whose_verdict_changed():
    a = report(("c1", "no", "no"), ("c2", "yes", "yes"))
    b = report(("c1", "no", "yes"), ("c2", "yes", "yes"), mrr=0.985)
    result = compare(a, b)
    assert not result["holds"] and [d["id"] for d in result["differing"]] == ["c1"]
    assert "`c1` (expected no): fp32 no" in render_comparison(result, ("fp32", "int8"))


def test_a_comparison_holds_only_within_the_tolerance():
    same = (("c1", "no", "no"),)
    assert compare(report(*same), report(*same, mrr=0.975))["holds"]
    assert compare(report(*same), report(*same, recall=0.98))["moved"] == ["source_recall_at_k"]
