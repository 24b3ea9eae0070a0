"""The abstention gate: what the index cannot answer is refused ('cannot_answer', with its reason)
before any decider runs; what it can answer passes (None)."""

from __future__ import annotations

import pytest

from app.engine.decide.gate import Gate
from app.engine.read import understand
from app.engine.records import Evidence
from fakes import chunk, evidence, hits

TITLE = "Sleep apnea PAP devices"
CPAP = chunk("pap", "CPAP is considered medically necessary for obstructive sleep apnea when the AHI is 15 or more "
             "events per hour on a sleep study.", section="Medical necessity criteria", title=TITLE)
SNORING = chunk("pap", "CPAP for snoring without sleep apnea is considered experimental.", section="Limitations",
                title=TITLE, n=1)
ON_TOPIC = "Is CPAP medically necessary for obstructive sleep apnea?"
NO_DENSE = Gate(min_similarity=None)  # the fake embedder's similarities mean nothing


def refusal(gate: Gate, question: str, found: Evidence, patient: str | None = None):
    decision = gate.refuse(understand(question, patient), found)
    return None if decision is None else (decision.verdict, decision.reason)


def test_a_question_in_another_language_is_refused_first():
    spanish = "¿Cuál es el tratamiento de la apnea del sueño en los pacientes?"
    assert refusal(NO_DENSE, spanish, evidence(CPAP, SNORING)) == ("cannot_answer", "not_english")


def test_nothing_retrieved_is_refused():
    empty = Evidence(hits=hits(), sections={}, disagreements=[], corpus=evidence(CPAP).corpus)
    assert refusal(NO_DENSE, ON_TOPIC, empty) == ("cannot_answer", "not_in_corpus")


def test_a_term_no_document_names_is_refused():
    found = evidence(CPAP, SNORING)
    assert "cpap" in found.corpus.term_groups and "cgm" not in found.corpus.term_groups
    question = "Is a continuous glucose monitor medically necessary for obstructive sleep apnea?"
    assert refusal(NO_DENSE, question, found) == ("cannot_answer", "not_in_corpus")
    assert refusal(NO_DENSE, "Is positive airway pressure medically necessary for OSA?", found) is None  # another name


def test_a_topic_the_passages_do_not_cover_is_refused_without_dense_support():
    question = "Is cochlear implantation medically necessary for hearing loss?"
    assert refusal(NO_DENSE, question, evidence(CPAP, SNORING)) == ("cannot_answer", "not_in_corpus")


def test_a_question_whose_words_the_passages_use_passes():
    assert refusal(NO_DENSE, ON_TOPIC, evidence(CPAP, SNORING)) is None
    assert refusal(NO_DENSE, "Is CPAP covered for snoring?", evidence(CPAP, SNORING)) is None


@pytest.mark.parametrize("best_dense", [None, 0.02, 0.99])
def test_without_min_similarity_the_dense_checks_are_skipped(best_dense):
    assert refusal(NO_DENSE, ON_TOPIC, evidence(CPAP, SNORING, best_dense=best_dense)) is None
    assert refusal(NO_DENSE, "Is cochlear implantation medically necessary for hearing loss?",
                   evidence(CPAP, SNORING, best_dense=best_dense)) == ("cannot_answer", "not_in_corpus")


def test_with_min_similarity_nothing_near_is_refused_even_when_the_words_match():
    gate = Gate(min_similarity=0.47)
    assert refusal(gate, ON_TOPIC, evidence(CPAP, SNORING, best_dense=0.52)) is None
    assert refusal(gate, ON_TOPIC, evidence(CPAP, SNORING, best_dense=0.30)) == ("cannot_answer", "not_in_corpus")
    assert refusal(gate, ON_TOPIC, evidence(CPAP, SNORING, best_dense=None)) == ("cannot_answer", "not_in_corpus")


def test_a_near_passage_vouches_for_a_question_whose_words_the_passages_barely_use():
    gate, question = Gate(min_similarity=0.47), "Is it time to start one for his nightly spells?"
    record = "54-year-old man with obstructive sleep apnea, AHI 22 events per hour."
    assert refusal(gate, question, evidence(CPAP, SNORING, best_dense=0.58), record) is None
    assert refusal(gate, question, evidence(CPAP, SNORING, best_dense=0.38), record) == ("cannot_answer", "not_in_corpus")


class RecordSimilarity:
    """A fake ``Similarity``: the same cosine for every passage; records what it was asked."""

    def __init__(self, cosine: float):
        self.cosine = cosine
        self.queries: list[tuple[str, list[str]]] = []

    def similarities(self, query, texts):
        self.queries.append((query, list(texts)))
        return [self.cosine] * len(texts)


def test_the_question_read_with_the_patients_record_can_vouch_for_its_topic():
    """'Mucomyst before his contrast CT?': the question's own words and vector are far from every
    passage, the question read with the record is not — refused only when the record does not help."""
    question = "Is it time to start one for his nightly spells?"
    record = "54-year-old man with obstructive sleep apnea, AHI 22 events per hour."
    far = evidence(CPAP, SNORING, best_dense=0.38, has_patient=True)
    near = RecordSimilarity(0.60)  # ≥ min_similarity + DENSE_SURE_MARGIN = 0.57
    assert refusal(Gate(0.47, near), question, far, record) is None
    assert near.queries[0][0] == f"{question} {record}" and near.queries[0][1] == [CPAP.text, SNORING.text]
    assert refusal(Gate(0.47, RecordSimilarity(0.55)), question, far, record) == ("cannot_answer", "not_in_corpus")
    no_record = evidence(CPAP, SNORING, best_dense=0.38)
    asked = RecordSimilarity(0.9)
    assert refusal(Gate(0.47, asked), question, no_record) == ("cannot_answer", "not_in_corpus") and not asked.queries
    unnamed = "Is a continuous glucose monitor medically necessary for obstructive sleep apnea?"
    assert refusal(Gate(0.47, RecordSimilarity(0.9)), unnamed, far, record) == ("cannot_answer", "not_in_corpus")
