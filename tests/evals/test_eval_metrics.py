"""Every metric on a tiny, hand-computed example (k = 2).

    case     expected        got             expected sources         retrieved (distinct)   citations
    ivig     no              yes  (wrong)    ivig                     ivig, cpap             ivig ok
    cpap     yes             yes             cpap                     tms, pots, cpap        cpap, fabricated quote
    tms      yes             yes             tms, depression          tms, ivig              tms ok; pots chunk not retrieved
    liver    cannot_answer   no   (should have abstained)  -          ivig                   ivig ok
    pots     informational   cannot_answer (abstained wrongly) pots   (nothing)              -
    kidney   cannot_answer   cannot_answer   -                        (nothing)              -
"""

from __future__ import annotations

import pytest
from eval_fakes import make_answer

from evals.cases import GoldCase
from evals.metrics import mentions, score_case, summarize

CHUNKS = {
    "ivig#1": "Maintenance IVIG is not medically necessary for MG. Dose 2 g/kg per course.",
    "cpap#1": "CPAP is covered when the AHI is 15 or more.",
    "tms#1": "TMS is covered after two failed antidepressants.",
    "tms#2": "TMS sessions: up to 36.",
    "pots#1": "Propranolol may help.",
}


def case(id, verdict, sources, **extra):
    return GoldCase(id=id, question=f"question {id}?", expected_verdict=verdict, expected_sources=sources, **extra)


EXAMPLE = [
    (case("ivig", "no", ["ivig"], must_mention=["1 g/kg|2 g/kg", "maintenance"], tags=["ivig", "mg"]),
     make_answer("q", "yes", retrieved=[("ivig", "ivig#1"), ("cpap", "cpap#1")],
                 citations=[("ivig", "ivig#1", "Maintenance IVIG is not medically\n necessary")],
                 summary="MAINTENANCE dosing of 2  G/\tKG is requested.")),
    (case("cpap", "yes", ["cpap"], must_mention=["AHI 15"], tags=["cpap"]),
     make_answer("q", "yes", retrieved=[("tms", "tms#1"), ("pots", "pots#1"), ("cpap", "cpap#1")],
                 citations=[("cpap", "cpap#1", "CPAP is always covered")], summary="Covered.")),
    (case("tms", "yes", ["tms", "depression"], must_not_mention=["never covered"], tags=["tms"]),
     make_answer("q", "yes", retrieved=[("tms", "tms#1"), ("tms", "tms#2"), ("ivig", "ivig#1")],
                 citations=[("tms", "tms#1", "after two failed antidepressants"), ("pots", "pots#1", "Propranolol may help.")],
                 summary="Covered, although TMS is NEVER   covered for bipolar disorder.")),
    (case("liver", "cannot_answer", [], tags=["abstain"]),
     make_answer("q", "no", retrieved=[("ivig", "ivig#1")], citations=[("ivig", "ivig#1", "Dose 2 g/kg per course.")])),
    (case("pots", "informational", ["pots"], tags=["pots"]), make_answer("q", "cannot_answer")),
    (case("kidney", "cannot_answer", [], tags=["abstain"]), make_answer("q", "cannot_answer")),
]
LATENCIES = [100.0, 200.0, 300.0, 400.0, 500.0, 600.0]


@pytest.fixture(scope="module")
def outcomes():
    return [score_case(c, a, CHUNKS, ms) for (c, a), ms in zip(EXAMPLE, LATENCIES)]


@pytest.fixture(scope="module")
def metrics(outcomes):
    return summarize(outcomes, k=2)


def test_verdict_accuracy_and_confusion_matrix(metrics):
    assert metrics["verdict_accuracy"] == 0.5  # cpap, tms, kidney right; ivig, liver, pots wrong
    cm = metrics["confusion_matrix"]
    assert cm["no"]["yes"] == 1
    assert cm["yes"]["yes"] == 2
    assert cm["cannot_answer"] == {"yes": 0, "no": 1, "cannot_answer": 1, "informational": 0}
    assert cm["informational"]["cannot_answer"] == 1
    assert sum(n for row in cm.values() for n in row.values()) == 6


def test_balanced_accuracy_weighs_each_expected_verdict_alike_and_wrong_yes_is_counted(metrics):
    # per expected verdict: no 0/1, yes 2/2, cannot_answer 1/2, informational 0/1
    assert metrics["balanced_accuracy"] == pytest.approx((0 + 1 + 0.5 + 0) / 4, abs=1e-4)
    assert metrics["wrong_yes"] == 1  # ivig: expected no, answered yes


