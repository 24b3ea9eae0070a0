"""Criteria met by what the record affirms, by meaning (app/engine/decide/affirmed.py), through the
'compiled' decider: the rules' ``conditional`` policy decision becomes ``yes`` when every clinical
criterion the rules left undocumented is met by a stated fact close in meaning; a stated number
that fails a threshold makes it ``no``. The similarity is a fake with cosines the test chooses;
the rules are a FakeDecider."""

from __future__ import annotations

import dataclasses

from fakes import FakeDecider, FakeSimilarity, chunk, evidence

from app.engine.compiled import CompiledDocument, Criterion, Group, Indication
from app.engine.decide.affirmed import AFFIRMED_FACT_SIMILARITY, met_by_meaning
from app.engine.decide.confidence import features, review_reasons
from app.engine.decide.layered import LayeredDecider
from app.engine.read import understand
from app.engine.records import CriterionLine, Decision, Evaluation

POLICY = chunk("policy-a", "Coverage criteria.", section="Medical necessity")
THERAPY = CriterionLine("The patient completed a course of supervised rehabilitation.")
WEEKS = CriterionLine("Symptoms have persisted for at least 6 weeks.")
SEEN = CriterionLine("The patient was examined by the treating clinician.")
FORM = CriterionLine("The ordering clinician signs the request form.")
NO_FALLS = CriterionLine("The patient has no history of falls.")
QUESTION = "Is the device medically necessary?"
CLOSE, FAR = AFFIRMED_FACT_SIMILARITY + 0.2, AFFIRMED_FACT_SIMILARITY - 0.2


def rules(*rows: tuple[CriterionLine, str]) -> FakeDecider:
    return FakeDecider(Decision("conditional", primary_document="policy-a",
                                criteria=[(line, Evaluation(status, "rules"), None) for line, status in rows]))


def decide(decider_rules: FakeDecider, patient: str, cosines: dict[str, float], ev=None):
    similarity = FakeSimilarity(cosines)
    d = LayeredDecider(decider_rules, similarity).decide(understand(QUESTION, patient), ev or evidence(POLICY))
    return d, similarity


def statuses(d: Decision) -> list[str]:
    return [ev.status for _, ev, _ in d.criteria]


def test_a_criterion_the_record_states_in_other_words_is_met_and_quoted():
    fact = "She finished eight weeks of physiotherapy with a licensed therapist"
    d, _ = decide(rules((SEEN, "met"), (THERAPY, "not_documented")), f"{fact}.", {fact: CLOSE})
    assert d.verdict == "yes" and d.basis == "meaning"
    assert statuses(d) == ["met", "met"] and d.criteria[1][1].detail == f"the record states: \"{fact}\""
    far, _ = decide(rules((SEEN, "met"), (THERAPY, "not_documented")), f"{fact}.", {fact: FAR})
    assert far.verdict == "conditional" and far.basis is None and statuses(far) == ["met", "not_documented"]


def test_a_stated_number_is_compared_with_the_threshold_not_just_matched():
    short = "Her back pain has persisted for 3 weeks"
    d, _ = decide(rules((SEEN, "met"), (WEEKS, "not_documented")), f"{short}.", {short: CLOSE})
    assert d.verdict == "no" and statuses(d) == ["met", "not_met"] and "3 weeks" in d.criteria[1][1].detail
    long_ = "Her back pain has persisted for 9 weeks"
    assert decide(rules((SEEN, "met"), (WEEKS, "not_documented")), f"{long_}.", {long_: CLOSE})[0].verdict == "yes"
    # close in meaning but without the number the criterion needs: still undocumented
    vague = "Her back pain has persisted for a long while"
    d, _ = decide(rules((SEEN, "met"), (WEEKS, "not_documented")), f"{vague}.", {vague: CLOSE})
    assert d.verdict == "conditional" and statuses(d) == ["met", "not_documented"]


def test_a_negated_fact_or_the_question_itself_never_meets_a_criterion():
    denied = "She has not completed supervised rehabilitation"
    frame = understand(QUESTION, f"{denied}.")
    decision = rules((SEEN, "met"), (THERAPY, "not_documented")).decision
    kept = met_by_meaning(frame, evidence(POLICY), decision, FakeSimilarity({denied: 0.95}))
    assert kept is decision  # the denial is ``denied``'s business (→ no), never a "yes" here
    asked = "Has the patient completed supervised rehabilitation?"
    d = LayeredDecider(rules((SEEN, "met"), (THERAPY, "not_documented")), FakeSimilarity({asked: 0.95})).decide(
        understand(asked, "Adult patient seen in clinic today."), evidence(POLICY))
    assert d.verdict == "conditional"


def test_an_absence_criterion_is_never_met_by_an_affirmed_fact():
    fact = "She fell twice at home this spring"
    d, _ = decide(rules((SEEN, "met"), (NO_FALLS, "not_documented")), f"{fact}.", {fact: 0.95})
    assert d.verdict == "conditional"


def test_an_any_of_list_is_met_by_one_alternative():
    first = CriterionLine("The patient uses a walker.")
    second = CriterionLine("The patient had a hip replacement.")
    listed = CriterionLine("The patient has ANY of the following:", children=[first, second])
    fact = "Her left hip was replaced with a prosthesis last year"
    d, _ = decide(rules((SEEN, "met"), (listed, "not_documented")), f"{fact}.", {(second.text, fact): CLOSE})
    assert d.verdict == "yes" and statuses(d) == ["met", "met"]
    assert d.criteria[1][1].detail.startswith("The patient had a hip replacement:")
    none, _ = decide(rules((SEEN, "met"), (listed, "not_documented")), f"{fact}.", {(second.text, fact): FAR})
    assert none.verdict == "conditional"


def _with_documentation(*texts: str):
    items = [Criterion(text=t, kind="documentation", quote="Coverage criteria.", chunk_id=POLICY.chunk_id)
             for t in texts]
    indication = Indication(document_id="policy-a", section=POLICY.section, chunk_id=POLICY.chunk_id,
                            quote="Coverage criteria.", text="", title="Medical necessity",
                            criteria=Group(op="all_of", items=items))
    compiled = CompiledDocument(document_id="policy-a", compiler="test", indications=[indication])
    return dataclasses.replace(evidence(POLICY), compiled={"policy-a": compiled})


def test_an_administrative_criterion_left_undocumented_does_not_block_yes():
    fact = "She finished eight weeks of physiotherapy with a licensed therapist"
    rows = ((SEEN, "met"), (THERAPY, "not_documented"), (FORM, "not_documented"))
    cosines = {(THERAPY.text, fact): CLOSE}  # the form: nothing stated is close to it
    d, _ = decide(rules(*rows), f"{fact}.", cosines, ev=_with_documentation(FORM.text))
    assert d.verdict == "yes" and statuses(d) == ["met", "met", "not_documented"]  # listed as missing information
    clinical, _ = decide(rules(*rows), f"{fact}.", cosines)  # the same row, not compiled as documentation
    assert clinical.verdict == "conditional"


def test_a_yes_reached_by_meaning_always_asks_for_review():
    fact = "She finished eight weeks of physiotherapy with a licensed therapist"
    d, _ = decide(rules((SEEN, "met"), (THERAPY, "not_documented")), f"{fact}.", {fact: CLOSE})
    signals = features(understand(QUESTION, fact), evidence(POLICY), d)
    assert signals["yes_by_meaning"] == 1.0 and any("meaning" in r for r in review_reasons(signals))
    assert features(understand(QUESTION, fact), evidence(POLICY), dataclasses.replace(d, basis=None))[
        "yes_by_meaning"] == 0.0
