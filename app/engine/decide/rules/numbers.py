"""Numbers in criteria against the patient's: thresholds ('LDL-C ≥ 70 mg/dL'), ranges ('AHI 5 to
14'), requested counts and regimens against their limits."""

from __future__ import annotations

import re

from app.engine.read.quantities import COUNTED, NUM, QUANTITIES, in_grams, roman_to_digits, to_number
from app.engine.read.facts import Facts
from app.engine.read.regimen import COUNT_UNITS, Regimen, count_unit
from app.engine.records import Evaluation

_UNITS = {
    "ldl": r"mg/dl", "bmi": r"kg/m", "ahi": r"events|per hour|/h", "spo2": r"%", "pao2": r"mm ?hg",
    "a1c": r"%", "testosterone": r"ng/dl", "eosinophils": r"cells|/µl|/ul|/mm", "age": r"years?",
    "hematocrit": r"%", "ige": r"iu", "mg-adl": r"points?", "fpg": r"mg/dl", "probability": r"%",
}


_OPS = [
    (">=", ("≥", ">=", "at least", "or more", "or older", "or higher", "or greater", "minimum of")),
    ("<=", ("≤", "<=", "no more than", "not more than", "up to", "a maximum of", "maximum of", "or less", "or lower", "or fewer")),
    (">", (">", "more than", "over", "above", "greater than")),
    ("<", ("<", "less than", "fewer than", "under", "below", "or younger")),
]


_TRIPLE = re.compile(
    r"(≥|>=|≤|<=|>|<|at least|no more than|not more than|more than|less than|fewer than|greater than|up to|"
    r"a maximum of|maximum of|minimum of|under|over|above|below)?\s*" + NUM +
    r"\s*((?!or\b)[a-z%/µ²]+(?:/[a-z0-9²]+)?(?: per hour)?)?\s*(or more|or older|or higher|or greater|or less|or lower|or younger|or fewer)?",
    re.I,
)


def op_of(word: str) -> str | None:
    for op, words in _OPS:
        if word in words:
            return op
    return None


def _threshold(text: str, name: str, name_pattern: str) -> tuple[str, float] | None:
    """The comparison and number a criterion states for a quantity, e.g. ('>=', 40.0); the number
    whose unit fits the quantity wins ('LDL-C after at least 8 weeks is ≥ 70 mg/dL' → 70)."""
    low = roman_to_digits(text.lower())
    label = re.search(rf"(?<![a-z])(?:{name_pattern})(?![a-z])", low)
    if not label:
        return None
    unit_re = _UNITS.get(name)
    best = None
    bounds: list[tuple[str, float]] = []
    for m in _TRIPLE.finditer(low):
        before, after = (m.group(1) or "").lower(), (m.group(4) or "").lower()
        op = op_of(before) or op_of(after)
        if op is None:
            continue
        unit = (m.group(3) or "").lower()
        fits = bool(unit_re and re.match(unit_re, unit))
        distance = abs(m.start() - label.end())
        score = (0 if fits else 1, distance)
        if unit_re and unit and not fits and name != "age" and not unit.startswith(("or", "and", "with")):
            continue  # another quantity's number ("BMI ≥ 30 kg/m² ... A1C" is not an A1C limit)
        if not fits and re.match(r"^(?:g|mg|mcg|g/kg|mg/kg|units?|ml|iu)$", unit):
            continue  # a dose, not this quantity ("a course totalling less than 1 g/kg")
        value = float(m.group(2).replace(",", ""))
        if fits:
            bounds.append((op, value))
        if best is None or score < best[0]:
            best = (score, op, value)
    lower = [v for op, v in bounds if op in (">=", ">")]
    upper = [v for op, v in bounds if op in ("<=", "<")]
    if lower and upper and min(upper) > max(lower):  # "BMI ≥ 30 kg/m² and < 35 kg/m²"
        return "range", (max(lower), min(upper))
    return (best[1], best[2]) if best else None


def compare(value: float, op: str, limit) -> bool:
    if op == "range":
        return limit[0] <= value <= limit[1]
    return {">=": value >= limit, ">": value > limit, "<=": value <= limit, "<": value < limit}[op]


def show_limit(op: str, limit) -> str:
    return f"{limit[0]:g} to {limit[1]:g}" if op == "range" else f"{op} {limit:g}"


def _range(text: str, name: str, name_pattern: str):
    """'AHI 5 to 14 events per hour' → ('range', (5, 14))."""
    low = text.lower()
    m = re.search(rf"(?<![a-z])(?:{name_pattern})(?![a-z])[^0-9;]{{0,25}}?{NUM}\s*(?:to|-|–)\s*{NUM}", low)
    if not m:
        return None
    lo, hi = float(m.group(1).replace(",", "")), float(m.group(2).replace(",", ""))
    return ("range", (lo, hi)) if hi > lo else None


_LABELS = [(name, pattern, re.compile(rf"(?<![a-z])(?:{pattern})(?![a-z])"))
           for name, pattern in (dict(QUANTITIES) | dict(COUNTED) | {"age": r"age|aged|years? (?:of age|old)"}).items()]


