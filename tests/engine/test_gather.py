"""Gather: the whole sections of every document the hits come from, and the 'where sources
disagree' passages about the question; then the passages an answer may cite."""

from __future__ import annotations

from app.engine.compose.passages import citable_passages
from app.engine.gather import gather
from app.engine.read import understand
from app.engine.records import CriterionLine, Decision, Evaluation
from app.engine.text.statements import split_chunk
from fakes import chunk, corpus_of, hits, make_index

POLICY = "Immune globulin"
criteria = chunk("ivig", "IVIG is considered medically necessary for myasthenia gravis when ALL of the following are met:",
                 section="Medical necessity criteria > Myasthenia gravis", title=POLICY, n=0)
criteria_2 = chunk("ivig", "- The MG-ADL score is 6 or more.\n- The patient is in an exacerbation.",
                   section="Medical necessity criteria > Myasthenia gravis", title=POLICY, n=1)
limits = chunk("ivig", "IVIG is not medically necessary for myasthenia gravis in remission.", section="Limitations",
               title=POLICY, n=2)
recommendation = chunk("mg-review", "IVIG is recommended for myasthenic crisis.", section="Recommendations",
                       title="Myasthenia gravis evidence review", n=0, doc_type="guideline")
mg_disagreement = chunk("mg-review", "The AAN favours IVIG for myasthenia gravis crisis; the EFNS favours plasma exchange.",
                        section="Where sources disagree", title="Myasthenia gravis evidence review", n=1,
                        doc_type="guideline")
cpap_disagreement = chunk("osa-review", "Sources disagree on CPAP for mild obstructive sleep apnea without sleepiness.",
                          section="Where sources disagree", title="Sleep apnea review", doc_type="guideline")
old_disagreement = chunk("mg-review-2015", "The AAN and the EFNS disagreed on IVIG for myasthenia gravis crisis.",
                         section="Where sources disagree", title="Myasthenia gravis review 2015", doc_type="guideline",
                         status="superseded")
conflicts_of_interest = chunk("mg-review", "Two authors received fees for IVIG and myasthenia gravis lectures.",
                              section="Conflicts of interest", title="Myasthenia gravis evidence review", n=2,
                              doc_type="guideline")
ALL = (criteria, criteria_2, limits, recommendation, mg_disagreement, cpap_disagreement, old_disagreement,
       conflicts_of_interest)
INDEX = make_index(*ALL)
CORPUS = corpus_of(*ALL)


def gathered(question: str, *hit, patient: str | None = None):
    return gather(understand(question, patient), hits(*hit), INDEX, CORPUS, has_patient=bool(patient))


def test_every_section_of_every_document_hit_in_index_order():
    evidence = gathered("Is IVIG medically necessary for myasthenia gravis?", recommendation, limits)
    assert list(evidence.sections) == ["mg-review", "ivig"]  # the documents, in the order of their first hit
    assert evidence.document_sections("ivig") == {
        criteria.section: [criteria, criteria_2],  # chunks no hit returned are there too
        limits.section: [limits],
    }
    assert list(evidence.document_sections("mg-review")) == [
        recommendation.section, mg_disagreement.section, conflicts_of_interest.section]
    assert evidence.document_sections("osa-review") == {}  # not hit, not gathered
    assert evidence.corpus is CORPUS and not evidence.has_patient


def test_the_hits_are_passed_on_as_they_came():
    found = hits(limits, criteria, best_dense=0.61)
    evidence = gather(understand("Is IVIG covered?"), found, INDEX, CORPUS, has_patient=True)
    assert evidence.hits is found and evidence.hits.best_dense == 0.61 and evidence.has_patient


def test_disagreements_only_about_the_question_s_words():
    assert gathered("Is IVIG medically necessary for myasthenia gravis?", limits).disagreements == [mg_disagreement]
    assert gathered("Is CPAP covered for obstructive sleep apnea?", limits).disagreements == [cpap_disagreement]
    assert gathered("Is a knee replacement covered?", limits).disagreements == []
    assert gathered("Is it medically necessary?", limits).disagreements == []  # no topic words at all


def test_a_superseded_document_s_disagreement_is_not_gathered():
    found = gathered("Did the AAN and the EFNS disagree on IVIG for myasthenia gravis crisis?", old_disagreement)
    assert old_disagreement not in found.disagreements and found.disagreements == [mg_disagreement]


def first_sentence(c):
    return split_chunk(c)[0]


def test_citable_passages_are_the_hits_then_what_the_decision_quotes_then_the_disagreements():
    evidence = gathered("Is IVIG medically necessary for myasthenia gravis?", limits, recommendation)
    assert evidence.disagreements == [mg_disagreement]
    decision = Decision("no", deciding=[first_sentence(limits), first_sentence(criteria)],
                        criteria=[(CriterionLine("The MG-ADL score is 6 or more."), Evaluation("not_met"),
                                   first_sentence(criteria_2)),
                                  (CriterionLine("Another line."), Evaluation("met"), first_sentence(criteria))])
    passages = citable_passages(decision, evidence)
    assert [h.chunk for h in passages] == [limits, recommendation, criteria, criteria_2, mg_disagreement]
    assert passages[:2] == list(evidence.hits) and all(h.score == 0.0 for h in passages[2:])


def test_a_refused_question_cites_no_disagreement():
    evidence = gathered("Is IVIG medically necessary for myasthenia gravis?", limits)
    passages = citable_passages(Decision("cannot_answer", "not_in_corpus"), evidence)
    assert [h.chunk for h in passages] == [limits]


def test_a_disagreement_already_hit_is_listed_once():
    evidence = gathered("Is IVIG medically necessary for myasthenia gravis?", mg_disagreement, limits)
    passages = citable_passages(Decision("conditional", deciding=[first_sentence(mg_disagreement)]), evidence)
    assert [h.chunk for h in passages] == [mg_disagreement, limits]


def test_disagreements_that_score_alike_come_in_document_order_whatever_their_chunk_ids():
    from app.engine.gather import disagreements

    text = "Sources disagree on IVIG dosing for myasthenia gravis maintenance."
    first = chunk("mg-dosing", text, section="Where sources disagree", title="MG dosing", n=1, doc_type="guideline")
    second = chunk("mg-dosing", text.replace("dosing", "intervals"), section="Where sources disagree",
                   title="MG dosing", n=2, doc_type="guideline")
    third = chunk("mg-dosing", text.replace("dosing", "courses"), section="Where sources disagree",
                  title="MG dosing", n=3, doc_type="guideline")
    frame = understand("Is IVIG maintenance for myasthenia gravis covered?")
    for ids in (("z", "y", "x"), ("a", "b", "c"), ("m", "a", "z")):  # ids as text hashes fall, any order
        found = [c.model_copy(update={"chunk_id": f"mg-dosing#{i}"}) for c, i in zip((first, second, third), ids)]
        index = make_index(*found)
        assert [c.ordinal for c in disagreements(frame, [], index, limit=2)] == [1, 2]
