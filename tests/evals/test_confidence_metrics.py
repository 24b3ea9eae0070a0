"""Confidence in the eval report (#15 item 4): accuracy at coverage, the risk–coverage curve,
calibration, the review flags, and the "Confidence" section of report.md and report.html. Every
expected figure is worked out by hand in the test that checks it."""

from __future__ import annotations

import random

import pytest
from eval_fakes import ScriptedEngine, make_answer

from evals.cases import GoldCase
from evals.metrics import CaseOutcome, covered, score_case, summarize
from evals.report import render_markdown
from evals.report_html import render_html
from evals.runner import run_eval

CONFIDENCE_KEYS = ("accuracy_at_coverage", "accuracy_at_80", "wrong_yes_confident", "review_rate",
                   "accuracy_when_not_flagged", "ece")


def outcome(id: str, confidence: float | None, right: bool = True, *, expected: str = "yes", verdict: str | None = None,
            review: bool = False, error: str | None = None, tags: tuple[str, ...] = ()) -> CaseOutcome:
    given = verdict or (expected if right else "cannot_answer")
    return CaseOutcome(id=id, expected_verdict=expected, verdict="error" if error else given, expected_sources=[],
                       retrieved_document_ids=[], cited_document_ids=[], latency_ms=10.0, tags=list(tags),
                       error=error, confidence=confidence, needs_review=review)


def metrics(outcomes: list[CaseOutcome]) -> dict:
    return summarize(outcomes, k=5)


# --- accuracy at coverage ----------------------------------------------------------------

def test_accuracy_at_coverage_keeps_the_ceil_of_q_n_most_confident_cases():
    # n = 5, ranked a b c d e; right: a c d. Top ceil(2.5)=3: a b c -> 2/3; top 4: a b c d -> 3/4; all: 3/5
    m = metrics([outcome("e", 0.5, False), outcome("c", 0.7), outcome("a", 0.9), outcome("d", 0.6),
                 outcome("b", 0.8, False)])
    assert m["accuracy_at_coverage"] == {"0.5": 0.6667, "0.8": 0.75, "1.0": 0.6}
    assert m["accuracy_at_80"] == 0.75
    assert m["accuracy_at_coverage"]["1.0"] == m["verdict_accuracy"]


def test_ties_in_confidence_are_broken_by_case_id_whatever_the_input_order():
    # three at 0.9: by id a (wrong), m, z; then q at 0.1. Top 2 of 4 = a, m -> 0.5 (input order z, m would
    # give 1.0); top ceil(3.2) = 4 and all 4 -> 3/4
    cases = [outcome("z", 0.9), outcome("m", 0.9), outcome("a", 0.9, False), outcome("q", 0.1)]
    expected = {"0.5": 0.5, "0.8": 0.75, "1.0": 0.75}
    assert metrics(cases)["accuracy_at_coverage"] == expected
    for seed in range(5):
        shuffled = cases[:]
        random.Random(seed).shuffle(shuffled)
        assert metrics(shuffled)["accuracy_at_coverage"] == expected


def test_the_number_of_cases_kept_is_exact_despite_floating_point():
    assert covered(0.07, 100) == 7  # 0.07 * 100 == 7.000000000000001, whose ceiling is 8
    assert covered(0.8, 5) == 4 and covered(0.5, 3) == 2 and covered(0.5, 1) == 1 and covered(1.0, 7) == 7
    assert [covered(0.8, n) for n in range(1, 11)] == [1, 2, 3, 4, 4, 5, 6, 7, 8, 8]


def test_an_engine_error_has_no_confidence_and_ranks_last_as_a_wrong_answer():
    m = metrics([outcome("err", None, error="RuntimeError: boom"), outcome("a", 0.2), outcome("b", 0.3)])
    assert m["accuracy_at_coverage"] == {"0.5": 1.0, "0.8": 0.6667, "1.0": 0.6667}
    assert m["verdict_accuracy"] == 0.6667
    assert m["risk_coverage"][-1] == {"confidence": None, "coverage": 1.0, "risk": 0.3333}
    assert m["review_rate"] == 0.0 and m["accuracy_when_not_flagged"] == 1.0  # over the two answers


