"""Formatting shared by ``report.md`` (:mod:`evals.report`) and ``report.html``
(:mod:`evals.report_html`): the per-tag columns, how a value and a metric name are shown, and which
cases failed. Both renderers import from here, so neither imports the other to get them."""

from __future__ import annotations

PER_TAG_COLUMNS = {
    "n_cases": "cases", "verdict_accuracy": "verdict accuracy", "source_recall_at_k": "recall@k",
    "source_mrr": "MRR", "citation_precision": "citation precision", "must_mention_rate": "must-mention",
    "cannot_answer_recall": "abstention recall",
}


def fmt(value, name: str = "") -> str:
    if value is None:
        return "n/a"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:.1f}" if value > 1 or name.startswith("latency") else f"{value:.3f}"
    return str(value)


def metric_label(name: str, k: int) -> str:
    return name.replace("_at_k", f"@{k}")


def failing(report: dict) -> list[dict]:
    return [c for c in report["cases"] if c["problems"]]
