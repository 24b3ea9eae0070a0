"""Whose policy decided, and which version: the ``decided_under`` part of an answer, and the
sentences that say it at the top of the summary. A plan named in the request whose policy did not
decide is said so, loudly, and the answer goes to human review: it never silently decides one
plan's case with another plan's criteria."""

from __future__ import annotations

import datetime as dt

from app.engine.read.payer import PlanNamed
from app.engine.records import Decision
from app.engine.retrieve.scope import version_note
from app.schemas import Answer, DecidedUnder


def deciding_document(decision: Decision, answer: Answer) -> str | None:
    """The document that decided: the decider's, else the first cited policy, else the first citation."""
    if decision.primary_document:
        return decision.primary_document
    policies = [c.document_id for c in answer.citations if c.doc_type == "policy"]
    cited = policies or [c.document_id for c in answer.citations]
    return cited[0] if cited else None


def decided_under(documents: dict[str, dict], decision: Decision, answer: Answer, plan: PlanNamed | None,
                  as_of: dt.date | None) -> DecidedUnder | None:
    """What the answer records and says about whose document and which version decided it
    (None when nothing was named and no version question arises)."""
    doc_id = deciding_document(decision, answer) if answer.verdict != "cannot_answer" else None
    meta = documents.get(doc_id) or {} if doc_id else {}
    notes: list[str] = []
    in_corpus = None
    if plan is not None and (doc_id or not plan.issuer):  # a refusal says only that a plan is absent
        issuer = meta.get("issuer") or ""
        in_corpus = bool(plan.issuer) and issuer == plan.issuer
        if in_corpus:
            notes.append(f"Decided under {plan.name}'s policy ({meta.get('title') or doc_id}), the plan named in the "
                         f"{plan.where}.")
        else:
            where = " on this question" if plan.issuer else ""
            if doc_id:
                kind = "policy" if meta.get("doc_type") == "policy" else meta.get("doc_type") or "document"
                whose = (f"the {issuer}" if issuer.lower().endswith(kind) else f"{issuer}'s {kind}") if issuer \
                    else f"an unattributed {kind}"
                notes.append(f"The corpus holds no policy from {plan.written}{where}; this answer applies {whose} "
                             f"({meta.get('title') or doc_id}), not {plan.written}'s criteria: check {plan.written}'s "
                             f"own policy before relying on it.")
            else:
                notes.append(f"The corpus holds no policy from {plan.written}{where}.")
    if doc_id:
        note = version_note(documents, doc_id, as_of)
        if note:
            notes.append(note)
    if plan is None and as_of is None and not notes:
        return None
    return DecidedUnder(document_id=doc_id, title=meta.get("title", ""), issuer=meta.get("issuer", ""),
                        effective_date=meta.get("effective_date", ""), status=meta.get("status", ""),
                        plan_named=plan.written if plan else None, plan_in_corpus=in_corpus,
                        as_of=as_of.isoformat() if as_of else None, notes=notes)


def state(answer: Answer, under: DecidedUnder | None) -> Answer:
    """The answer with ``decided_under`` recorded and its notes leading the summary; a plan named
    whose policy did not decide sends the answer to review."""
    if under is None:
        return answer
    answer.decided_under = under
    if under.notes:
        answer.summary = " ".join(under.notes) + (" " + answer.summary if answer.summary else "")
    if under.plan_in_corpus is False and answer.verdict not in ("cannot_answer", "informational"):
        answer.needs_review = True
        answer.flags.insert(0, f"needs human review: no policy from {under.plan_named} decided this answer")
    return answer
