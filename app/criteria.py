"""Policy criteria: an indication's all-of list (with nested any-of lists) read from the policy's
own text, and each criterion checked against the patient fact by fact — numbers compared,
regimens checked against limits, the rest matched on words with negation."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from app.statements import stems
from app.understanding import NUM, QUANTITIES, Facts, Regimen, _COUNTED
from app.vocabulary import GENERIC

_CMP = re.compile(
    r"(≥|>=|≤|<=|>|<|at least|no more than|not more than|more than|less than|fewer than|up to|a maximum of|maximum of|"
    r"or more|or older|or higher|or greater|or less|or lower|or younger|under|over|above|below)",
    re.I,
)
_NEGATION = re.compile(r"\b(no|not|never|denies|without|none|negative for|has not|have not|hasn't|haven't|did not|didn't)\b", re.I)


@dataclass
class CriterionLine:
    text: str  # exact text of the line (without the "- " marker)
    children: list["CriterionLine"] = field(default_factory=list)

    @property
    def any_of(self) -> bool:
        return bool(self.children)


@dataclass
class Evaluation:
    status: str  # met | not_met | not_documented | not_applicable
    detail: str = ""


def parse_criteria(section_text: str) -> tuple[str | None, list[CriterionLine]]:
    """(lead sentence, top-level criteria) from a section's text whose list items start with '- '."""
    lead: str | None = None
    items: list[CriterionLine] = []
    for line in section_text.split("\n"):
        if not line.strip():
            continue
        depth = (len(line) - len(line.lstrip(" "))) // 2
        body = line.strip()
        if body.startswith("- "):
            body = body[2:].strip()
            if depth >= 1 and items:
                items[-1].children.append(CriterionLine(body))
            else:
                items.append(CriterionLine(body))
        elif lead is None and not items:
            lead = body
    return lead, items


def _threshold(text: str, name_pattern: str) -> tuple[str, float] | None:
    """The comparison and number stated for a quantity in a criterion, e.g. ('>=', 40.0)."""
    low = text.lower()
    m = re.search(rf"(?:{name_pattern})[^0-9;]{{0,40}}?{NUM}", low) or re.search(rf"{NUM}[^0-9;]{{0,20}}?(?:{name_pattern})", low)
    if not m:
        return None
    value = float(m.group(1).replace(",", "."))
    window = low[max(0, m.start() - 5): m.end() + 25]
    cmp = _CMP.search(window)
    word = cmp.group(1).lower() if cmp else ""
    if word in ("≥", ">=", "at least", "or more", "or older", "or higher", "or greater"):
        op = ">="
    elif word in (">", "more than", "over", "above"):
        op = ">"
    elif word in ("≤", "<=", "no more than", "not more than", "up to", "a maximum of", "maximum of", "or less", "or lower"):
        op = "<="
    elif word in ("<", "less than", "fewer than", "under", "below", "or younger"):
        op = "<"
    else:
        return None
    return op, value


def _compare(value: float, op: str, limit: float) -> bool:
    return {">=": value >= limit, ">": value > limit, "<=": value <= limit, "<": value < limit}[op]


def _numeric(text: str, facts: Facts) -> Evaluation | None:
    candidates = dict(QUANTITIES) | dict(_COUNTED) | {"age": r"age|aged|years? (?:of age|old)"}
    for name, pattern in candidates.items():
        if not re.search(rf"(?<![a-z])(?:{pattern})(?![a-z])", text.lower()):
            continue
        th = _threshold(text, pattern)
        if th is None:
            continue
        value = facts.age if name == "age" else facts.numbers.get(name)
        if value is None:
            return Evaluation("not_documented", f"{name} not documented (criterion: {th[0]} {th[1]:g})")
        ok = _compare(value, *th)
        return Evaluation("met" if ok else "not_met", f"{name} {value:g} {'meets' if ok else 'fails'} {th[0]} {th[1]:g}")
    return None


def check_regimen(text: str, regimen: Regimen) -> Evaluation | None:
    """Requested dose and interval against a criterion's limits (per-kg doses, 'every N weeks')."""
    if regimen.dose is None and regimen.interval_days is None:
        return None
    low = text.lower()
    if not re.search(r"g/kg|mg/kg|every \d+ (?:week|day|month)", low):
        return None
    notes, ok = [], True
    if regimen.per_kg and regimen.dose is not None:
        limits = [float(x) for x in re.findall(rf"{NUM}\s*g/kg", low)]
        if limits:
            allowed = max(limits)
            fits = regimen.dose <= allowed + 1e-9
            ok &= fits
            notes.append(f"requested {regimen.dose:g} {regimen.unit}/kg vs limit {allowed:g} g/kg")
    if regimen.interval_days:
        weeks = [int(x) for x in re.findall(r"every (\d+) weeks?", low)]
        if weeks:
            minimum = min(weeks) * 7
            fits = regimen.interval_days >= minimum
            ok &= fits
            notes.append(f"requested every {regimen.interval_days / 7:g} weeks vs at most every {minimum / 7:g} weeks")
    if not notes:
        return None
    return Evaluation("met" if ok else "not_met", "; ".join(notes))


def _content(text: str) -> frozenset[str]:
    words = [w for w in re.findall(r"[a-z][a-z0-9\-]+", text.lower()) if w not in GENERIC and len(w) > 3]
    return stems(" ".join(words))


def _negated_in(patient: str, words: frozenset[str]) -> bool:
    for clause in re.split(r"[.;,\n]", patient.lower()):
        if _NEGATION.search(clause) and len(words & stems(clause)) >= max(1, len(words) // 2):
            return True
    return False


def evaluate(line: CriterionLine, facts: Facts, regimen: Regimen) -> Evaluation:
    if line.any_of:
        results = [evaluate(child, facts, regimen) for child in line.children]
        if any(r.status == "met" for r in results):
            return Evaluation("met", next(r.detail for r in results if r.status == "met"))
        if results and all(r.status == "not_met" for r in results):
            return Evaluation("not_met", "none of the alternatives is met")
        return Evaluation("not_documented", "none of the alternatives is documented")
    numeric = _numeric(line.text, facts)
    if numeric is not None:
        return numeric
    reg = check_regimen(line.text, regimen)
    if reg is not None:
        return reg
    words = _content(line.text)
    if not words:
        return Evaluation("not_applicable")
    present = words & stems(facts.text)
    share = len(present) / len(words)
    if _negated_in(facts.text, words):
        return Evaluation("not_met", "the record states the opposite")
    if share >= 0.5 or len(present) >= 3:
        return Evaluation("met", "documented: " + ", ".join(sorted(present)[:6]))
    return Evaluation("not_documented", "not found in the question or patient record")
