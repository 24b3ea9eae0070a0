"""A document's compiled records: what its coverage criteria and recommendations say, typed once at
ingest (``ingest/compile.py``) and stored in each index generation beside its chunks
(``criteria.jsonl``, one line per document).

Every record keeps the exact words it was read from: ``quote`` is a substring of the text of the
chunk ``chunk_id`` names, so anything decided from a record can cite it. A criterion whose meaning
could be typed carries a ``predicate``; the rest keep their text (and ``predicate`` is None)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
from typing import Annotated, Iterator, Literal, Union

from pydantic import BaseModel, Field

CRITERIA_FILE = "criteria.jsonl"
RECORD_VECTORS_FILE = "record_vectors.npz"  # each recommendation's text embedded at ingest (unit vectors)
Comparator = Literal[">=", ">", "<=", "<", "=", "between"]


# ------------------------------------------------------------------ predicates


class Quantity(BaseModel):
    """A measured value against a threshold: 'LDL-C ≥ 70 mg/dL' → ldl >= 70 mg/dl."""

    type: Literal["quantity"] = "quantity"
    subject: str = Field(description="A name from the engine's quantities table (app/engine/read/quantities.py).")
    comparator: Comparator
    value: float
    upper: float | None = Field(None, description="The upper bound when the comparator is 'between'.")
    unit: str = ""


class AgeBand(BaseModel):
    """Ages in years; a missing bound is open."""

    type: Literal["age"] = "age"
    lower: float | None = None
    upper: float | None = None
    lower_inclusive: bool = True
    upper_inclusive: bool = True


class Sex(BaseModel):
    type: Literal["sex"] = "sex"
    sex: Literal["female", "male"]


class PriorTherapies(BaseModel):
    """'at least 2 prior therapies for at least 3 months' → 2 of 'prior therapies', each ≥ 91.2 days."""

    type: Literal["prior_therapies"] = "prior_therapies"
    count: int
    of: str = Field(description="The class of therapy, as the text names it.")
    min_days: float | None = Field(None, description="How long each must have been given, when stated.")


class Duration(BaseModel):
    """'Symptoms have persisted for at least 6 weeks' → symptoms >= 42 days."""

    type: Literal["duration"] = "duration"
    subject: str = ""
    comparator: Comparator
    days: float


class Finding(BaseModel):
    """A diagnosis or finding the criterion requires present (or absent)."""

    type: Literal["finding"] = "finding"
    finding: str
    present: bool = True


class Amount(BaseModel):
    """A dose or a countable quantity: '2 g/kg', '300 to 800 mg/kg', '4 units per month'."""

    value: float
    upper: float | None = None
    unit: str
    comparator: Comparator = "="
    per: str = Field("", description="The period a quantity is counted over ('month', 'time'), if any.")


class Interval(BaseModel):
    """How often: 'every 3 weeks' → every 3 week = 21 days; 'twice daily' → 0.5 days."""

    every: float
    unit: str
    days: float
    comparator: Comparator = "="


class Span(BaseModel):
    """How long: 'for 6 months' → 182.4 days."""

    days: float
    comparator: Comparator = "="
    text: str = ""


class Regimen(BaseModel):
    """A criterion that bounds the regimen itself: 'The dose is no more than 1 g/kg every 3 weeks'."""

    type: Literal["regimen"] = "regimen"
    doses: list[Amount] = Field(default_factory=list)
    intervals: list[Interval] = Field(default_factory=list)
    durations: list[Span] = Field(default_factory=list)


Predicate = Annotated[Union[Quantity, AgeBand, Sex, PriorTherapies, Duration, Finding, Regimen],
                      Field(discriminator="type")]


# ------------------------------------------------------------------ the criteria tree


class Cited(BaseModel):
    quote: str = Field(description="Exact substring of the text of chunk ``chunk_id``.")
    chunk_id: str


class Criterion(Cited):
    node: Literal["criterion"] = "criterion"
    text: str
    kind: Literal["clinical", "documentation"] = "clinical"
    predicate: Predicate | None = None


class Group(BaseModel):
    """All-of or any-of over its items. ``text`` is the lead or parent item that opened the list
    (cited by ``quote``/``chunk_id`` when there is one); ``at_least`` is set by 'two or more of the
    following'. ``basis`` says how the operator was known: a phrase ('ANY of the following'), the
    items' trailing 'and'/'or', a default, or 'unparsed' (statements kept as free text)."""

    node: Literal["group"] = "group"
    op: Literal["all_of", "any_of"]
    basis: Literal["phrase", "conjunction", "default", "unparsed"] = "default"
    at_least: int | None = None
    text: str = ""
    quote: str = ""
    chunk_id: str = ""
    predicate: Predicate | None = None
    items: list[Annotated[Union[Criterion, "Group"], Field(discriminator="node")]] = Field(default_factory=list)


Group.model_rebuild()


# ------------------------------------------------------------------ records


class Record(Cited):
    document_id: str
    section: str
    text: str


class Indication(Record):
    record: Literal["indication"] = "indication"
    title: str
    continuation: bool = Field(False, description="Criteria to continue (reauthorize) rather than start.")
    criteria: Group


class Exclusion(Record):
    record: Literal["exclusion"] = "exclusion"
    context: str = Field("", description="The lead the statement was listed under, if any.")


