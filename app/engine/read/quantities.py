"""Quantities in free text — one table of what a labelled number measures (BMI, AHI, LDL-C, ...),
read the same way in policy criteria ("BMI ≥ 40 kg/m²") and in patient facts ("BMI 42"), so the
two can be compared; and the normalisations both sides need (roman grades, counts in words)."""

from __future__ import annotations

import re
from bisect import bisect_left

# A number starts where a run of digits starts and never gives digits back (an atomic group), so a
# pattern that begins with one is linear in the text: it cannot retry at every digit of a long run.
NUM = r"(?<!\d)((?>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?))"  # 1,500 is fifteen hundred
DECIMAL = r"(?<!\d)((?>\d+(?:\.\d+)?))"  # 12 or 12.5, without thousands separators

# name -> label pattern (the number follows the label within a few words)
QUANTITIES: dict[str, str] = {
    "mg-adl": r"mg[- ]?adl(?: total)?(?: score)?",
    "bmi": r"bmi|body mass index",
    "ahi": r"ahi|rdi|apnea[- ]hypopnea index|respiratory disturbance index",
    "spo2": r"spo2|sao2|oxygen saturation|saturation|o2 sat",
    "pao2": r"pao2|arterial oxygen",
    "a1c": r"a1c|hba1c|hemoglobin a1c",
    "fpg": r"fasting (?:plasma )?glucose|fpg",
    "ldl": r"ldl(?:-c)?(?: cholesterol)?",
    "testosterone": r"(?:total )?testosterone(?: levels?)?",
    "eosinophils": r"(?:blood )?eosinophils?(?: count)?",
    "ige": r"(?:total )?(?:serum )?ige",
    "igg": r"(?:serum )?igg",
    "fev1": r"fev1",
    "hematocrit": r"hematocrit|hct",
    "platelets": r"platelets?(?: count)?",
    "phq-9": r"phq-?9",
    "ham-d": r"ham-?d",
    "kellgren-lawrence": r"kellgren[- ]lawrence(?: grade)?",
    "wagner": r"wagner(?: grade)?",
    "inr": r"inr",
    "probability": r"(?:carrier |mutation |variant )?probability",
}
COUNTED = {  # "<n> <noun>" quantities
    "headache days": r"headache days?",
    "migraine days": r"migraine days?",
    "exacerbations": r"(?:asthma )?exacerbations?",
}

# The engine's calendar, in one place. Two months are in use today, kept apart so the package move
# changed no answer: requested schedules count a month as 30 days ("every month", "monthly"), and
# criteria durations as 30.4 ("at least 3 months" of therapy). Unifying them is a separate change.
DAYS_PER_UNIT = {"day": 1, "week": 7, "month": 30, "year": 365}  # requested intervals and courses
DAYS_PER_UNIT_OF_DURATION = {"day": 1, "week": 7, "month": 30.4, "year": 365}  # durations in criteria and records


# Units, in one table: what each measures and its size in that measure's base unit (grams,
# litres, days). A dose is a mass or an amount, per nothing, per body size or per time; per a
# volume or per a mass it is a concentration or a ratio ('LDL 68 mg/dL', '420 mg/g'), never a dose.
UNITS: dict[str, tuple[str, float]] = {
    **{u: ("mass", size) for u, size in {"g": 1.0, "mg": 1e-3, "mcg": 1e-6, "µg": 1e-6, "ug": 1e-6, "ng": 1e-9}.items()},
    **{u: ("amount", 1.0) for u in ("unit", "units", "iu", "mol", "mmol", "meq")},
    **{u: ("volume", size) for u, size in {"l": 1.0, "dl": 0.1, "ml": 1e-3, "µl": 1e-6, "ul": 1e-6, "mcl": 1e-6}.items()},
    **{u: ("body", 1.0) for u in ("kg", "m2", "m²")},  # per kg of body weight, per m² of body surface
    **{u: ("time", days) for u, days in {"h": 1 / 24, "hr": 1 / 24, "hour": 1 / 24, "d": 1, "day": 1, "week": 7,
                                          "wk": 7, "month": 30}.items()},
}
DOSE_UNITS = r"mg|mcg|µg|g|units?|iu"  # what a requested dose is written in
# per a volume or a mass: what makes a concentration or a ratio of a unit
NOT_DOSE_PER = "|".join(sorted((u for u, (kind, _) in UNITS.items() if kind in ("volume", "mass")), key=len, reverse=True))


def measure(unit: str) -> str | None:
    """What a unit measures: 'mass', 'amount', 'volume', 'body', 'time' (None when unknown)."""
    found = UNITS.get(unit.lower())
    return found[0] if found else None


def in_grams(value: float, unit: str) -> float | None:
    """A mass in grams ('400', 'mg' → 0.4); None for a unit that is not a mass."""
    found = UNITS.get(unit.lower())
    return value * found[1] if found and found[0] == "mass" else None


