"""The 'compiled' decider (app/engine/decide/layered.py): the rules first, then a guideline
question's recommendation records, compiled at ingest, matched to the question by meaning. The
similarity is a fake with cosines the test chooses; the rules are a FakeDecider."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from app.backends import make_decider, make_similarity
from app.engine.compiled import AgeBand, CompiledDocument, Recommendation
from app.engine.decide.layered import LayeredDecider
from app.engine.decide.meaning import EmbeddingSimilarity
from app.engine.decide.rules import RulesDecider
from app.engine.read import understand
from app.engine.records import CriterionLine, Decision, Evaluation
from app.settings import Settings
from fakes import FakeDecider, FakeSimilarity, chunk, evidence

FOR = "Adults aged 50 to 75 years should be offered yearly screening with the test."
AGAINST = "Screening adults older than 85 years with the test is not recommended."
GUIDE = chunk("guide", f"{FOR}\n{AGAINST}", section="Recommendations", doc_type="guideline")


def record(quote: str, stance: str, age: AgeBand | None = None, c=GUIDE) -> Recommendation:
    return Recommendation(document_id=c.document_id, section=c.section, chunk_id=c.chunk_id, quote=quote, text=quote,
                          stance=stance, age=age, grade="B" if stance == "for" else "D")


def decide(rules_verdict: str, records: list[Recommendation], cosines: dict[str, float], *,
           question="Should this patient be screened with the test?", patient="62-year-old woman", primary=None):
    ev = evidence(GUIDE)
    ev = dataclasses.replace(ev, compiled={"guide": CompiledDocument(document_id="guide", compiler="test",
                                                                      recommendations=records)})
    rules = FakeDecider(Decision(rules_verdict, primary_document=primary))
    similarity = FakeSimilarity(cosines)
    return LayeredDecider(rules, similarity).decide(understand(question, patient), ev), similarity


def test_the_closest_recommendation_decides_where_the_rules_found_no_stance():
    d, sim = decide("informational", [record(FOR, "for", AgeBand(lower=50, upper=75)), record(AGAINST, "against")],
                    {FOR: 0.8, AGAINST: 0.3}, patient="62-year-old woman, average risk")
    assert d.verdict == "yes" and d.basis == "recommendation"
    assert [s.text for s in d.deciding] == [FOR] and GUIDE.text[d.deciding[0].start:].startswith(FOR)
    assert "(B)" in d.reason and "62-year-old woman" in sim.queries[0]  # the record is read with the question


def test_a_recommendation_whose_age_band_leaves_the_patient_out_is_never_chosen():
    d, _ = decide("informational", [record(FOR, "for", AgeBand(lower=50, upper=75)), record(AGAINST, "against",
                                                                                          AgeBand(lower=86))],
                  {FOR: 0.9, AGAINST: 0.2}, patient="88-year-old man")
    assert d.verdict == "no" and d.deciding[0].text == AGAINST


def test_the_rules_no_is_never_turned_into_yes():
    d, _ = decide("no", [record(FOR, "for")], {FOR: 0.9})
    assert d.verdict == "no" and d.basis is None


def test_an_against_nearly_as_close_as_the_for_leaves_the_rules_verdict():
    d, _ = decide("informational", [record(FOR, "for"), record(AGAINST, "against")], {FOR: 0.80, AGAINST: 0.75})
    assert d.verdict == "informational" and d.basis is None


def test_policy_decisions_and_informational_questions_are_left_to_the_rules():
    recs, cos = [record(AGAINST, "against")], {AGAINST: 0.9}
    assert decide("yes", recs, cos, primary="policy-a")[0].verdict == "yes"
    assert decide("informational", recs, cos, question="What does the guideline say about screening?")[0].verdict \
        == "informational"


def test_a_record_whose_quote_is_not_in_its_chunk_never_decides():
    stray = record("Screening is not recommended for anyone at all.", "against")
    d, _ = decide("informational", [stray], {stray.text: 0.9})
    assert d.verdict == "informational"


class CountingEmbeddings:
    """Two-dimensional vectors from the text's length and vowel count; counts what it encodes."""

    def __init__(self):
        self.encoded: list[str] = []

    def embed_documents(self, texts):
        self.encoded += texts
        return [[float(len(t)), float(sum(ch in "aeiou" for ch in t))] for t in texts]


