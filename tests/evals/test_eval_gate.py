"""The gate: floors, ceilings, and no drop larger than the margin against a baseline."""

from __future__ import annotations

import pytest

from evals.gate import Thresholds, check_gate, load_thresholds

GOOD = {"k": 5, "verdict_accuracy": 0.8, "source_recall_at_k": 0.9, "source_mrr": 0.7, "citation_validity": 1.0,
        "cannot_answer_precision": 0.9, "cannot_answer_recall": None, "must_not_mention_violations": 0, "errors": 0}
LIMITS = Thresholds(floors={"verdict_accuracy": 0.5, "source_recall_at_k": 0.8, "citation_validity": 1.0,
                            "cannot_answer_recall": 0.5},
                    ceilings={"must_not_mention_violations": 1, "errors": 0},
                    compare=["verdict_accuracy", "source_recall_at_k", "must_not_mention_violations"], margin=0.02)


def test_passes_when_every_metric_clears_its_threshold():
    # cannot_answer_recall measured nothing (None): reported as n/a, not gated
    assert check_gate(GOOD, LIMITS) == []


def test_fails_on_a_floor_breach():
    failures = check_gate({**GOOD, "citation_validity": 0.97, "source_recall_at_k": 0.6}, LIMITS)
    assert failures == ["source_recall_at_k 0.600 is below the floor 0.800",
                        "citation_validity 0.970 is below the floor 1.000"]


def test_fails_on_a_ceiling_breach():
    assert check_gate({**GOOD, "must_not_mention_violations": 3}, LIMITS) == [
        "must_not_mention_violations 3 is above the ceiling 1"]


def test_fails_on_a_drop_larger_than_the_margin_against_the_baseline():
    baseline = {**GOOD, "verdict_accuracy": 0.85}
    failures = check_gate(GOOD, LIMITS, baseline)  # 0.85 -> 0.80 is a drop of 0.05
    assert failures == ["verdict_accuracy fell from 0.850 (baseline) to 0.800, more than the margin 0.020"]


def test_passes_on_a_drop_within_the_margin_and_on_improvements():
    assert check_gate(GOOD, LIMITS, {**GOOD, "verdict_accuracy": 0.81, "source_recall_at_k": 0.5}) == []


def test_fails_when_violations_rise_against_the_baseline():
    assert check_gate({**GOOD, "must_not_mention_violations": 1}, LIMITS, GOOD) == [
        "must_not_mention_violations rose from 0 (baseline) to 1"]


def test_baseline_scored_at_another_k_cannot_be_compared():
    [failure] = check_gate(GOOD, LIMITS, {**GOOD, "k": 10})
    assert "k=10" in failure and "k=5" in failure


def test_the_shipped_thresholds_load_and_demand_valid_citations():
    limits = load_thresholds()
    assert limits.floors["citation_validity"] == 1.0
    assert limits.margin == 0.02 and "verdict_accuracy" in limits.floors


def test_unknown_metric_in_thresholds_is_rejected(tmp_path):
    f = tmp_path / "t.yaml"
    f.write_text("floors:\n  verdict_acuracy: 0.5\n")
    with pytest.raises(ValueError, match="unknown metric.*verdict_acuracy"):
        load_thresholds(f)
