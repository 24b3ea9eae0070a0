"""Deterministic scores for answers against gold cases; no LLM judge.

Two steps, both pure: :func:`score_case` reduces one answer to the facts the metrics need (a
:class:`CaseOutcome`), and :func:`summarize` turns a list of outcomes into the metrics, overall and per
tag. Retrieval metrics are computed at the *document* level (distinct document ids in rank order) with
trec_eval semantics through ranx: only answerable cases (those naming expected sources) count, and a
case that retrieved nothing scores 0. Confidence metrics rank cases by the answers' ``confidence``.
"""

from __future__ import annotations

import math
import re
import warnings
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Mapping

import numpy as np

from app.schemas import VERDICTS, Answer

ERROR = "error"  # the verdict recorded when the engine raised instead of answering
CANNOT_ANSWER = "cannot_answer"
_WS = re.compile(r"\s+")

# Headline metrics, in display order, with what they mean to a reader of the report.
HEADLINE: dict[str, str] = {
    "verdict_accuracy": "Share of cases whose verdict matches the expected one.",
    "balanced_accuracy": "Mean, over the expected verdicts present, of the share of each answered right.",
    "accuracy_at_80": "Verdict accuracy of the 80 % most confident answers (n/a without a confidence model).",
    "wrong_yes": "Answers 'yes' where the expected verdict is 'no' or 'conditional' (the worst error).",
    "wrong_yes_confident": "Of those wrong 'yes' answers, the ones not flagged for review (n/a without a confidence model).",
    "source_recall_at_k": "Share of answerable cases with an expected source among the top-k retrieved documents.",
    "source_mrr": "Mean reciprocal rank of the first expected source among the retrieved documents.",
    "source_coverage_at_k": "Share of all expected sources found in the top-k retrieved documents (trec recall@k).",
    "citation_precision": "Share of cited documents that are expected sources (answerable cases).",
    "citation_validity": "Share of citations whose quote is verbatim in a chunk the answer retrieved (must be 1.0).",
    "must_mention_rate": "Share of required facts the answer mentions.",
    "must_not_mention_violations": "Number of forbidden statements found in answers.",
    "cannot_answer_precision": "Of the abstentions, the share that were expected.",
    "cannot_answer_recall": "Of the expected abstentions, the share the engine made.",
    "errors": "Cases where the engine raised an error instead of answering.",
    "latency_ms_p50": "Median time to answer (ms).",
    "latency_ms_p95": "95th percentile time to answer (ms).",
}
HIGHER_IS_BETTER = frozenset(HEADLINE) - {"must_not_mention_violations", "errors", "wrong_yes", "wrong_yes_confident",
                                           "latency_ms_p50", "latency_ms_p95"}
WRONG_YES_GOLD = frozenset({"no", "conditional"})
COVERAGES, ECE_BINS = (0.5, 0.8, 1.0), 10  # accuracy_at_coverage keys: "0.5", "0.8", "1.0"


@dataclass
class CaseOutcome:
    id: str
    expected_verdict: str
    verdict: str
    expected_sources: list[str]
    retrieved_document_ids: list[str]  # distinct, in rank order
    cited_document_ids: list[str]  # distinct, in citation order
    latency_ms: float
    tags: list[str] = field(default_factory=list)
    citations_total: int = 0
    invalid_citations: list[str] = field(default_factory=list)  # one reason per bad citation
    must_mention_total: int = 0
    must_mention_missing: list[str] = field(default_factory=list)
    must_not_mention_found: list[str] = field(default_factory=list)
    error: str | None = None
    confidence: float | None = None  # the answer's; None without a confidence model or on an engine error
    needs_review: bool = False

    @property
    def correct(self) -> bool:
        return self.verdict == self.expected_verdict

    @property
    def answerable(self) -> bool:
        return bool(self.expected_sources)

    def first_relevant_rank(self) -> int | None:
        """1-based rank of the first expected source among the retrieved documents."""
        for rank, doc in enumerate(self.retrieved_document_ids, start=1):
            if doc in self.expected_sources:
                return rank
        return None


