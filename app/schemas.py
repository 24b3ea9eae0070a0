"""The answer: one pydantic model used everywhere (CLI ``--json``, the API, the evals)."""

from __future__ import annotations

from typing import Literal, get_args

from pydantic import BaseModel, Field

Verdict = Literal["yes", "no", "conditional", "insufficient_evidence", "cannot_answer", "informational"]
VERDICTS: tuple[str, ...] = get_args(Verdict)  # the one vocabulary of verdicts
CriterionStatus = Literal["met", "not_met", "not_documented", "not_applicable"]
SECTION_NAMES = ("Rationale", "Appropriate indications", "Alternatives", "Pitfalls")


class Citation(BaseModel):
    id: int = Field(description="The number the statements refer to, e.g. [1].")
    document_id: str
    chunk_id: str
    title: str
    section: str = ""
    page: int | None = None
    quote: str = Field(description="An exact span of the cited chunk's text.")
    source: str = Field("", description="What the document summarises or derives from.")
    issuer: str = Field("", description="Who issued the document (payer, agency, society); empty when not recorded.")
    effective_date: str = ""
    doc_type: str = ""


class Statement(BaseModel):
    text: str
    citations: list[int] = Field(default_factory=list, description="Citation ids supporting the text.")


class Criterion(BaseModel):
    text: str = Field(description="The criterion, in the source's words.")
    status: CriterionStatus
    detail: str = Field("", description="Why: the patient fact or the numeric check that decided it.")
    citations: list[int] = Field(default_factory=list)


class NumericCheck(BaseModel):
    quantity: str = Field(description="What was compared, e.g. 'dose per course' or 'interval'.")
    requested: str
    limit: str
    within_limit: bool | None
    citations: list[int] = Field(default_factory=list)


class Conflict(BaseModel):
    topic: str
    positions: list[Statement] = Field(description="Each side with its citation; dates in the text.")


class RetrievedPassage(BaseModel):
    rank: int
    chunk_id: str
    document_id: str
    title: str
    section: str = ""
    page: int | None = None
    score: float
    doc_type: str = ""
    status: str = "current"


class QuestionFrame(BaseModel):
    """What question understanding extracted (shown for transparency)."""

    kind: Literal["coverage", "clinical", "unknown"] = "unknown"
    intervention: str | None = None
    condition: str | None = None
    regimen: dict = Field(default_factory=dict)
    patient: dict = Field(default_factory=dict)


class DecidedUnder(BaseModel):
    """Whose document decided the answer, and which version: the plan the request named (if any),
    the date of service (if given) and what the answer says about both."""

    document_id: str | None = Field(None, description="The document whose criteria or statements decided the verdict.")
    title: str = ""
    issuer: str = ""
    effective_date: str = ""
    status: str = ""
    plan_named: str | None = Field(None, description="The plan the request names, as written (payer field, question "
                                   "or patient record).")
    plan_in_corpus: bool | None = Field(None, description="Whether the decision rests on a policy of the plan named; "
                                        "None when no plan was named.")
    as_of: str | None = Field(None, description="The date of service the versions in force were chosen for.")
    notes: list[str] = Field(default_factory=list, description="What the answer says about whose policy and which version.")


class Answer(BaseModel):
    question: str
    verdict: Verdict
    reason: str | None = Field(None, description="Why the engine abstained (cannot_answer / insufficient_evidence).")
    summary: str
    criteria: list[Criterion] = Field(default_factory=list)
    numeric_checks: list[NumericCheck] = Field(default_factory=list)
    sections: dict[str, list[Statement]] = Field(default_factory=dict)
    missing_information: list[str] = Field(default_factory=list)
    conflicts: list[Conflict] = Field(default_factory=list)
    citations: list[Citation] = Field(default_factory=list)
    retrieved: list[RetrievedPassage] = Field(default_factory=list)
    understood: QuestionFrame = Field(default_factory=QuestionFrame)
    confidence: float | None = Field(
        None, ge=0.0, le=1.0, description="How likely this verdict is right, calibrated on the dev gold cases "
        "(app/engine/decide/data/confidence.json); None when no model is loaded.")
    needs_review: bool = Field(
        False, description="True when confidence is below decision.review_threshold: a person should check the "
        "verdict before relying on it (the verdict and its evidence are still shown).")
    decided_under: DecidedUnder | None = Field(None, description="Whose document and which version decided it.")
    composer: str = "extractive"
    flags: list[str] = Field(default_factory=list, description="Statements removed by citation checks, fallbacks.")
    timings_ms: dict[str, float] = Field(default_factory=dict)

    def all_text(self) -> str:
        """Everything the answer says, for must-mention checks."""
        parts = [self.summary, *(c.text + " " + c.detail for c in self.criteria)]
        parts += self.decided_under.notes if self.decided_under else []
        parts += [s.text for group in self.sections.values() for s in group]
        parts += [p.text for c in self.conflicts for p in c.positions]
        parts += self.missing_information
        parts += [c.quote for c in self.citations]
        return "\n".join(parts)
