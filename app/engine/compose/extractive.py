"""The extractive composer: builds the :class:`~app.schemas.Answer` from the decision and the
passages it may cite (``compose.passages``). No model writes text: every statement is a source sentence with its citation;
the only words of our own are the verdict's framing and the labels."""

from __future__ import annotations

import re

from app.engine.read import Frame
from app.engine.records import Decision, Hit
from app.engine.text.sentences import sentence_around
from app.engine.text.statements import NEGATIVE, POSITIVE, Sentence, disagreement_score, is_disagreement, split_chunk
from app.engine.text.tokens import overlap, stems
from app.engine.text.vocabulary import canonical, synonym_terms
from app.schemas import Answer, Citation, Conflict, Criterion, NumericCheck, QuestionFrame, RetrievedPassage, Statement

VERDICT_PHRASES = {
    "yes": "Yes: the criteria are met",
    "no": "No: the request does not meet the criteria",
    "conditional": "Conditional: covered only when the criteria below are met",
    "insufficient_evidence": "Insufficient evidence: the sources do not settle this question",
    "cannot_answer": "Cannot answer: the indexed documents do not cover this question",
    "informational": "From the sources",
}
_ALTERNATIVE = re.compile(r"alternative|instead|second[- ]line|next step|switch|other option|in place of|rescue|or plasma exchange|plasma exchange", re.I)


class Citer:
    """Numbers citations in order of first use; one citation per quoted sentence. A statement cut
    from a longer sentence (at a '; ') is quoted as that whole sentence, verbatim from its chunk, so
    a quote never ends at "(Sanders 2016;"; two statements from one sentence share its citation."""

    def __init__(self):
        self.citations: list[Citation] = []
        self._ids: dict[tuple[str, str], int] = {}

    def cite(self, s: Sentence) -> int:
        c = s.chunk
        begin, end = sentence_around(c.text, s.start, s.start + len(s.text))
        quote = c.text[begin:end]
        key = (c.chunk_id, quote)
        if key not in self._ids:
            self._ids[key] = len(self.citations) + 1
            self.citations.append(Citation(
                id=len(self.citations) + 1, document_id=c.document_id, chunk_id=c.chunk_id, title=c.title,
                section=c.section, page=c.page_start, quote=quote, source=c.source,
                issuer=c.issuer, effective_date=c.effective_date, doc_type=c.doc_type,
            ))
        return self._ids[key]

    def statement(self, s: Sentence) -> Statement:
        return Statement(text=s.text, citations=[self.cite(s)])


def _sentences(hits: list[Hit]) -> list[Sentence]:
    return [s for h in hits for s in split_chunk(h.chunk)]


def _conflicts(frame: Frame, hits: list[Hit], citer: Citer) -> list[Conflict]:
    """Sources that disagree: a 'Where sources disagree' passage, or a policy and a guideline
    taking opposite stances on the question's topic."""
    words = stems(" ".join(frame.topic_words + frame.terms))
    out: list[Conflict] = []
    chunks = [h.chunk for h in hits if is_disagreement(h.chunk.section) and overlap(words, h.chunk.text) >= 0.3]
    chunks.sort(key=lambda c: -disagreement_score(words, c))  # the passage most about the question first
    for chunk in chunks[:1]:
        sentences = split_chunk(chunk)[:4]
        if len(sentences) >= 2:
            out.append(Conflict(topic=f"Where sources disagree — {chunk.title} ({chunk.effective_date})",
                                positions=[citer.statement(s) for s in sentences]))
    relevant = [s for s in _sentences(hits) if overlap(words, s.text) >= 0.5]
    policy_neg = next((s for s in relevant if s.chunk.doc_type == "policy" and s.stance in NEGATIVE), None)
    guide_pos = next((s for s in relevant if s.chunk.doc_type == "guideline" and s.stance in POSITIVE), None)
    if policy_neg and guide_pos:
        out.append(Conflict(
            topic=f"{policy_neg.chunk.title} ({policy_neg.chunk.effective_date}) vs. "
                  f"{guide_pos.chunk.title} ({guide_pos.chunk.effective_date})",
            positions=[citer.statement(policy_neg), citer.statement(guide_pos)],
        ))
    return out


