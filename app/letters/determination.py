"""A reviewer's determination: the answer laid out as a letter — the request, member and requester
fields (blank ones are left for the user to fill), the verdict, each criterion with its evidence
and citation, the policy (name, version, effective date), the codes it lists that match the
request, the authorization period and quantity limits it states, what to submit to change the
outcome, and the decision-support disclaimer. Everything here comes from the ``Answer`` and from
the index the answer was drawn from; the renderers (``html``, ``pdf``, ``fhir``) only lay it out."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from typing import Protocol

from pydantic import BaseModel, Field

from app.chunks import Chunk
from app.engine.compiled import CompiledDocument, Limit
from app.engine.text.tokens import stems
from app.letters.codes import PolicyCode, concepts, policy_codes
from app.schemas import Answer, Citation, Criterion

DISCLAIMER = ("Decision support only. This draft determination was prepared by Criterion from the quoted text of "
              "the cited documents; it is not a coverage decision and does not replace clinical judgment or "
              "the issuer's current policy. A qualified reviewer must verify every criterion and citation "
              "against the source document before any determination is issued.")
VERDICT_LABELS = {
    "yes": "Meets criteria", "no": "Does not meet criteria",
    "conditional": "Meets criteria only if the missing information below is documented",
    "insufficient_evidence": "Insufficient evidence to determine",
    "cannot_answer": "Cannot be determined from the indexed documents",
    "informational": "Informational answer (no determination)",
}
STATUS_LABELS = {"met": "Met", "not_met": "Not met", "not_documented": "Not documented", "not_applicable": "Not applicable"}
_LIMIT_WORDS = re.compile(r"authori[sz]|reauthori[sz]|quantit|units?\b|per (?:month|year|week|day)|maximum|no more than",
                          re.I)


class IndexView(Protocol):
    """What the letter reads from the index the answer came from (``app.engine.retrieve.index.Index``)."""

    documents: dict
    chunks: dict
    compiled: dict


class Party(BaseModel):
    """The member or the requester; a field left empty is printed as a line to fill in."""

    name: str = Field("", max_length=200)
    identifier: str = Field("", max_length=100, description="Member id, or the requester's NPI.")
    detail: str = Field("", max_length=300, description="Date of birth, or the requester's organisation and contact.")


class PolicyRef(BaseModel):
    document_id: str
    title: str
    issuer: str = ""
    doc_type: str = ""
    status: str = ""
    version: str = Field(description="The document's revision, or the version by its dates when it names none.")
    effective_date: str = ""
    last_reviewed: str = ""
    sha256: str = Field("", description="Digest of the exact file the answer was drawn from.")
    primary: bool = False


class CriterionRow(BaseModel):
    text: str
    status: str
    status_label: str
    evidence: str
    citations: list[int]


class LimitLine(BaseModel):
    text: str
    citations: list[int]


class Determination(BaseModel):
    reference: str
    prepared_on: str
    question: str
    patient: str | None = None
    member: Party = Field(default_factory=Party)
    requester: Party = Field(default_factory=Party)
    verdict: str
    verdict_label: str
    summary: str
    reason: str | None = None
    confidence: float | None = None
    needs_review: bool = False
    criteria: list[CriterionRow] = Field(default_factory=list)
    policies: list[PolicyRef] = Field(default_factory=list)
    codes: list[PolicyCode] = Field(default_factory=list)
    limits: list[LimitLine] = Field(default_factory=list)
    to_submit: list[str] = Field(default_factory=list)
    citations: list[Citation] = Field(default_factory=list)
    disclaimer: str = DISCLAIMER

    @property
    def policy(self) -> PolicyRef | None:
        return next((p for p in self.policies if p.primary), None)

    def matching_codes(self) -> list[PolicyCode]:
        return [c for c in self.codes if c.matches]

    def other_codes(self) -> list[PolicyCode]:
        return [c for c in self.codes if not c.matches]


def determine(answer: Answer, index: IndexView, *, patient: str | None = None, member: Party | None = None,
              requester: Party | None = None, today: dt.date | None = None) -> Determination:
    """The determination letter for ``answer`` (to ``patient``'s context), read against the index
    it was drawn from."""
    citations = list(answer.citations)
    policies = _policies(answer, index.documents)
    primary = next((p for p in policies if p.primary), None)
    codes, limits = [], []
    if primary is not None:
        meta = index.documents.get(primary.document_id, {})
        ids = meta.get("chunk_ids")
        chunks = ([index.chunks[i] for i in ids if i in index.chunks] if ids is not None else
                  [c for c in index.chunks.values() if c.document_id == primary.document_id])
        declared = meta.get("codes", [])
        codes = policy_codes(declared, chunks, answer.question)
        compiled = index.compiled.get(primary.document_id)
        limits = _limits(compiled, answer.question, index.chunks, citations) if compiled else []
    prepared = (today or dt.datetime.now(dt.timezone.utc).date()).isoformat()
    return Determination(
        reference=_reference(answer.question, answer.understood.model_dump_json(), prepared),
        prepared_on=prepared, question=answer.question, patient=patient,
        member=member or Party(), requester=requester or Party(),
        verdict=answer.verdict, verdict_label=VERDICT_LABELS.get(answer.verdict, answer.verdict),
        summary=answer.summary, reason=answer.reason, confidence=answer.confidence, needs_review=answer.needs_review,
        criteria=[_row(c) for c in answer.criteria], policies=policies, codes=codes, limits=limits,
        to_submit=_to_submit(answer), citations=citations)


def _reference(question: str, frame: str, day: str) -> str:
    return "CRIT-" + day.replace("-", "") + "-" + hashlib.sha256(f"{question}\x1f{frame}".encode()).hexdigest()[:8].upper()


def _row(c: Criterion) -> CriterionRow:
    return CriterionRow(text=c.text, status=c.status, status_label=STATUS_LABELS.get(c.status, c.status),
                        evidence=c.detail, citations=c.citations)


def _policies(answer: Answer, documents: dict) -> list[PolicyRef]:
    """Each cited document once, in the order the answer first cites it (the summary's first);
    the primary one is the first current policy among them, else the first document."""
    order: list[str] = []
    by_id = {c.id: c for c in answer.citations}
    first = [by_id[n] for n in _markers(answer.summary) if n in by_id]
    for c in [*first, *answer.citations]:
        if c.document_id not in order:
            order.append(c.document_id)
    refs = []
    for doc_id in order:
        meta = documents.get(doc_id, {})
        cited = next(c for c in answer.citations if c.document_id == doc_id)
        effective = meta.get("effective_date") or cited.effective_date
        reviewed = meta.get("last_reviewed", "")
        version = meta.get("revision") or meta.get("revision_date") or " · ".join(
            part for part in (f"effective {effective}" if effective else "",
                              f"last reviewed {reviewed}" if reviewed else "") if part) or "not stated"
        refs.append(PolicyRef(document_id=doc_id, title=meta.get("title") or cited.title,
                              issuer=meta.get("issuer") or cited.issuer, doc_type=meta.get("doc_type") or cited.doc_type,
                              status=meta.get("status", ""), version=version, effective_date=effective,
                              last_reviewed=reviewed, sha256=meta.get("sha256", "")))
    decided = answer.decided_under.document_id if answer.decided_under else None  # the version in force on as_of
    lead = next((r for r in refs if r.document_id == decided), None) or \
        next((r for r in refs if r.doc_type == "policy" and r.status != "superseded"), refs[0] if refs else None)
    if lead is not None:
        lead.primary = True
    return refs


def _markers(text: str) -> list[int]:
    return [int(n) for n in re.findall(r"\[(\d+)\]", text)]


def _limits(compiled: CompiledDocument, question: str, chunks: dict[str, Chunk], citations: list[Citation]) -> list[LimitLine]:
    """The authorization periods and quantity limits the policy states that bear on the request:
    a limit record with a period or a quantity (or worded as one) whose labelled subject ('MG
    maintenance: …') is the question's, by concept or by word, or, unlabelled, whose text names a
    concept of the question or none at all."""
    asked, words = concepts(question), stems(question)
    lines = []
    for limit in compiled.limits:
        if not (limit.durations or limit.quantities or _LIMIT_WORDS.search(limit.text)):
            continue
        label, sep, _ = limit.text.partition(":")
        if sep and len(label) < 80:  # 'MG maintenance: …' states whom it is for
            if not (concepts(label) & asked or (not concepts(label) and stems(label) & words)):
                continue
        elif concepts(limit.text) and not concepts(limit.text) & asked:
            continue
        lines.append(LimitLine(text=limit.quote or limit.text, citations=[_cite(limit, chunks, citations)]))
    return lines


def _cite(limit: Limit, chunks: dict[str, Chunk], citations: list[Citation]) -> int:
    """The citation number of the limit's quote: the answer's own when it cites the same words,
    else a new one appended to ``citations``."""
    for c in citations:
        if c.chunk_id == limit.chunk_id and limit.quote and (limit.quote in c.quote or c.quote in limit.quote):
            return c.id
    chunk = chunks.get(limit.chunk_id)
    number = max((c.id for c in citations), default=0) + 1
    citations.append(Citation(
        id=number, document_id=limit.document_id, chunk_id=limit.chunk_id, title=chunk.title if chunk else "",
        section=chunk.section if chunk else limit.section, page=chunk.page_start if chunk else None,
        quote=limit.quote or limit.text, source=chunk.source if chunk else "", issuer=chunk.issuer if chunk else "",
        effective_date=chunk.effective_date if chunk else "", doc_type=chunk.doc_type if chunk else ""))
    return number


def _to_submit(answer: Answer) -> list[str]:
    """What would change the outcome: the information the answer found missing, then evidence for
    each criterion the record shows not met."""
    items = list(answer.missing_information)
    for c in answer.criteria:
        if c.status == "not_met":
            cited = "".join(f" [{n}]" for n in c.citations)
            why = f" (the record shows: {c.detail})" if c.detail else ""
            items.append(f"Documentation that this criterion is met{why}: {c.text}{cited}")
    if not items and answer.verdict == "yes":
        items.append("Nothing further: the documented information meets every listed criterion.")
    return list(dict.fromkeys(items))
