"""Gold cases: what a question should get. Loaded from a YAML list, a JSONL file, or a folder of
them (walked recursively, in sorted order). Every problem is reported with its file and case id,
all at once, so a case author fixes a file in one pass."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from app.schemas import Verdict

CASE_SUFFIXES = (".yaml", ".yml", ".jsonl")


class CaseError(ValueError):
    """One or more gold cases are malformed; the message lists every problem."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("invalid gold cases:\n  " + "\n  ".join(problems))


class PriorTurn(BaseModel):
    """A message the reviewer sent before the case's question (a plain string is read as one)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    message: str = Field(min_length=1)
    patient: str | None = Field(None, description="Patient facts added with this message.")


class GoldCase(BaseModel):
    model_config = ConfigDict(extra="forbid", coerce_numbers_to_str=True, frozen=True)

    id: str = Field(min_length=1, description="Unique across every loaded file.")
    question: str = Field(min_length=1)
    patient: str | None = Field(None, description="Patient context handed to the engine with the question.")
    payer: str | None = Field(None, description="The plan named in the request's payer field (not in the text).")
    as_of: dt.date | None = Field(None, description="The date of service handed to the engine.")
    expected_verdict: Verdict
    expected_sources: list[str] = Field(
        description="Document ids (path under the corpus root, no extension); empty when nothing answers it."
    )
    must_mention: list[str] = Field(default_factory=list, description="Each item may hold '|' alternatives.")
    must_not_mention: list[str] = Field(default_factory=list)
    tags: list[str] = Field(default_factory=list)
    turns: list[PriorTurn] = Field(default_factory=list, description=(
        "Earlier messages of a conversation, in order; the question is then the follow-up that ends "
        "it, read against them as /v1/chat reads it."))
    expected_question: str | None = Field(None, description="The question the follow-up should resolve to "
                                                            "(compared ignoring case, spacing and end punctuation; '|' separates alternatives).")
    source_file: str = Field("", exclude=True, description="Where the case was read from (set by the loader).")

    @field_validator("expected_verdict", mode="before")
    @classmethod
    def _yaml_booleans(cls, value):
        # YAML 1.1 reads an unquoted yes/no as a boolean.
        if isinstance(value, bool):
            return "yes" if value else "no"
        return value

    @field_validator("turns", mode="before")
    @classmethod
    def _plain_turns(cls, value):
        if isinstance(value, list):
            return [{"message": v} if isinstance(v, str) else v for v in value]
        return value

    @field_validator("must_mention", "must_not_mention", "tags", "expected_sources", mode="before")
    @classmethod
    def _booleans_as_words(cls, value):
        if isinstance(value, list):
            return ["yes" if v is True else "no" if v is False else v for v in value]
        return value

    @property
    def scope(self) -> dict:
        """The plan and date of service to hand to ``ask``, named only when the case gives them
        (so an engine without those parameters still runs the other cases)."""
        return {key: value for key, value in (("payer", self.payer), ("as_of", self.as_of)) if value}

    @property
    def answerable(self) -> bool:
        """A case is scored on retrieval only when it names the documents that answer it."""
        return bool(self.expected_sources)


def load_cases(path: Path | str) -> list[GoldCase]:
    """Every case under ``path``; raises :class:`CaseError` naming each bad file and case."""
    path = Path(path)
    if path.is_dir():
        files = sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in CASE_SUFFIXES
                       and not any(part.startswith(".") for part in p.relative_to(path).parts))
        if not files:
            raise CaseError([f"{path}: no case files ({', '.join(CASE_SUFFIXES)}) found"])
    elif path.is_file():
        files = [path]
    else:
        raise CaseError([f"{path}: no such file or directory"])

    cases: list[GoldCase] = []
    problems: list[str] = []
    seen: dict[str, str] = {}
    for file in files:
        for where, raw in _records(file, problems):
            case = _validate(file, where, raw, problems)
            if case is None:
                continue
            if case.id in seen:
                problems.append(f"{file}: case {case.id!r}: duplicate id (first defined in {seen[case.id]})")
                continue
            seen[case.id] = str(file)
            cases.append(case)
    if problems:
        raise CaseError(problems)
    if not cases:
        raise CaseError([f"{path}: holds no cases"])
    return cases


def _records(file: Path, problems: list[str]) -> list[tuple[str, object]]:
    """(location, raw record) pairs; a location is '#3' (YAML item) or 'line 7' (JSONL)."""
    try:
        text = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        problems.append(f"{file}: cannot read: {exc}")
        return []
    if file.suffix.lower() == ".jsonl":
        out = []
        for n, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                out.append((f"line {n}", json.loads(line)))
            except json.JSONDecodeError as exc:
                problems.append(f"{file}: line {n}: not JSON: {exc.msg}")
        return out
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        problems.append(f"{file}: not valid YAML: {exc}")
        return []
    if data is None:
        return []
    if not isinstance(data, list):
        problems.append(f"{file}: must hold a YAML list of cases, found {type(data).__name__}")
        return []
    return [(f"#{i}", item) for i, item in enumerate(data, start=1)]


def _validate(file: Path, where: str, raw: object, problems: list[str]) -> GoldCase | None:
    if not isinstance(raw, dict):
        problems.append(f"{file}: {where}: a case must be a mapping, found {type(raw).__name__}")
        return None
    label = f"case {raw['id']!r}" if isinstance(raw.get("id"), str) and raw["id"] else f"case {where}"
    try:
        return GoldCase.model_validate({**raw, "source_file": str(file)})
    except ValidationError as exc:
        for err in exc.errors():
            field = ".".join(str(p) for p in err["loc"]) or "(case)"
            problems.append(f"{file}: {label}: {field}: {err['msg']}")
        return None