# --- the risk–coverage curve -------------------------------------------------------------

def test_risk_coverage_has_a_point_at_every_distinct_confidence():
    # 0.9 right, 0.9 wrong | 0.7 right | 0.4 wrong
    m = metrics([outcome("a", 0.9), outcome("b", 0.9, False), outcome("c", 0.7), outcome("d", 0.4, False)])
    assert m["risk_coverage"] == [
        {"confidence": 0.9, "coverage": 0.5, "risk": 0.5},
        {"confidence": 0.7, "coverage": 0.75, "risk": 0.3333},
        {"confidence": 0.4, "coverage": 1.0, "risk": 0.5},
    ]


# --- calibration -------------------------------------------------------------------------

def test_ece_is_zero_when_confidence_matches_the_share_right():
    # 10 at 0.8, 8 right; 4 at 0.25, 1 right; 1 at 1.0 (the top bin), right
    eight_in_ten = [outcome(f"h{i}", 0.8, i < 8) for i in range(10)]
    one_in_four = [outcome(f"l{i}", 0.25, i < 1) for i in range(4)]
    assert metrics(eight_in_ten + one_in_four + [outcome("sure", 1.0)])["ece"] == pytest.approx(0.0, abs=1e-4)


def test_ece_is_large_when_confidence_is_wrong():
    assert metrics([outcome(f"x{i}", 0.95, False) for i in range(10)])["ece"] == 0.95
    # 5 at 0.9 all right (gap 0.1 each) and 5 at 0.1 all right (gap 0.9 each): (0.5 + 4.5) / 10
    assert metrics([outcome(f"h{i}", 0.9) for i in range(5)] + [outcome(f"l{i}", 0.1) for i in range(5)])["ece"] == 0.5


# --- the review flags --------------------------------------------------------------------

def test_wrong_yes_confident_counts_only_unflagged_yes_against_no_or_conditional():
    m = metrics([
        outcome("yes-no", 0.9, expected="no", verdict="yes"),  # counted
        outcome("yes-cond", 0.8, expected="conditional", verdict="yes"),  # counted
        outcome("yes-no-flagged", 0.3, expected="no", verdict="yes", review=True),  # flagged: not counted
        outcome("yes-yes", 0.9, expected="yes", verdict="yes"),  # right
        outcome("no-yes", 0.7, expected="yes", verdict="no"),  # wrong, but not a yes
        outcome("cond-cond", 0.2, expected="conditional", verdict="conditional", review=True),
    ])
    assert m["wrong_yes"] == 3 and m["wrong_yes_confident"] == 2
    assert m["review_rate"] == round(2 / 6, 4)
    assert m["accuracy_when_not_flagged"] == 0.25  # yes-no, yes-cond, yes-yes, no-yes: only yes-yes right


def test_without_any_confidence_every_confidence_metric_is_none():
    m = metrics([outcome("a", None), outcome("b", None, False, expected="no", verdict="yes")])
    assert {key: m[key] for key in CONFIDENCE_KEYS} == dict.fromkeys(CONFIDENCE_KEYS)
    assert m["risk_coverage"] is None
    assert m["wrong_yes"] == 1  # the existing metrics are untouched


def test_per_tag_metrics_rank_the_tags_own_cases_and_carry_no_curve():
    m = metrics([outcome("a", 0.9, tags=("x",)), outcome("b", 0.8, False, tags=("x",)), outcome("c", 0.1, tags=("y",)),
                 outcome("d", None, tags=("y",))])
    assert m["per_tag"]["x"]["accuracy_at_coverage"] == {"0.5": 1.0, "0.8": 0.5, "1.0": 0.5}
    assert m["per_tag"]["y"]["accuracy_at_80"] == 1.0  # c, then d (no confidence) last
    assert "risk_coverage" not in m["per_tag"]["x"]


# --- from the answer to report.json ------------------------------------------------------

def answer(verdict: str, confidence: float | None, needs_review: bool = False):
    return make_answer("q", verdict).model_copy(update={"confidence": confidence, "needs_review": needs_review})


