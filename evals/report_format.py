"""Formatting shared by ``report.md`` (:mod:`evals.report`) and ``report.html``
(:mod:`evals.report_html`): the per-tag columns, how a value and a metric name are shown, and which
cases failed. Both renderers import from here, so neither imports the other to get them."""

from __future__ import annotations

from evals.metrics import covered

PER_TAG_COLUMNS = {
    "n_cases": "cases", "verdict_accuracy": "verdict accuracy", "source_recall_at_k": "recall@k",
    "source_mrr": "MRR", "citation_precision": "citation precision", "must_mention_rate": "must-mention",
    "cannot_answer_recall": "abstention recall",
}
CONFIDENCE_INTRO = ("Answers ranked by their confidence (how likely the verdict is right), most confident first, "
                    "ties by case id, engine errors last. Coverage is the share of cases kept; risk, the share "
                    "of those answered wrong. The engine flags an answer for review (needs_review) when its confidence "
                    "is below the review threshold, or when the verdict is one a person must always check.")
CONFIDENCE_FIGURES = {
    "review_rate": "Share of answers flagged for review (needs_review).",
    "accuracy_when_not_flagged": "Verdict accuracy of the answers not flagged.",
    "wrong_yes_confident": "Answers 'yes' not flagged where the expected verdict is 'no' or 'conditional' (should be 0).",
    "ece": "Expected calibration error, 10 equal-width bins (0: a confidence of 0.8 is right 8 times in 10).",
}


def coverage_rows(metrics: dict) -> list[tuple[str, int, float | None, float | None]]:
    """(coverage, cases kept, accuracy, risk) for each coverage of ``accuracy_at_coverage``;
    empty when the run had no confidences (an old report, or no confidence model)."""
    rows = []
    for q, accuracy in (metrics.get("accuracy_at_coverage") or {}).items():
        risk = None if accuracy is None else round(1 - accuracy, 4)
        rows.append((f"{float(q):.0%}", covered(float(q), metrics["n_cases"]), accuracy, risk))
    return rows


def confidence_note(case: dict) -> str:
    """' · confidence 0.62 (flagged for review)' for a case row that has one, else ''."""
    if case.get("confidence") is None:
        return ""
    return f" · confidence {case['confidence']:.2f}" + (" (flagged for review)" if case.get("needs_review") else "")


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
