"""The recommendation a guideline question is about, chosen among the records compiled at ingest
(``app.engine.compiled.Recommendation``) by meaning: the question (with the patient's record) is
compared with each recommendation of the top guideline documents by the embedding model, plus a
smaller weight for shared words, and a recommendation whose age band or sex excludes the patient
is never chosen. Then its stance decides: for → yes, against → no, individual → conditional,
insufficient → insufficient_evidence."""

from __future__ import annotations

from dataclasses import dataclass

from app.engine.compiled import Recommendation
from app.engine.decide.meaning import Similarity
from app.engine.read import Frame
from app.engine.records import Evidence
from app.engine.text.tokens import overlap

DOCUMENTS = 3  # the top guideline documents of the retrieval whose recommendations compete
WORD_WEIGHT = 0.5  # weight of shared words beside the embedding cosine
DOCUMENT_RANK_PENALTY = 0.03  # per guideline document ahead in retrieval order
CONTRARY_MARGIN = 0.1  # a recommendation of the opposite stance this close: too close to call

VERDICT_OF_STANCE = {"for": "yes", "against": "no", "individual": "conditional", "insufficient": "insufficient_evidence"}
STATEMENT_STANCE = {"for": "recommends", "against": "against", "individual": "individual", "insufficient": "insufficient"}


@dataclass(frozen=True)
class Choice:
    record: Recommendation
    score: float
    cosine: float
    contrary: Recommendation | None  # for a 'for': the best 'against' within CONTRARY_MARGIN

    @property
    def verdict(self) -> str:
        return VERDICT_OF_STANCE[self.record.stance]


def fits(record: Recommendation, frame: Frame) -> bool:
    """False when the record's age band or sex leaves the patient out."""
    age, sex = frame.facts.age, frame.facts.sex
    band = record.age
    if band is not None and age is not None:
        if band.lower is not None and (age < band.lower or (age == band.lower and not band.lower_inclusive)):
            return False
        if band.upper is not None and (age > band.upper or (age == band.upper and not band.upper_inclusive)):
            return False
    return not (record.sex and sex and record.sex != sex)


def guideline_documents(evidence: Evidence) -> list[str]:
    out: list[str] = []
    for hit in evidence.hits:
        doc = hit.chunk.document_id
        if hit.chunk.doc_type == "guideline" and doc not in out:
            out.append(doc)
    return out[:DOCUMENTS]


def choose(frame: Frame, evidence: Evidence, similarity: Similarity) -> Choice | None:
    """The closest recommendation whose population holds the patient, or None when the top
    guideline documents compiled none."""
    candidates: list[tuple[int, Recommendation]] = []
    for rank, doc in enumerate(guideline_documents(evidence)):
        compiled = evidence.compiled.get(doc)
        if compiled is not None:
            candidates += [(rank, r) for r in compiled.recommendations if fits(r, frame)]
    if not candidates:
        return None
    query = frame.with_record
    cosines = similarity.similarities(query, [r.text for _, r in candidates])
    words = frame.query_words()
    scored = sorted(((float(cos) + WORD_WEIGHT * overlap(words, r.text) - DOCUMENT_RANK_PENALTY * rank, float(cos), i)
                     for i, ((rank, r), cos) in enumerate(zip(candidates, cosines))), reverse=True)
    score, cosine, best_i = scored[0]
    best = candidates[best_i][1]
    contrary = None
    if best.stance == "for":  # a "yes" needs no recommendation against nearly as close
        contrary = next((candidates[i][1] for s, _, i in scored[1:]
                         if score - s <= CONTRARY_MARGIN and candidates[i][1].stance == "against"), None)
    return Choice(best, score, cosine, contrary)
