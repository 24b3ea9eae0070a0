"""The requested regimen: dose (per kg, per day), interval, duration and counted sessions, from the
question and, for what the question leaves out, from the patient record."""

from __future__ import annotations

import re
from dataclasses import dataclass

from app.engine.read.quantities import DAYS_PER_UNIT, DOSE_UNITS, NOT_DOSE_PER, NUM, in_grams, is_concentration, to_number

# A dose: a number, its unit, then what it is per, each written '/ X' or 'per X' ('0.4 g/kg/day',
# '35 g per day'), and 'daily' said of the dose itself ('35 g daily'). Per a volume or a mass it is
# a concentration ('LDL 68 mg/dL'), never a dose.
_DOSE = re.compile(NUM + rf"\s*+({DOSE_UNITS})(?![a-zµ])((?:\s*+(?:/|per\s)\s*+[a-zµ²0-9]++)*+)(\s++daily\b)?", re.I)
_PER = re.compile(r"\s*(?:/|per\s)\s*")
_PER_DAY = {"day", "d"}
_INTERVAL = re.compile(r"every\s+(\d+|other|one|two|three|four|six|eight|twelve)?\s*(day|week|month)s?|(daily|weekly|monthly)", re.I)
_OVER = re.compile(r"(?:over|for|x|×)\s*(\d+)\s*(day|week|month)s?", re.I)
# Where a dose or an interval is written, as whole spans (a follow-up "what about 2 g/kg?" replaces
# the span in the earlier question). Linear time: possessive quantifiers, digits entered at their start.
DOSE_SPAN = re.compile(rf"(?<!\d)\d++(?:[.,]\d++)?+\s*+(?:{DOSE_UNITS})\b(?!\s*+(?:/|per\s)\s*+(?:{NOT_DOSE_PER})\b)"
                       r"(?:\s*+/\s*+(?:kg|day|d)\b)*+", re.I)
INTERVAL_SPAN = re.compile(r"\b(?:every\s++(?:(?:\d++|other|one|two|three|four|six|eight|twelve)\s*+)?+"
                           r"(?:day|week|month)s?|daily|weekly|monthly)\b", re.I)
_WORDNUM = {"one": 1, "two": 2, "three": 3, "four": 4, "six": 6, "eight": 8, "twelve": 12, "other": 2}

_ORDINALS = {"first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7,
             "eighth": 8, "ninth": 9, "tenth": 10}
COUNT_UNITS = r"sessions?|exchanges?|injections?|treatments?|infusions?|procedures?"
_COUNT = re.compile(rf"\b(\d+|{'|'.join(_ORDINALS)})[- ](?:[a-z][a-z/-]*\s){{0,3}}({COUNT_UNITS})\b", re.I)
_SAME_COUNT = {"injection": "session", "treatment": "session", "procedure": "session"}


def count_unit(word: str) -> str:
    """'injections', 'sessions', 'treatments' count the same thing; exchanges and infusions their own."""
    unit = word.lower().rstrip("s")
    return _SAME_COUNT.get(unit, unit)


@dataclass
class Regimen:
    dose: float | None = None
    unit: str | None = None
    per_kg: bool = False
    per_day: bool = False
    interval_days: float | None = None
    duration_days: float | None = None
    total_g: float | None = None  # absolute total (no per-kg), e.g. "10 g over 5 days"
    count: float | None = None  # sessions, exchanges, injections requested
    count_unit: str | None = None

    @property
    def ongoing(self) -> bool:
        """A recurring schedule ('every 3 weeks') is maintenance, not a single course."""
        return self.interval_days is not None and self.interval_days >= 7

    @property
    def course_days(self) -> float | None:
        """The days a per-day dose is given in one course ('0.4 g/kg/day for 5 days' → 5); None for
        a dose not per day, or a duration that is the length of an ongoing schedule."""
        if not self.per_day or not self.duration_days:
            return None
        if self.ongoing and self.duration_days >= self.interval_days:
            return None  # 'every 4 weeks for 6 months': six months of courses, not one
        return self.duration_days

    def grams_per_kg(self, *, course: bool = False) -> float | None:
        """A per-kg dose in g/kg ('400 mg/kg' → 0.4), as written, or over a whole course (a daily
        dose times its days); None for a dose not per kg or not a mass."""
        if not self.per_kg or self.dose is None or self.unit is None:
            return None
        grams = in_grams(self.dose, self.unit)
        if grams is None:
            return None
        return grams * (self.course_days or 1) if course else grams

    def as_dict(self) -> dict:
        return {k: v for k, v in self.__dict__.items() if v not in (None, False)} | (
            {"ongoing": True} if self.ongoing else {}
        )


def extract_regimen(text: str) -> Regimen:
    reg = Regimen()
    doses = ((m, _PER.split(m.group(3).lower())[1:]) for m in _DOSE.finditer(text))  # '/kg/day' → ['kg', 'day']
    m, per = next(((m, per) for m, per in doses if not is_concentration(per)), (None, []))
    if m:
        reg.dose, reg.unit = to_number(m.group(1)), m.group(2).lower()
        reg.per_kg = "kg" in per
        reg.per_day = bool(_PER_DAY & set(per) or m.group(4))
    m = _INTERVAL.search(text)
    if m:
        if m.group(3):
            reg.interval_days = DAYS_PER_UNIT[{"daily": "day", "weekly": "week", "monthly": "month"}[m.group(3).lower()]]
        else:
            n = m.group(1)
            count = _WORDNUM.get(n.lower(), None) if n and not n.isdigit() else (int(n) if n else 1)
            reg.interval_days = (count or 1) * DAYS_PER_UNIT[m.group(2).lower()]
    m = _OVER.search(text)
    if m:
        reg.duration_days = int(m.group(1)) * DAYS_PER_UNIT[m.group(2).lower()]
    m = _COUNT.search(text)
    if m:
        n = m.group(1).lower()
        reg.count = float(n) if n.isdigit() else _ORDINALS[n]
        reg.count_unit = count_unit(m.group(2))
    if reg.dose is not None and not reg.per_kg and reg.unit == "g":
        reg.total_g = reg.dose * (reg.course_days or 1)
    return reg


def merge_regimen(primary: Regimen, secondary: Regimen) -> Regimen:
    """The question's regimen, with what it leaves out taken from the patient record."""
    if primary.dose is None and secondary.dose is not None:
        primary.dose, primary.unit, primary.per_kg, primary.per_day, primary.total_g = (
            secondary.dose, secondary.unit, secondary.per_kg, secondary.per_day, secondary.total_g)
    primary.interval_days = primary.interval_days or secondary.interval_days
    primary.duration_days = primary.duration_days or secondary.duration_days
    return primary