def test_embedding_similarity_is_the_cosine_and_encodes_each_statement_once():
    emb = CountingEmbeddings()
    sim = EmbeddingSimilarity(emb)
    first = sim.similarities("abc", ["abc", "zzzzzz"])
    assert first[0] == pytest.approx(1.0) and first[1] < first[0]
    sim.similarities("other question", ["abc", "zzzzzz"])
    assert emb.encoded.count("abc") == 2  # once as a statement, once as the first query; queries are not kept
    assert emb.encoded.count("zzzzzz") == 1 and sim.similarities("q", []).shape == (0,)


def test_the_compiled_decider_needs_an_embedder_whose_similarities_mean_something():
    real = Settings(decision={"backend": "compiled"}, embedding={"backend": "sentence-transformers"})
    similarity = make_similarity(real, CountingEmbeddings())
    assert isinstance(similarity, EmbeddingSimilarity)
    assert isinstance(make_decider(real, similarity), LayeredDecider)
    assert isinstance(make_decider(real, None), RulesDecider)
    fake = Settings(decision={"backend": "compiled"}, embedding={"backend": "fake"})
    assert make_similarity(fake, CountingEmbeddings()) is None and make_similarity(real, None) is None
    assert Settings().decision.backend == "compiled"


def test_preloaded_statement_vectors_are_not_encoded_again():
    emb = CountingEmbeddings()
    sim = EmbeddingSimilarity(emb)
    sim.preload({"abc": np.array([3.0, 1.0])})  # as read from the index; scaled to unit length here
    assert sim.similarities("xyz", ["abc"])[0] == pytest.approx(3 / np.sqrt(10))  # (3, 0) against (3, 1)
    assert sim.similarities("aab", ["abc"])[0] < 1.0
    assert emb.encoded == ["xyz", "aab"]  # only the queries

TRIED = CriterionLine("CPAP has been tried and proven ineffective.")
NO_SEIZURES = CriterionLine("The patient has no history of seizures.")


def policy_decision(*lines: CriterionLine) -> Decision:
    return Decision("conditional", primary_document="policy-a",
                    criteria=[(line, Evaluation("not_documented", "not found"), None) for line in lines])


def test_a_fact_the_record_denies_fails_the_required_criterion_it_speaks_to():
    sim = FakeSimilarity({"CPAP has never been tried": 0.76})
    rules = FakeDecider(policy_decision(NO_SEIZURES, TRIED))
    frame = understand("Is bilevel PAP medically necessary as first treatment?",
                       "48-year-old woman with OSA, AHI 32. CPAP has never been tried.")
    d = LayeredDecider(rules, sim).decide(frame, evidence(GUIDE))
    assert d.verdict == "no" and "CPAP has never been tried" in d.reason
    assert [ev.status for _, ev, _ in d.criteria] == ["not_documented", "not_met"]  # a denial criterion is skipped
    assert sim.queries == [TRIED.text]


def test_an_affirmed_fact_a_distant_one_or_an_any_of_list_leaves_the_rules_conditional():
    frame = understand("Is bilevel PAP medically necessary?", "CPAP was tried for 3 months at home.")
    d = LayeredDecider(FakeDecider(policy_decision(TRIED)), FakeSimilarity({"CPAP was tried for 3 months at home": 0.9})
                       ).decide(frame, evidence(GUIDE))
    assert d.verdict != "no"  # nothing denied (an affirmed fact may meet it by meaning: test_affirmed.py)
    denied = understand("Is bilevel PAP medically necessary?", "CPAP has never been tried.")
    far = LayeredDecider(FakeDecider(policy_decision(TRIED)), FakeSimilarity({"CPAP has never been tried": 0.4}))
    assert far.decide(denied, evidence(GUIDE)).verdict == "conditional"
    listed = CriterionLine("The patient has ANY of the following:", children=[TRIED])
    any_of = LayeredDecider(FakeDecider(policy_decision(listed)), FakeSimilarity({"CPAP has never been tried": 0.9}))
    assert any_of.decide(denied, evidence(GUIDE)).verdict == "conditional"