def test_source_recall_mrr_and_coverage_over_answerable_cases(metrics):
    assert metrics["n_answerable"] == 4  # liver and kidney name no sources
    # hits in the top 2 documents: ivig yes, cpap no (rank 3), tms yes, pots no (nothing retrieved)
    assert metrics["source_recall_at_k"] == 0.5
    # reciprocal ranks 1, 1/3, 1, 0; a duplicate tms chunk does not push ivig down
    assert metrics["source_mrr"] == pytest.approx((1 + 1 / 3 + 1 + 0) / 4, abs=1e-4)
    # share of expected sources found: 1, 0, 1/2 (depression missing), 0
    assert metrics["source_coverage_at_k"] == pytest.approx(1.5 / 4)


def test_missed_source_is_reported_per_case(outcomes):
    cpap = outcomes[1]
    assert cpap.retrieved_document_ids == ["tms", "pots", "cpap"] and cpap.first_relevant_rank() == 3


def test_citation_precision_counts_cited_documents_on_answerable_cases(metrics):
    # cited documents: ivig {ivig} 1/1, cpap {cpap} 1/1, tms {tms, pots} 1/2; liver is not answerable
    assert metrics["citation_precision"] == 0.75


def test_citation_validity_catches_fabricated_quotes_and_unretrieved_chunks(outcomes, metrics):
    # 5 citations: ivig ok (whitespace differs only), cpap fabricated, tms ok, pots chunk not retrieved, liver ok
    assert metrics["citation_validity"] == 0.6
    assert outcomes[0].invalid_citations == []
    assert "quote is not in the chunk" in outcomes[1].invalid_citations[0]
    assert "not retrieved" in outcomes[2].invalid_citations[0]


def test_must_mention_with_alternatives_case_and_whitespace(outcomes, metrics):
    assert outcomes[0].must_mention_missing == []  # "2 g/kg" alternative found as "2  G/\tKG"
    assert outcomes[1].must_mention_missing == ["AHI 15"]
    assert metrics["must_mention_rate"] == pytest.approx(2 / 3, abs=1e-4)


def test_must_not_mention_violations(outcomes, metrics):
    assert outcomes[2].must_not_mention_found == ["never covered"]
    assert metrics["must_not_mention_violations"] == 1


def test_wrong_abstentions_lower_cannot_answer_precision_and_recall(metrics):
    # abstained: pots (wrong), kidney (right); expected abstentions: liver (missed), kidney (made)
    assert metrics["cannot_answer_precision"] == 0.5
    assert metrics["cannot_answer_recall"] == 0.5


def test_latency_percentiles(metrics):
    assert metrics["latency_ms_p50"] == 350.0
    assert metrics["latency_ms_p95"] == 575.0


def test_per_tag_metrics(metrics):
    per_tag = metrics["per_tag"]
    assert sorted(per_tag) == ["abstain", "cpap", "ivig", "mg", "pots", "tms"]
    assert per_tag["tms"]["verdict_accuracy"] == 1.0 and per_tag["tms"]["source_recall_at_k"] == 1.0
    assert per_tag["cpap"]["source_recall_at_k"] == 0.0 and per_tag["cpap"]["source_mrr"] == pytest.approx(0.3333)
    abstain = per_tag["abstain"]
    assert abstain["n_cases"] == 2 and abstain["source_recall_at_k"] is None  # nothing answerable to score
    assert abstain["cannot_answer_precision"] == 1.0 and abstain["cannot_answer_recall"] == 0.5


def test_engine_error_scores_as_a_wrong_answer():
    outcome = score_case(case("x", "yes", ["ivig"], must_mention=["IVIG"]), None, CHUNKS, 5.0, error="IndexUnavailable: no index")
    m = summarize([outcome], k=5)
    assert outcome.verdict == "error" and m["errors"] == 1 and m["verdict_accuracy"] == 0.0
    assert m["source_recall_at_k"] == 0.0 and m["must_mention_rate"] == 0.0
    assert m["confusion_matrix"] == {"yes": {"yes": 0, "error": 1}}


def test_mentions():
    assert mentions("Dose: 1 G / kg\nevery 3 weeks", "1g/kg")
    assert mentions("Refractory MG", "refractory  generalized MG|refractory mg")
    assert not mentions("2 g/kg", "1 g/kg|0.4 g/kg")
    assert not mentions("anything", "")
