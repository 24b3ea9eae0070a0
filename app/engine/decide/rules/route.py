"""Which rules judge a question that passed the gate: a coverage question (or a clinical one in a
policy's terms) → the policy's criteria; an informational one → the closest statements; a
guideline question → their stance."""

from __future__ import annotations

import re

from app.engine.decide.rules.clinical import clinical
from app.engine.decide.rules.closest import best_sentences
from app.engine.decide.rules.policy import judge_policy
from app.engine.read import Frame
from app.engine.read.regimen import extract_regimen
from app.engine.records import Decision, Evidence
from app.engine.text.tokens import overlap, stems
from app.engine.text.vocabulary import POLICY_GENERIC_STEMS

_CRITERIA_LEAD = re.compile(r"when (?:all|any) of the following", re.I)


_RECOMMEND = re.compile(r"\brecommend", re.I)  # "is X recommended": a guideline question, even with a dose


def _primary_policy(frame: Frame, evidence: Evidence) -> str | None:
    """The current policy the question is about: retrieval rank, plus how well the question's own
    words (not their synonym expansion) match the policy's title and topics."""
    qwords = stems(frame.question)
    best, best_score = None, -1.0
    for rank, hit in enumerate(evidence.hits):
        c = hit.chunk
        if c.doc_type != "policy" or c.status != "current":
            continue
        meta = evidence.corpus.documents.get(c.document_id, {})
        label = f"{meta.get('title', c.title)} {' '.join(meta.get('topics', []))}"
        score = 1.0 / (rank + 1) + 2.0 * overlap(qwords - POLICY_GENERIC_STEMS, label)
        if score > best_score:
            best, best_score = c.document_id, score
    return best


def decide(frame: Frame, evidence: Evidence) -> Decision:
    """The verdict for a question the gate let through."""
    hits, has_patient = evidence.hits, evidence.has_patient
    policy = _primary_policy(frame, evidence)
    if frame.kind == "coverage" and policy is not None:
        return judge_policy(frame, evidence, policy)
    top_is_policy = hits[0].chunk.doc_type == "policy"
    asked = extract_regimen(frame.question)  # the question's own request, not the record's doses
    asks_regimen = asked.dose is not None or asked.count is not None
    if frame.kind == "clinical" and policy is not None and not _RECOMMEND.search(frame.question) and (
            asks_regimen or asked.interval_days or (top_is_policy and has_patient)):
        # "Can X be given every 8 weeks for this patient?" is a coverage question in a policy's terms
        return judge_policy(frame, evidence, policy)
    if frame.kind == "informational":
        return Decision("informational", deciding=best_sentences(frame, hits))
    best = best_sentences(frame, hits, limit=4)
    if has_patient and best and best[0].chunk.doc_type == "policy" and best[0].chunk.status == "current" \
            and _CRITERIA_LEAD.search(best[0].text):
        # the closest statement is a policy's "covered when ALL of the following": judge by its criteria
        return judge_policy(frame, evidence, best[0].chunk.document_id)
    return clinical(frame, evidence, best)