def normalize(text: str) -> str:
    """Case-folded, every whitespace run removed: '1 g/kg' and '1g/KG' compare equal."""
    return _WS.sub("", text).casefold()


def mentions(text: str, item: str) -> bool:
    """True when ``text`` holds ``item`` or one of its ``|``-separated alternatives."""
    haystack = normalize(text)
    return any(alt and alt in haystack for alt in (normalize(a) for a in item.split("|")))


def distinct(ids) -> list[str]:
    return list(dict.fromkeys(ids))


def check_citations(answer: Answer, chunk_text: Mapping[str, str]) -> list[str]:
    """Reasons, one per invalid citation: the quote must be verbatim (up to whitespace) in the
    cited chunk, and that chunk must be among the passages the answer retrieved."""
    retrieved = {p.chunk_id: p.document_id for p in answer.retrieved}
    problems = []
    for c in answer.citations:
        label = f"[{c.id}] {c.chunk_id}"
        if c.chunk_id not in retrieved:
            problems.append(f"{label}: cites a chunk that was not retrieved")
        elif retrieved[c.chunk_id] != c.document_id:
            problems.append(f"{label}: document {c.document_id!r} does not hold this chunk")
        elif c.chunk_id not in chunk_text:
            problems.append(f"{label}: chunk is not in the index")
        elif not c.quote.strip() or _WS.sub(" ", c.quote).strip() not in _WS.sub(" ", chunk_text[c.chunk_id]):
            problems.append(f"{label}: quote is not in the chunk: {c.quote[:80]!r}")
    return problems


def score_case(case, answer: Answer | None, chunk_text: Mapping[str, str], latency_ms: float,
               error: str | None = None) -> CaseOutcome:
    """Reduce one answer (or an engine error, ``answer=None``) to what the metrics count."""
    outcome = CaseOutcome(
        id=case.id, expected_verdict=case.expected_verdict, verdict=ERROR, tags=list(case.tags),
        expected_sources=list(case.expected_sources), retrieved_document_ids=[], cited_document_ids=[],
        latency_ms=latency_ms, must_mention_total=len(case.must_mention),
        must_mention_missing=list(case.must_mention), error=error,
    )
    if answer is None:
        return outcome
    text = answer.all_text()
    outcome.verdict = answer.verdict
    outcome.confidence, outcome.needs_review = answer.confidence, answer.needs_review
    outcome.retrieved_document_ids = distinct(p.document_id for p in sorted(answer.retrieved, key=lambda p: p.rank))
    outcome.cited_document_ids = distinct(c.document_id for c in answer.citations)
    outcome.citations_total = len(answer.citations)
    outcome.invalid_citations = check_citations(answer, chunk_text)
    outcome.must_mention_missing = [m for m in case.must_mention if not mentions(text, m)]
    outcome.must_not_mention_found = [m for m in case.must_not_mention if mentions(text, m)]
    return outcome


def _share(num: float, den: float) -> float | None:
    return round(num / den, 4) if den else None


RETRIEVAL = ("source_recall_at_k", "source_mrr", "source_coverage_at_k")


def retrieval_scores(outcomes: list[CaseOutcome], k: int) -> dict[str, dict[str, float]]:
    """Per answerable case: hit_rate@k, reciprocal rank and recall@k, computed by ranx in one
    pass (trec_eval semantics; a case that retrieved nothing scores 0)."""
    answerable = [o for o in outcomes if o.answerable]
    names = {f"hit_rate@{k}": "source_recall_at_k", "mrr": "source_mrr", f"recall@{k}": "source_coverage_at_k"}
    scores = {o.id: dict.fromkeys(RETRIEVAL, 0.0) for o in answerable}
    ranked = {o.id: o.retrieved_document_ids for o in answerable if o.retrieved_document_ids}
    if not ranked:
        return scores
    from ranx import Qrels, Run, evaluate

    qrels = Qrels({o.id: {doc: 1 for doc in o.expected_sources} for o in answerable})
    # Strictly decreasing scores keep the engine's order (no ties for ranx to break).
    run = Run({qid: {doc: 1.0 / r for r, doc in enumerate(docs, start=1)} for qid, docs in ranked.items()})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # numba's type-safety notes
        evaluate(qrels, run, list(names), make_comparable=True)
    for theirs, ours in names.items():
        for qid, value in run.scores[theirs].items():
            scores[qid][ours] = float(value)
    return scores


