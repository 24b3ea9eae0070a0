"""Confidence: the fitted model loads and gives a probability; a "yes" that stands only on a
statement's wording, or beside a quote saying the opposite, always asks for review; the answer says
so; the fit recovers a known relation; the calibration refuses the blind sets."""

from __future__ import annotations

import numpy as np
import pytest
from fakes import FakeDecider, FakeRetriever, chunk, evidence, hits, make_index

from app.engine import Engine
from app.engine.compose.markdown import to_markdown
from app.engine.decide.confidence import MODEL_FILE, ConfidenceModel, always_review, features, review_reasons
from app.engine.read import understand
from app.engine.records import Decision
from app.engine.text.statements import split_chunk
from app.schemas import VERDICTS

GUIDE = chunk("guide", "Adults aged 50 to 75 years should be screened for colorectal cancer every year.",
              doc_type="guideline", section="Recommendations")
AGAINST = chunk("guide", "Screening adults older than 85 years is not recommended.", doc_type="guideline",
                section="Recommendations", n=1)


def test_the_shipped_model_loads_and_names_what_it_was_fitted_on():
    model = ConfidenceModel.load()
    assert model is not None and MODEL_FILE.exists()
    assert all("blind" not in item for item in model.about["fitted_on"])
    assert "5-fold over all dev cases" in model.about["held_out"]  # held-out figures stored beside the weights
    frame = understand("Should a 60-year-old be screened for colorectal cancer?")
    for verdict in VERDICTS:
        p = model.predict(features(frame, evidence(GUIDE), Decision(verdict)))
        assert 0.0 < p < 1.0


def test_no_model_means_no_confidence(tmp_path):
    assert ConfidenceModel.load(tmp_path / "missing.json") is None


def test_a_yes_on_wording_alone_or_beside_a_contrary_quote_always_asks_for_review():
    frame = understand("Should a 60-year-old be screened for colorectal cancer?")
    [positive], [negative] = split_chunk(GUIDE), split_chunk(AGAINST)
    by_wording = features(frame, evidence(GUIDE), Decision("yes", deciding=[positive]))
    assert by_wording["yes_by_wording"] == 1.0 and always_review(by_wording)
    contrary = features(frame, evidence(GUIDE, AGAINST), Decision("no", deciding=[positive], primary_document="guide"))
    assert contrary["quote_contradicts"] == 1.0 and always_review(contrary)
    agreeing = features(frame, evidence(GUIDE, AGAINST), Decision("no", deciding=[negative]))
    assert not always_review(agreeing)


def test_a_yes_with_a_criterion_not_documented_always_asks_for_review():
    from app.engine.records import CriterionLine, Evaluation

    frame = understand("Is evolocumab covered?", "LDL-C 98 mg/dL on atorvastatin 80 mg.")
    [positive] = split_chunk(GUIDE)
    rows = [(CriterionLine("LDL-C ≥ 70 mg/dL"), Evaluation("met", "98 ≥ 70"), None),
            (CriterionLine("Prescribed by a cardiologist."), Evaluation("not_documented", "not found"), None)]
    undocumented = features(frame, evidence(GUIDE), Decision("yes", deciding=[positive], criteria=rows, primary_document="g"))
    assert undocumented["yes_with_undocumented"] == 1.0 and "not document" in review_reasons(undocumented)[0]
    all_met = features(frame, evidence(GUIDE), Decision("yes", deciding=[positive], criteria=rows[:1], primary_document="g"))
    assert not review_reasons(all_met)
    refused = features(frame, evidence(GUIDE), Decision("no", deciding=[positive], criteria=rows, primary_document="g"))
    assert refused["yes_with_undocumented"] == 0.0


@pytest.mark.parametrize("bias, flagged", [(5.0, False), (-5.0, True)])
def test_the_answer_carries_its_confidence_and_says_when_it_needs_review(fake_settings, bias, flagged):
    [negative] = split_chunk(AGAINST)
    model = ConfidenceModel(weights={}, bias=bias, about={})
    engine = Engine(fake_settings, make_index(GUIDE, AGAINST), None, confidence=model,
                    decider=FakeDecider(Decision("no", deciding=[negative])), retriever=FakeRetriever(hits(GUIDE, AGAINST)))
    answer = engine.ask("Should a 90-year-old be screened for colorectal cancer?")
    assert answer.verdict == "no" and answer.needs_review is flagged
    assert answer.confidence == pytest.approx(1 / (1 + np.exp(-bias)), abs=1e-3)
    assert any(f.startswith("needs human review") for f in answer.flags) is flagged
    assert ("Needs human review" in to_markdown(answer)) is flagged


def test_the_fit_recovers_a_known_logistic_relation():
    from evals.calibrate import fit, predict

    rng = np.random.default_rng(7)
    x = rng.normal(size=(4000, 2))
    y = (rng.random(4000) < 1 / (1 + np.exp(-(0.5 + 2.0 * x[:, 0] - 1.0 * x[:, 1])))).astype(float)
    w = fit(x, y, l2=0.0)
    assert w == pytest.approx([0.5, 2.0, -1.0], abs=0.2)
    assert ((predict(w, x) > 0.5) == (y > 0.5)).mean() > 0.75


def test_the_calibration_refuses_the_blind_sets():
    from evals.calibrate import main

    with pytest.raises(SystemExit):
        main(["--set", "evals/blind/starter=/nowhere"])