def compare_numbers(text: str, facts: Facts) -> Evaluation | None:
    """Every quantity a criterion states, compared with the patient's; several quantities joined by
    'or' need one met, otherwise all."""
    if not re.search(r"\d", text):
        return None  # no number, nothing to compare
    low = text.lower()
    results: list[Evaluation] = []
    for name, pattern, label in _LABELS:
        if not label.search(low):
            continue
        th = _threshold(text, name, pattern) or _range(text, name, pattern)
        if th is None:
            continue
        values = [facts.age] if name == "age" and facts.age is not None else facts.all_numbers.get(name, [])
        if not values:
            results.append(Evaluation("not_documented", f"{name} not documented (criterion: {show_limit(*th)})"))
            continue
        ok = all(compare(v, *th) for v in values)  # every measurement must qualify ("two levels < 300")
        shown = " and ".join(f"{v:g}" for v in values)
        results.append(Evaluation("met" if ok else "not_met", f"{name} {shown} {'meets' if ok else 'fails'} {show_limit(*th)}"))
    if not results:
        return None
    if len(results) == 1:
        return results[0]
    detail = "; ".join(r.detail for r in results)
    statuses = [r.status for r in results]
    if re.search(r"\bor\b", text, re.I):
        if "met" in statuses:
            return Evaluation("met", detail)
        # a documented measurement that fails, the alternatives not measured: the record does not qualify
        return Evaluation("not_met" if "not_met" in statuses else "not_documented", detail)
    if "not_met" in statuses:
        return Evaluation("not_met", detail)
    return Evaluation("met" if all(st == "met" for st in statuses) else "not_documented", detail)


def check_count(text: str, regimen: Regimen) -> Evaluation | None:
    """Requested sessions/exchanges/injections against 'no more than 36 sessions', '5 to 6 exchanges'."""
    if regimen.count is None:
        return None
    low = text.lower()
    m = re.search(rf"(?:no more than|not more than|up to|not exceed|maximum of|at most)\s+(\d+)\s+(?:[a-z-]+\s)?({COUNT_UNITS})", low) \
        or re.search(rf"\b\d+\s+to\s+(\d+)\s+(?:[a-z-]+\s)?({COUNT_UNITS})", low)
    if m:
        limit_text, unit_text = m.group(1), m.group(2)
    else:  # "the total number of ESI sessions ... does not exceed 4 in a rolling 12 months"
        unit = re.search(rf"\b({COUNT_UNITS})\b", low)
        bare = re.search(r"(?:no more than|not more than|not exceed|maximum of|at most)\s+(\d+)\b(?!\s*(?:%|mg|g\b|hours?|days?|weeks?|months?))", low)
        if not (unit and bare):
            return None
        limit_text, unit_text = bare.group(1), unit.group(1)
    if count_unit(unit_text) != regimen.count_unit:
        return None
    limit = float(limit_text)
    ok = regimen.count <= limit
    return Evaluation("met" if ok else "not_met",
                      f"requested {regimen.count:g} {regimen.count_unit}s vs at most {limit:g}")


_PER_KG = re.compile(NUM + r"\s*(mg|mcg|µg|g)\s*/\s*kg(\s*/\s*d(?:ay)?\b|\s+per\s+day\b)?")


def per_kg_doses(low: str) -> list[tuple[float, bool]]:
    """The per-kg doses a text states, in g/kg, each with whether it is per day:
    'no more than 400 mg/kg/day' → [(0.4, True)]."""
    return [(in_grams(to_number(m.group(1)), m.group(2)), bool(m.group(3))) for m in _PER_KG.finditer(low)]


def _per_kg_note(regimen: Regimen, allowed: float, daily: bool) -> tuple[bool, str]:
    """The requested per-kg dose against a limit in g/kg, per day or per course: a daily dose over a
    course is its total ('0.4 g/kg/day for 5 days' is 2 g/kg against 'no more than 2 g/kg')."""
    requested = regimen.grams_per_kg(course=not daily)
    written = f"{regimen.dose:g} {regimen.unit}/kg" + ("/day" if regimen.per_day else "")
    if not daily and regimen.course_days:
        written += f" for {regimen.course_days:g} days"
    per = "g/kg/day" if daily else "g/kg"
    shown = written if f"{requested:g} {per}" == written else f"{written} ({requested:g} {per})"
    return requested <= allowed + 1e-9, f"requested {shown} vs limit {allowed:g} {per}"


def check_regimen(text: str, regimen: Regimen) -> Evaluation | None:
    """Requested dose and interval against a criterion's limits (per-kg doses, in g/kg whatever the
    units written; 'every N weeks')."""
    if regimen.dose is None and regimen.interval_days is None:
        return None
    low = text.lower()
    if not re.search(r"g/kg|mg/kg|every \d+ (?:week|day|month)", low):
        return None
    notes, ok = [], True
    if regimen.grams_per_kg() is not None:
        limits = per_kg_doses(low)
        course = [g for g, daily in limits if not daily]
        daily = [g for g, daily in limits if daily]
        if daily and (regimen.per_day or not course):  # a per-day limit, for a dose known per day
            fits, note = _per_kg_note(regimen, max(daily), daily=True)
            ok &= fits
            notes.append(note)
        if course:  # the largest of the alternatives ('1 g/kg every 3 weeks or 2 g/kg every 4 weeks')
            fits, note = _per_kg_note(regimen, max(course), daily=False)
            ok &= fits
            notes.append(note)
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