def confusion_matrix(outcomes: list[CaseOutcome]) -> dict[str, dict[str, int]]:
    """expected verdict -> verdict given -> count (observed labels only, in schema order)."""
    counts = Counter((o.expected_verdict, o.verdict) for o in outcomes)
    labels = [v for v in (*VERDICTS, ERROR) if any(v in pair for pair in counts)]
    return {e: {g: counts[(e, g)] for g in labels} for e in labels if any(counts[(e, g)] for g in labels)}


def percentile(values: list[float], q: float) -> float | None:
    return round(float(np.percentile(values, q)), 1) if values else None


def balanced_accuracy(outcomes: list[CaseOutcome]) -> float | None:
    """The mean per-verdict recall: a set with 40 'no' and 5 'conditional' cases weighs both alike."""
    expected = sorted({o.expected_verdict for o in outcomes})
    recalls = [sum(o.correct for o in outcomes if o.expected_verdict == v)
               / sum(o.expected_verdict == v for o in outcomes) for v in expected]
    return round(sum(recalls) / len(recalls), 4) if recalls else None


def by_confidence(outcomes: list[CaseOutcome]) -> list[CaseOutcome]:
    """Most confident first, ties by case id; cases without a confidence (engine errors) last."""
    return sorted(outcomes, key=lambda o: (o.confidence is None, -(o.confidence or 0.0), o.id))


def covered(q: float, n: int) -> int:
    """How many of ``n`` cases a coverage of ``q`` keeps: ceil(q·n), at least one."""
    return max(1, math.ceil(q * n - 1e-9))  # 0.07 * 100 is 7.000000000000001 in floating point


def accuracy_at_coverage(outcomes: list[CaseOutcome]) -> dict[str, float] | None:
    """Verdict accuracy of the ceil(q·n) most confident cases, for q in COVERAGES; None when no
    case has a confidence. Coverage counts every case, so "1.0" is the verdict accuracy."""
    if all(o.confidence is None for o in outcomes):
        return None
    tops = {str(q): by_confidence(outcomes)[:covered(q, len(outcomes))] for q in COVERAGES}
    return {q: _share(sum(o.correct for o in top), len(top)) for q, top in tops.items()}


def risk_coverage(outcomes: list[CaseOutcome]) -> list[dict] | None:
    """The risk–coverage curve: at each distinct confidence, answering only the cases at least that
    confident, the share of cases answered (coverage) and the share of those wrong (risk)."""
    if all(o.confidence is None for o in outcomes):
        return None
    ranked, points, right = by_confidence(outcomes), [], 0
    for i, o in enumerate(ranked, start=1):
        right += o.correct
        if i == len(ranked) or ranked[i].confidence != o.confidence:
            points.append({"confidence": o.confidence, "coverage": round(i / len(ranked), 4), "risk": round(1 - right / i, 4)})
    return points


def expected_calibration_error(outcomes: list[CaseOutcome]) -> float | None:
    """ECE over ECE_BINS equal-width confidence bins: the case-weighted mean, over bins, of
    |mean confidence − accuracy| (0 when a confidence of 0.8 is right 8 times in 10)."""
    bins = defaultdict(list)
    for o in outcomes:
        if o.confidence is not None:
            bins[min(int(o.confidence * ECE_BINS), ECE_BINS - 1)].append(o)
    gaps = sum(abs(sum(o.confidence for o in b) - sum(o.correct for o in b)) for b in bins.values())
    return _share(gaps, sum(len(b) for b in bins.values()))


