"""What the LLM composer asks the model for — the structured answer, its fields and their
vocabularies — and how a model's reply is parsed into it (JSON, possibly fenced or in prose)."""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal

from langchain_core.utils.json import parse_json_markdown
from pydantic import BaseModel, BeforeValidator, Field, ValidationError

from app.schemas import Verdict

def enum_token(value: Any) -> Any:
    """'Not documented' → 'not_documented': models vary the case and spacing of enum values."""
    return value.strip().lower().replace(" ", "_").replace("-", "_") if isinstance(value, str) else value


class CitedQuote(BaseModel):
    passage: int = Field(description="The number of the passage, as in [3].")
    quote: str = Field(description="Words copied exactly from that passage.")


class CitedText(BaseModel):
    text: str
    citations: list[CitedQuote] = Field(default_factory=list)


class LLMCriterion(BaseModel):
    text: str = Field(description="The criterion, in the source's words.")
    status: Annotated[Literal["met", "not_met", "not_documented", "not_applicable"], BeforeValidator(enum_token)]
    detail: str = Field("", description="The patient fact or numeric comparison that decided the status.")
    citations: list[CitedQuote] = Field(default_factory=list)


class LLMNumericCheck(BaseModel):
    quantity: str = Field(description="What was compared, e.g. 'dose per course' or 'interval'.")
    requested: str
    limit: str
    within_limit: bool | None = None
    citations: list[CitedQuote] = Field(default_factory=list)


class LLMConflict(BaseModel):
    topic: str
    positions: list[CitedText] = Field(description="Each side with its citation; dates in the text.")


class LLMAnswer(BaseModel):
    """A cited determination of a medical-necessity or clinical-guideline question."""

    verdict: Annotated[
        Verdict,
        BeforeValidator(enum_token),
    ]
    reason: str | None = Field(None, description="Why, when the verdict is cannot_answer or insufficient_evidence.")
    summary: CitedText = Field(description="The direct answer in one or two sentences.")
    criteria: list[LLMCriterion] = Field(default_factory=list)
    numeric_checks: list[LLMNumericCheck] = Field(default_factory=list)
    rationale: list[CitedText] = Field(default_factory=list)
    appropriate_indications: list[CitedText] = Field(default_factory=list)
    alternatives: list[CitedText] = Field(default_factory=list)
    pitfalls: list[CitedText] = Field(default_factory=list)
    missing_information: list[str] = Field(default_factory=list)
    conflicts: list[LLMConflict] = Field(default_factory=list)


SECTIONS = {"rationale": "Rationale", "appropriate_indications": "Appropriate indications",
            "alternatives": "Alternatives", "pitfalls": "Pitfalls"}


class ComposerFailed(Exception):
    """The model did not produce a usable answer; the reason goes into the fallback's flag."""


def message_text(message: Any) -> str:
    content = getattr(message, "content", message)
    if isinstance(content, list):  # content blocks
        return "".join(b.get("text", "") if isinstance(b, dict) else str(b) for b in content)
    return content if isinstance(content, str) else ""


def parse_answer(text: str) -> LLMAnswer:
    """The answer from a message's text: JSON, possibly fenced or wrapped in prose."""
    data: Any = None
    try:
        data = parse_json_markdown(text)
    except (ValueError, json.JSONDecodeError):
        start, end = text.find("{"), text.rfind("}")
        if start != -1 and end > start:
            try:
                data = json.loads(text[start:end + 1])
            except json.JSONDecodeError:
                data = None
    if not isinstance(data, dict):
        raise ComposerFailed(f"output is not a JSON object: {text[:80]!r}")
    try:
        return LLMAnswer.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise ComposerFailed(f"invalid output ({exc.error_count()} errors; {where}: {first['msg']})") from None