def gold(id: str, verdict: str) -> GoldCase:
    return GoldCase(id=id, question=f"question {id}?", expected_verdict=verdict, expected_sources=[])


def test_score_case_takes_confidence_and_the_review_flag_from_the_answer():
    got = score_case(gold("a", "yes"), answer("yes", 0.42, True), {}, 5.0)
    assert (got.confidence, got.needs_review) == (0.42, True)
    errored = score_case(gold("b", "yes"), None, {}, 5.0, error="RuntimeError: boom")
    assert (errored.confidence, errored.needs_review) == (None, False)


@pytest.fixture
def report():
    cases = [gold("sure", "no"), gold("unsure", "conditional"), gold("wrong", "no"), gold("broken", "yes")]
    engine = ScriptedEngine({"question sure?": answer("no", 0.91), "question unsure?": answer("no", 0.35, True),
                             "question wrong?": answer("yes", 0.7), "question broken?": RuntimeError("boom")})
    return run_eval(cases, engine, k=5)


def test_report_json_case_rows_carry_confidence_and_needs_review(report):
    rows = {c["id"]: (c["confidence"], c["needs_review"]) for c in report["cases"]}
    assert rows == {"sure": (0.91, False), "unsure": (0.35, True), "wrong": (0.7, False), "broken": (None, False)}
    m = report["metrics"]
    assert m["wrong_yes_confident"] == 1 and m["review_rate"] == 0.3333
    # ranked sure (right), wrong | unsure (wrong), broken (error): top 2 -> 1/2; top ceil(3.2) = 4 and all -> 1/4
    assert m["accuracy_at_coverage"] == {"0.5": 0.5, "0.8": 0.25, "1.0": 0.25}


def test_report_md_has_a_confidence_section_with_accuracy_at_coverage(report):
    md = render_markdown(report)
    section = md.split("## Confidence", 1)[1].split("\n## ", 1)[0]
    assert "| review_rate | 0.333 |" in section and "| wrong_yes_confident | 1 |" in section
    assert "| 50% | 2 | 0.500 | 0.500 |" in section
    assert "| 80% | 4 | 0.250 | 0.750 |" in section and "| 100% | 4 | 0.250 | 0.750 |" in section
    assert "| accuracy_at_80 | 0.250 |" in md  # a headline metric
    assert "**Got:** yes · confidence 0.70" in md  # the failing case shows its confidence


def test_report_html_draws_the_risk_coverage_plot_inline(report):
    html = render_html(report)
    section = html.split("<h2>Confidence</h2>", 1)[1].split("<h2>", 1)[0]
    assert 'aria-label="Risk against coverage"' in section and "<polyline" in section
    assert "coverage (share of questions answered, most confident first)" in section
    assert "risk (share answered wrong)" in section
    assert section.count("<circle") == len(report["metrics"]["risk_coverage"]) == 4
    assert ">80%</td>" in section
    assert "<script" not in html and "http://www.w3.org/2000/svg" in html and "https://" not in html


def test_without_confidences_the_reports_have_no_confidence_section(tmp_path):
    engine = ScriptedEngine({"question a?": make_answer("q", "yes"), "question b?": make_answer("q", "no")})
    report = run_eval([gold("a", "yes"), gold("b", "yes")], engine, k=5)
    assert [c["confidence"] for c in report["cases"]] == [None, None]
    md, html = render_markdown(report), render_html(report)
    assert "## Confidence" not in md and "<h2>Confidence</h2>" not in html
    assert "Risk against coverage" not in html
    assert "| accuracy_at_80 | n/a |" in md and "| wrong_yes_confident | n/a |" in md


def test_an_old_report_without_the_confidence_keys_still_renders(report):
    old = {**report, "metrics": {k: v for k, v in report["metrics"].items()
                                 if k not in (*CONFIDENCE_KEYS, "risk_coverage")}}
    old["cases"] = [{k: v for k, v in c.items() if k not in ("confidence", "needs_review")} for c in report["cases"]]
    assert "## Confidence" not in render_markdown(old)
    assert "<h2>Confidence</h2>" not in render_html(old)