def is_concentration(per: list[str]) -> bool:
    """Whether a quantity per ``per`` ('dl'; 'g') is a concentration or a ratio, not a dose."""
    return any(measure(u) in ("volume", "mass") for u in per)


def to_number(text: str) -> float:
    return float(text.replace(",", ""))


# Other labelled numbers of a record, read elsewhere (facts.py): a value's clause ends at them too.
OTHER_LABELS = r"age[ds]?|weighs?|weight"
_LABEL = re.compile(r"(?<![a-z])(?:" + "|".join([*QUANTITIES.values(), OTHER_LABELS]) + r")(?![a-z])")
_DURATION = r"\s*(?:weeks?|days?|months?|years?|hours?)\b"
# A value stands alone: not glued to a word ('A1C', 'FEV1'), not the tail of a longer number
# ('1,50'); a comma or full stop after it ends the value ('BMI 42, AHI 30').
_VALUE = rf"(?<![a-z\d.,]){NUM}(?![\d]|[.,]\d)"
_CLAUSE_END = re.compile(r"[;?!\n]|\.(?!\d)")
_CHANGE = re.compile(rf"[^0-9;\n]{{0,30}}?from\s+{NUM}\s+to\s+{NUM}")


def _clauses(low: str, label: str, starts: list[int], window: int = 60):
    """The clause after each occurrence of ``label``: at most ``window`` characters, ending at the
    end of its sentence or where another label starts (``starts``, sorted): in 'BMI 42, AHI 30'
    BMI's clause is '42, ', so the number of another quantity is never taken."""
    for m in re.finditer(rf"(?<![a-z])(?:{label})(?![a-z])", low):
        later = bisect_left(starts, m.end())
        end = min(starts[later], m.end() + window) if later < len(starts) else m.end() + window
        yield _CLAUSE_END.split(low[m.end(): end], maxsplit=1)[0]


def _label_starts(low: str) -> list[int]:
    return [m.start() for m in _LABEL.finditer(low)]


def extract_numbers(text: str) -> dict[str, float]:
    """Labelled quantities in free text: 'MG-ADL 9' → {'mg-adl': 9}. The first value after a label wins."""
    low = text.lower()
    starts = _label_starts(low)
    found: dict[str, float] = {}
    for name, label in QUANTITIES.items():
        for clause in _clauses(low, label, starts):
            # the first number after the label that is not a duration ("LDL-C after 12 weeks is 98")
            change = _CHANGE.match(clause)
            if change:  # "MG-ADL up from 5 to 10" → the current value
                found[name] = to_number(change.group(2))
                break
            n = re.search(rf"{_VALUE}(?!{_DURATION})", clause)
            if n:
                found[name] = to_number(n.group(1))
                break
    counted = words_to_digits(low)
    for name, label in COUNTED.items():
        m = re.search(rf"{NUM}\s*(?:{label})", counted)
        if m:
            found[name] = to_number(m.group(1))
    return found


def extract_all_numbers(text: str, first: dict[str, float]) -> dict[str, list[float]]:
    """Every labelled value of a quantity within its own clause ('testosterone 270 ng/dL; repeat
    testosterone 410 ng/dL' → [270, 410]); the first value stands when no other is found."""
    low = text.lower()
    starts = _label_starts(low)
    out: dict[str, list[float]] = {}
    for name, label in QUANTITIES.items():
        if name not in first:
            continue
        values = []
        for clause in _clauses(low, label, starts):
            if _CHANGE.match(clause):
                continue
            n = re.search(rf"{_VALUE}(?!{_DURATION})", clause)
            if n:
                values.append(to_number(n.group(1)))
        out[name] = sorted(set(values) | {first[name]}) if values else [first[name]]
    for name, value in first.items():
        out.setdefault(name, [value])
    return out


_ROMAN = {"i": 1, "ii": 2, "iii": 3, "iv": 4, "v": 5}


def roman_to_digits(text: str) -> str:
    """'Wagner grade III' → 'Wagner grade 3', so grades and classes compare as numbers."""
    return re.sub(r"\b(grade|class|stage|type|category)\s+(i{1,3}|iv|v)\b",
                  lambda m: f"{m.group(1)} {_ROMAN[m.group(2).lower()]}", text, flags=re.I)


_NUMBER_WORDS = {w: i for i, w in enumerate(
    "zero one two three four five six seven eight nine ten eleven twelve".split())}


def words_to_digits(text: str) -> str:
    """'Three exacerbations' → '3 exacerbations', so counts written in words compare as numbers."""
    return re.sub(r"\b(" + "|".join(_NUMBER_WORDS) + r")\b(?=\s+[a-z])",
                  lambda m: str(_NUMBER_WORDS[m.group(1).lower()]), text, flags=re.I)

