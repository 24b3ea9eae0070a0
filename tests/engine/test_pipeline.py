"""The pipeline with fakes in place of its swappable parts: what the decider is given, that the
gate's refusal comes first, that the answer carries the decider's verdict, the stages' order; and
the factory that builds the decider and the gate from settings."""

from __future__ import annotations

import pytest

from app.backends import make_decider, make_gate
from app.engine import Engine
from app.engine.decide.rules import RulesDecider
from app.engine.records import Decision, Hit
from app.engine.text.statements import split_chunk
from app.errors import BadRequest, ConfigurationError
from app.settings import Settings
from fakes import FakeDecider, FakeRetriever, Search, chunk, make_index

TITLE = "PCSK9 inhibitors"
CRITERIA = chunk("pcsk9", "Evolocumab is considered medically necessary for clinical ASCVD when ALL of the following are met:\n"
                 "- The LDL-C is ≥ 70 mg/dL despite maximally tolerated statin therapy.",
                 section="Medical necessity criteria > Clinical ASCVD", title=TITLE)
UNPROVEN = chunk("pcsk9", "Evolocumab for familial chylomicronemia syndrome is considered experimental, investigational "
                 "or unproven.", section="Experimental, investigational or unproven", title=TITLE, n=1)
OTHER = chunk("osa", "CPAP is considered medically necessary for obstructive sleep apnea.", title="Sleep apnea PAP devices")
QUESTION = "Is Repatha medically necessary for clinical ASCVD?"
RECORD = "67-year-old man, prior MI, LDL-C 98 mg/dL on atorvastatin."


def engine(settings, decision: Decision, found: list[Hit] | None = None) -> Engine:
    retriever = FakeRetriever([Hit(CRITERIA, 0.9)] if found is None else found)
    return Engine(settings, make_index(CRITERIA, UNPROVEN, OTHER), None, decider=FakeDecider(decision),
                  retriever=retriever)


def test_the_decider_is_given_the_frame_and_the_gathered_evidence(fake_settings):
    e = engine(fake_settings, Decision("conditional"))
    e.ask(QUESTION, RECORD)
    assert e.retriever.calls == [Search(QUESTION, fake_settings.retrieval.k, None, "policy", RECORD)]
    [(frame, evidence)] = e.decider.calls
    assert (frame.question, frame.kind, frame.terms, frame.facts.age) == (QUESTION, "coverage", ["ascvd", "repatha"], 67)
    assert [h.chunk for h in evidence.hits] == [CRITERIA]
    assert evidence.document_sections("pcsk9") == {CRITERIA.section: [CRITERIA], UNPROVEN.section: [UNPROVEN]}
    assert list(evidence.sections) == ["pcsk9"] and evidence.has_patient and evidence.corpus is e.corpus


def test_k_and_filters_reach_the_retriever(fake_settings):
    e = engine(fake_settings, Decision("conditional"))
    e.ask("Should he take evolocumab?", k=3, filters={"doc_type": "guideline"})
    assert e.retriever.calls == [Search("Should he take evolocumab?", 3, {"doc_type": "guideline"}, "guideline", None)]
    assert not e.decider.calls[0][1].has_patient


def test_the_answer_carries_the_decider_s_verdict_and_cites_what_it_quotes(fake_settings):
    quoted = split_chunk(UNPROVEN)[0]  # a passage retrieval did not return
    e = engine(fake_settings, Decision("no", deciding=[quoted], primary_document="pcsk9"))
    answer = e.ask("Is Repatha medically necessary for familial chylomicronemia syndrome?")
    assert answer.verdict == "no" and answer.flags == []
    assert [(c.id, c.chunk_id, c.quote) for c in answer.citations] == [(1, UNPROVEN.chunk_id, UNPROVEN.text)]
    assert answer.summary.endswith(f"{UNPROVEN.text} [1]")
    # the answer's passages: the hit, then the passage the decision quotes (gathered, score 0)
    assert [(p.chunk_id, p.score) for p in answer.retrieved] == [(CRITERIA.chunk_id, 0.9), (UNPROVEN.chunk_id, 0.0)]
    assert set(answer.timings_ms) == {"retrieval", "composing", "total"}


@pytest.mark.parametrize(("question", "found", "reason"), [
    ("¿Cuál es el tratamiento de la hipercolesterolemia en los pacientes?", None, "not_english"),
    (QUESTION, [], "not_in_corpus"),
    ("Is a continuous glucose monitor medically necessary?", None, "not_in_corpus"),  # no document names it
])
def test_the_gate_s_refusal_means_the_decider_is_never_asked(fake_settings, question, found, reason):
    e = engine(fake_settings, Decision("yes"), found)
    answer = e.ask(question)
    assert (answer.verdict, answer.reason, answer.citations) == ("cannot_answer", reason, [])
    assert e.decider.calls == []


def test_checkpoints_follow_the_stages_in_order(fake_settings):
    stages, progress = [], []
    engine(fake_settings, Decision("conditional")).ask(
        QUESTION, checkpoint=stages.append, progress=lambda event, data: progress.append((event, data["passages"])))
    assert stages == ["understood", "retrieved", "decided", "composed"]
    assert progress == [("composing", 1)]
    stages.clear()
    engine(fake_settings, Decision("yes"), []).ask(QUESTION, checkpoint=stages.append)  # refused: the same stages
    assert stages == ["understood", "retrieved", "decided", "composed"]


def test_bad_input_is_refused_before_any_stage_runs(fake_settings):
    e = engine(fake_settings, Decision("yes"))
    for question in ("", "   ", "x" * (fake_settings.api.max_question_chars + 1)):
        with pytest.raises(BadRequest):
            e.ask(question)
    with pytest.raises(BadRequest, match="patient must be text"):
        e.ask(QUESTION, patient=42)
    assert e.retriever.calls == [] and e.decider.calls == []


def test_settings_name_the_rules_decider_and_the_fake_embedder_gets_only_the_rules(fake_settings):
    assert isinstance(make_decider(Settings(decision={"backend": "rules"})), RulesDecider)
    built = Engine(fake_settings, make_index(CRITERIA), None, retriever=FakeRetriever([]))
    assert isinstance(built.decider, RulesDecider) and built.decider.name == "rules"


def test_an_unknown_decider_is_a_configuration_error_naming_the_accepted_ones():
    with pytest.raises(ConfigurationError, match=r"unknown decision.backend 'oracle'; accepted: rules"):
        make_decider(Settings(decision={"backend": "oracle"}))


def test_the_gate_checks_dense_similarity_only_for_a_real_embedder(fake_settings):
    assert make_gate(fake_settings).min_similarity is None
    real = Settings(embedding={"backend": "onnx"})
    assert make_gate(real).min_similarity == real.retrieval.min_similarity is not None
