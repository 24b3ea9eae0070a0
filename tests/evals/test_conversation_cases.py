"""Gold cases that carry prior turns (issue #17): the follow-up is read against them as /v1/chat
reads a session, the engine is asked the resolved question, and the report scores the verdict and
the resolved question (evals/conversations)."""

from __future__ import annotations

from pathlib import Path

import pytest

from evals.cases import CaseError, load_cases
from evals.runner import run_eval
from eval_fakes import FakeIndex, ScriptedEngine, make_answer

ROOT = Path(__file__).resolve().parents[2]
SEED = "Is IVIG 1 g/kg every 3 weeks medically necessary for a patient with refractory myasthenia gravis?"
CIDP = "Is IVIG 1 g/kg every 3 weeks medically necessary for a patient with CIDP?"

CASES = f"""
- id: cidp
  turns:
    - message: "{SEED}"
      patient: MG-ADL 9, up from 6; prednisone tried
  question: what about for CIDP?
  expected_question: "{CIDP}"
  expected_verdict: conditional
  expected_sources: []
- id: dose
  turns: ["{SEED}"]
  question: what dose?
  expected_question: What is the usual dose?
  expected_verdict: informational
  expected_sources: []
- id: plain
  question: Is CPAP covered?
  expected_verdict: "yes"
  expected_sources: []
"""


class Index(FakeIndex):
    documents = {"ivig": {"title": "Immune globulin (IVIG) for myasthenia gravis and CIDP", "doc_type": "policy",
                          "topics": ["myasthenia gravis", "cidp"]}}


def test_a_follow_up_case_is_asked_its_resolved_question_and_both_are_scored(tmp_path):
    (tmp_path / "c.yaml").write_text(CASES)
    engine = ScriptedEngine({CIDP: make_answer(CIDP, "conditional"),
                             "What dose of IVIG for refractory myasthenia gravis?": make_answer("q", "informational"),
                             "Is CPAP covered?": make_answer("q", "no")})
    engine.index = Index({})
    report = run_eval(load_cases(tmp_path / "c.yaml"), engine)
    assert engine.calls[0] == (CIDP, "prednisone tried")  # MG-ADL named only the old condition
    rows = {row["id"]: row for row in report["cases"]}
    assert rows["cidp"]["resolved_question"] == CIDP and rows["cidp"]["question_correct"]
    assert rows["dose"]["question_correct"] is False and "resolved to" in rows["dose"]["problems"][-1]
    assert "resolved_question" not in rows["plain"]
    m = report["metrics"]
    assert (m["follow_up_cases"], m["follow_up_verdict_accuracy"], m["resolved_question_accuracy"]) == (2, 1.0, 0.5)


def test_a_prior_turn_must_have_a_message(tmp_path):
    (tmp_path / "c.yaml").write_text("- {id: x, turns: [{patient: p}], question: q, expected_verdict: 'no', "
                                     "expected_sources: []}\n")
    with pytest.raises(CaseError, match="turns.0.message"):
        load_cases(tmp_path / "c.yaml")


def test_the_multi_turn_dev_set_loads_and_holds_at_least_30_conversations():
    cases = load_cases(ROOT / "evals" / "conversations")
    assert len(cases) >= 30
    assert all(case.turns and case.expected_question for case in cases)
