"""Request and response bodies of the HTTP API. Requests carry their structural constraints, so
bad input is a 422 in the one error shape with a readable message; how much text they may carry
is a setting, checked in one place for every endpoint (app/api/bounds.py)."""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from app.engine.compiled import CompiledDocument
from app.schemas import Answer, Citation, Verdict


class ErrorDetail(BaseModel):
    code: str = Field(description="Stable machine-readable code, e.g. 'rate_limited'.")
    message: str = Field(description="What went wrong and what to do about it.")


class ErrorBody(BaseModel):
    error: ErrorDetail


class Filters(BaseModel):
    model_config = ConfigDict(extra="forbid")

    document_ids: list[str] | None = Field(None, max_length=200, description="Only these documents.")
    doc_type: str | list[str] | None = Field(None, description="'policy', 'guideline', …")
    issuer: str | list[str] | None = None
    status: str | list[str] | None = Field(None, description="'current' or 'superseded'.")


def _iso_day(value):
    """A date of service is written YYYY-MM-DD: a number (read by pydantic as seconds since 1970)
    or any other spelling is refused rather than guessed."""
    if value is None or isinstance(value, dt.date):
        return value
    if not isinstance(value, str) or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value.strip()):
        raise ValueError("must be a date written YYYY-MM-DD")
    return value.strip()


IsoDate = Annotated[dt.date, BeforeValidator(_iso_day)]

# At least one character that is neither whitespace nor a control character: a question of
# nothing but spaces or control characters is refused as invalid input, as the schema says.
SOMETHING = r"[^\s\x00-\x1f\x7f]"


class AskRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    question: str = Field(min_length=1, pattern=SOMETHING, description="The question, in free text (at most api.max_question_chars, "
                                                    "default 4,000 characters).")
    patient: str | None = Field(None, description="Free-text patient context (at most api.max_patient_chars, "
                                                  "default 20,000 characters).")
    filters: Filters | None = None
    k: int | None = Field(None, ge=1, le=50, description="Passages to retrieve.")
    payer: str | None = Field(None, min_length=1, max_length=300, pattern=SOMETHING, description=(
        "The health plan whose policy should decide (e.g. 'Cigna', 'TRICARE'); without it, a plan named in the "
        "question or the patient record is used. When the corpus holds no policy of that plan the answer says so."))
    as_of: IsoDate | None = Field(None, description="Date of service (YYYY-MM-DD): the policy versions in force on "
                                  "that date decide; without it, the current versions.")


class ChatRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    session_id: str | None = Field(None, min_length=1, max_length=64, description="Omit to start a conversation.")
    message: str = Field(min_length=1, pattern=SOMETHING, description="A question, or a follow-up such as 'what about for CIDP?' "
                                                   "(at most api.max_question_chars).")
    patient: str | None = Field(None, description="Patient facts to add to the conversation (all of them together: "
                                                  "at most api.max_patient_chars).")
    payer: str | None = Field(None, min_length=1, max_length=300, pattern=SOMETHING, description=(
        "The health plan whose policy should decide; kept for the rest of the conversation until another is given."))
    as_of: IsoDate | None = Field(None, description="Date of service (YYYY-MM-DD); kept for the rest of the conversation.")


class ChatResponse(BaseModel):
    session_id: str
    question: str = Field(description="The question as resolved against the conversation, as asked of the engine.")
    patient: str | None = Field(description="The patient facts accumulated so far, as handed to the engine.")
    answer: Answer


class Turn(BaseModel):
    message_chars: int
    question: str
    verdict: Verdict
    at: float


class SessionView(BaseModel):
    session_id: str
    question: str | None
    patient: list[str]
    turns: list[Turn]
    expires_at: float = Field(description="Unix time after which the session is gone unless used again.")


class DocumentSummary(BaseModel):
    id: str
    title: str
    issuer: str = ""
    doc_type: str = ""
    effective_date: str = ""
    status: str = ""
    chunks: int
    uploaded: bool = Field(description="True when it came through POST /v1/documents (and can be deleted there).")


class Section(BaseModel):
    name: str
    chunks: int
    pages: list[int] = Field(default_factory=list)


class DocumentDetail(DocumentSummary):
    source: str = ""
    last_reviewed: str = ""
    pages: int = 0
    sha256: str = ""
    sections: list[Section]


class DocumentCriteria(CompiledDocument):
    """What ingest compiled from one document (``GET /v1/documents/{id}/criteria``)."""

    title: str = ""
    compiled: bool = Field(True, description="False when the index was built before criteria were compiled: no "
                           "records until its folder is ingested again (nothing is embedded again).")


class DocumentList(BaseModel):
    count: int
    documents: list[DocumentSummary]


class UploadResult(BaseModel):
    outcome: Literal["added", "updated", "unchanged"]
    document: DocumentDetail


class DeleteResult(BaseModel):
    document_id: str
    removed: bool


# ----------------------------------------------------------------- OpenAI-compatible


class ContentPart(BaseModel):
    model_config = ConfigDict(extra="allow")

    type: str
    text: str | None = None


class ChatMessage(BaseModel):
    model_config = ConfigDict(extra="allow")

    role: Literal["system", "developer", "user", "assistant", "tool", "function"]
    content: str | list[ContentPart] | None = None

    def text(self) -> str:
        if isinstance(self.content, list):
            return " ".join(p.text for p in self.content if p.type == "text" and p.text)
        return self.content or ""


class CompletionRequest(BaseModel):
    model_config = ConfigDict(extra="allow")  # temperature, max_tokens, … are accepted and ignored

    model: str = Field("criterion", max_length=100)
    messages: list[ChatMessage] = Field(
        min_length=1, description="At most api.max_messages (default 100); user and Patient: text together at most "
        "api.max_conversation_chars. At least one user message must ask something (a 422 'no_question' otherwise).",
        json_schema_extra={"contains": {"type": "object", "required": ["role", "content"], "properties": {
            "role": {"const": "user"}, "content": {"type": "string", "pattern": r"^[\s\x00-\x1f\x7f]*"
                                                   r"(?![Pp][Aa][Tt][Ii][Ee][Nn][Tt]:)" + SOMETHING}}}})
    stream: bool = Field(False, strict=True)


class CompletionMessage(BaseModel):
    role: Literal["assistant"] = "assistant"
    content: str


class CompletionChoice(BaseModel):
    index: int = 0
    message: CompletionMessage
    finish_reason: Literal["stop"] = "stop"


class Usage(BaseModel):
    prompt_tokens: int
    completion_tokens: int
    total_tokens: int


class Completion(BaseModel):
    id: str
    object: Literal["chat.completion"] = "chat.completion"
    created: int
    model: str
    choices: list[CompletionChoice]
    usage: Usage
    citations: list[Citation] = Field(default_factory=list, description=(
        "Criterion's extension, beside OpenAI's fields: the answer's numbered citations (document, "
        "section, page, verbatim quote), the [n] markers of the message's content."))
    verdict: str | None = Field(None, description="Criterion's extension: the verdict code of the answer.")


class ModelCard(BaseModel):
    id: str
    object: Literal["model"] = "model"
    created: int
    owned_by: str = "criterion"


class ModelList(BaseModel):
    object: Literal["list"] = "list"
    data: list[ModelCard]