class Experimental(Record):
    record: Literal["experimental"] = "experimental"
    context: str = ""


class Limit(Record):
    record: Literal["limit"] = "limit"
    doses: list[Amount] = Field(default_factory=list)
    intervals: list[Interval] = Field(default_factory=list)
    durations: list[Span] = Field(default_factory=list)
    quantities: list[Amount] = Field(default_factory=list)


class Recommendation(Record):
    record: Literal["recommendation"] = "recommendation"
    population: str = ""
    age: AgeBand | None = None
    sex: Literal["female", "male"] | None = None
    intervention: str = ""
    stance: Literal["for", "against", "individual", "insufficient"]
    grade: str = ""
    grade_quote: str = Field("", description="Where the grade was read, when not in the quote itself "
                             "(a substring of the same chunk, or of the section's first chunk).")
    date: str = ""


class CompiledDocument(BaseModel):
    document_id: str
    compiler: str
    indications: list[Indication] = Field(default_factory=list)
    exclusions: list[Exclusion] = Field(default_factory=list)
    experimental: list[Experimental] = Field(default_factory=list)
    limits: list[Limit] = Field(default_factory=list)
    recommendations: list[Recommendation] = Field(default_factory=list)
    warnings: list[str] = Field(default_factory=list)

    def records(self) -> Iterator[Record]:
        yield from self.indications
        yield from self.exclusions
        yield from self.experimental
        yield from self.limits
        yield from self.recommendations


def _n(x: float) -> str:
    return f"{x:g}"


def describe(p: Predicate | Amount | Interval | Span) -> str:
    """A predicate or a value in a line a maintainer reads: 'ldl >= 70 mg/dl', 'age >= 18'."""
    if isinstance(p, Quantity):
        value = f"{_n(p.value)} to {_n(p.upper)}" if p.comparator == "between" and p.upper is not None else _n(p.value)
        return f"{p.subject} {'' if p.comparator == 'between' else p.comparator + ' '}{value} {p.unit}".strip()
    if isinstance(p, AgeBand):
        low = f"{'>=' if p.lower_inclusive else '>'} {_n(p.lower)}" if p.lower is not None else ""
        high = f"{'<=' if p.upper_inclusive else '<'} {_n(p.upper)}" if p.upper is not None else ""
        return "age " + " and ".join(b for b in (low, high) if b)
    if isinstance(p, Sex):
        return f"sex {p.sex}"
    if isinstance(p, PriorTherapies):
        each = f", each >= {_n(p.min_days)} days" if p.min_days else ""
        return f"prior therapies >= {p.count} of {p.of}{each}"
    if isinstance(p, Duration):
        return f"duration of '{p.subject}' {p.comparator} {_n(p.days)} days"
    if isinstance(p, Finding):
        return f"{'has' if p.present else 'has no'} {p.finding}"
    if isinstance(p, Regimen):
        return "regimen " + "; ".join(describe(v) for v in [*p.doses, *p.intervals, *p.durations])
    if isinstance(p, Amount):
        value = f"{_n(p.value)}-{_n(p.upper)}" if p.upper is not None else _n(p.value)
        return f"{'' if p.comparator == '=' else p.comparator + ' '}{value} {p.unit}{' per ' + p.per if p.per else ''}"
    if isinstance(p, Interval):
        return f"{'' if p.comparator == '=' else p.comparator + ' '}every {_n(p.days)} days"
    return f"{'' if p.comparator == '=' else p.comparator + ' '}{_n(p.days)} days"


def criteria_of(node: Group) -> Iterator[Criterion | Group]:
    """Every node under ``node``, depth first (groups before their items)."""
    for item in node.items:
        yield item
        if isinstance(item, Group):
            yield from criteria_of(item)


def read_compiled(generation: Path) -> dict[str, CompiledDocument]:
    """A generation's compiled records by document id; an index built before they existed has no
    file, and reads as none."""
    path = generation / CRITERIA_FILE
    if not path.exists():
        return {}
    with open(path, encoding="utf-8") as fh:
        docs = (CompiledDocument.model_validate(json.loads(line)) for line in fh if line.strip())
        return {d.document_id: d for d in docs}


def read_record_vectors(generation: Path) -> dict[str, np.ndarray]:
    """The recommendation texts' vectors embedded at ingest, by text; none for an index built
    before they were (the engine then embeds them on first use), or when the file is unreadable."""
    path = generation / RECORD_VECTORS_FILE
    if not path.exists():
        return {}
    try:
        with np.load(path, allow_pickle=False) as data:
            texts, vectors = [str(t) for t in data["texts"]], data["vectors"].astype(np.float32)
    except (OSError, ValueError, KeyError):
        return {}
    return dict(zip(texts, vectors)) if len(texts) == len(vectors) else {}


def write_record_vectors(path: Path, vectors: dict[str, np.ndarray]) -> None:
    texts = sorted(vectors)
    matrix = np.stack([vectors[t] for t in texts]).astype(np.float32) if texts else np.zeros((0, 0), np.float32)
    with open(path, "wb") as fh:
        np.savez(fh, texts=np.array(texts, dtype=str), vectors=matrix)
        fh.flush()
        os.fsync(fh.fileno())