def confidence_metrics(outcomes: list[CaseOutcome]) -> dict:
    """Accuracy at coverage, the review flags and calibration; all None when no case has a confidence.
    The review figures count answers (engine errors are not answers)."""
    coverage = accuracy_at_coverage(outcomes)
    answered = [o for o in outcomes if o.error is None]
    kept = [o for o in answered if not o.needs_review]
    metrics = {
        "accuracy_at_coverage": coverage,
        "accuracy_at_80": (coverage or {}).get("0.8"),
        "wrong_yes_confident": sum(o.verdict == "yes" and o.expected_verdict in WRONG_YES_GOLD for o in kept),
        "review_rate": _share(sum(o.needs_review for o in answered), len(answered)),
        "accuracy_when_not_flagged": _share(sum(o.correct for o in kept), len(kept)),
        "ece": expected_calibration_error(outcomes),
    }
    return metrics if coverage is not None else dict.fromkeys(metrics)


def case_metrics(outcomes: list[CaseOutcome], retrieval: dict[str, dict[str, float]]) -> dict:
    """The headline metrics over one group of cases (``retrieval``: from :func:`retrieval_scores`)."""
    n = len(outcomes)
    answerable = [o for o in outcomes if o.answerable]
    cited = sum(len(o.cited_document_ids) for o in answerable)
    cited_expected = sum(len(set(o.cited_document_ids) & set(o.expected_sources)) for o in answerable)
    citations = sum(o.citations_total for o in outcomes)
    invalid = sum(len(o.invalid_citations) for o in outcomes)
    mention_items = sum(o.must_mention_total for o in outcomes)
    mention_missing = sum(len(o.must_mention_missing) for o in outcomes)
    abstained = [o for o in outcomes if o.verdict == CANNOT_ANSWER]
    expected_abstain = [o for o in outcomes if o.expected_verdict == CANNOT_ANSWER]
    latencies = [o.latency_ms for o in outcomes]
    return {
        "n_cases": n,
        "n_answerable": len(answerable),
        "verdict_accuracy": _share(sum(o.correct for o in outcomes), n),
        "balanced_accuracy": balanced_accuracy(outcomes),
        "wrong_yes": sum(o.verdict == "yes" and o.expected_verdict in WRONG_YES_GOLD for o in outcomes),
        **{m: _share(sum(retrieval[o.id][m] for o in answerable), len(answerable)) for m in RETRIEVAL},
        "citation_precision": _share(cited_expected, cited),
        "citation_validity": _share(citations - invalid, citations),
        "must_mention_rate": _share(mention_items - mention_missing, mention_items),
        "must_not_mention_violations": sum(len(o.must_not_mention_found) for o in outcomes),
        "cannot_answer_precision": _share(sum(o.expected_verdict == CANNOT_ANSWER for o in abstained), len(abstained)),
        "cannot_answer_recall": _share(sum(o.verdict == CANNOT_ANSWER for o in expected_abstain), len(expected_abstain)),
        "errors": sum(o.error is not None for o in outcomes),
        "latency_ms_p50": percentile(latencies, 50),
        "latency_ms_p95": percentile(latencies, 95),
        **confidence_metrics(outcomes),
    }


def summarize(outcomes: list[CaseOutcome], k: int) -> dict:
    """Overall metrics, the confusion matrix, the risk–coverage curve, and the same metrics (no
    matrix, no curve) per tag (tags sorted)."""
    tags = sorted({t for o in outcomes for t in o.tags})
    retrieval = retrieval_scores(outcomes, k)
    return {
        "k": k,
        **case_metrics(outcomes, retrieval),
        "confusion_matrix": confusion_matrix(outcomes),
        "risk_coverage": risk_coverage(outcomes),
        "per_tag": {t: case_metrics([o for o in outcomes if t in o.tags], retrieval) for t in tags},
    }