def compose(question: str, frame: Frame, decision: Decision, hits: list[Hit]) -> Answer:
    citer = Citer()
    answer = Answer(
        question=question, verdict=decision.verdict, reason=decision.reason, summary="",
        understood=QuestionFrame(
            kind=frame.kind if frame.kind != "informational" else "clinical",
            intervention=", ".join(frame.terms) or None,
            condition=None, regimen=frame.regimen.as_dict(), patient=frame.facts.as_dict(),
        ),
        retrieved=[RetrievedPassage(rank=i + 1, chunk_id=h.chunk.chunk_id, document_id=h.chunk.document_id,
                                    title=h.chunk.title, section=h.chunk.section, page=h.chunk.page_start,
                                    score=round(h.score, 6), doc_type=h.chunk.doc_type, status=h.chunk.status)
                   for i, h in enumerate(hits)],
    )
    if decision.verdict == "cannot_answer":
        answer.summary = VERDICT_PHRASES["cannot_answer"] + (
            " (the question is not in English)." if decision.reason == "not_english" else ".")
        answer.missing_information = ["A document that addresses this question would need to be ingested."]
        return answer

    rationale = [citer.statement(s) for s in decision.deciding]
    lead = decision.deciding[0] if decision.deciding else None
    answer.summary = VERDICT_PHRASES[decision.verdict] + (f" — {lead.text} [{citer.cite(lead)}]" if lead else ".")
    answer.summary += _what_decided(decision, citer)

    for line, ev, sentence in decision.criteria:
        cites = [citer.cite(sentence)] if sentence else []
        options = "; ".join(child.text.rstrip(";.") for child in line.children)
        text = f"{line.text} {options}." if options else line.text  # "ANY of the following:" with its options
        answer.criteria.append(Criterion(text=text, status=ev.status, detail=ev.detail, citations=cites))
        if ev.detail.startswith("requested"):
            answer.numeric_checks.append(NumericCheck(quantity="regimen", requested=ev.detail.split(" vs ")[0],
                                                      limit=line.text, within_limit=ev.status == "met", citations=cites))
        if ev.status == "not_documented":
            if line.children:
                answer.missing_information.append(f"Document whether any of these applies: {options}")
            else:
                answer.missing_information.append(f"Document whether: {line.text}")

    sentences = _sentences(hits)
    words = stems(" ".join(frame.topic_words + frame.terms))
    used = {s.text for s in decision.deciding}
    indications = [s for s in sentences if s.stance in POSITIVE and s.text not in used and overlap(words, s.text) >= 0.3][:3]
    # an alternative for this question's topic: from the deciding policy, or a passage that names
    # every term the question names (not "IVIG ... for GBS" to a question about IVIG for MG)
    asked = {canonical(t) for t in frame.terms}
    alternatives = [s for s in sentences if _ALTERNATIVE.search(s.text) and s.text not in used
                    and (s.chunk.document_id == decision.primary_document
                         or (overlap(words, s.text) >= 0.25
                             and asked <= {canonical(t) for t in synonym_terms(s.text)}))][:3]
    pitfalls = [s for s in sentences if (s.stance in NEGATIVE or s.stance == "limit") and s.text not in used
                and overlap(words, s.text) >= 0.3][:3]
    answer.sections = {
        "Rationale": rationale,
        "Appropriate indications": [citer.statement(s) for s in indications],
        "Alternatives": [citer.statement(s) for s in alternatives],
        "Pitfalls": [citer.statement(s) for s in pitfalls],
    }
    answer.sections = {k: v for k, v in answer.sections.items() if v}
    if decision.verdict == "insufficient_evidence" and decision.reason:
        answer.missing_information.append(f"Evidence that addresses this: {decision.reason}.")
    answer.conflicts = _conflicts(frame, hits, citer)
    answer.citations = citer.citations
    return answer


def _what_decided(decision: Decision, citer) -> str:
    """What the summary owes its table: for a ``no``, the criterion that failed and the fact or
    number that failed it; for a ``yes``, how many criteria nobody documented (the summary and the
    table never tell two stories)."""
    rows = [(line, ev, s) for line, ev, s in decision.criteria if ev.status != "not_applicable"]
    failed = [(line, ev, s) for line, ev, s in rows if ev.status == "not_met"]
    if decision.verdict == "no" and failed:
        line, ev, sentence = failed[0]
        cite = f" [{citer.cite(sentence)}]" if sentence else ""
        return f" Not met: {line.text.rstrip(' .:;')}{cite} — {ev.detail}."
    undocumented = sum(ev.status == "not_documented" for _, ev, _ in rows)
    if decision.verdict == "yes" and undocumented:
        return (f" {undocumented} of the {len(rows)} criteria {'is' if undocumented == 1 else 'are'} not documented: "
                "see the missing information.")
    return ""
