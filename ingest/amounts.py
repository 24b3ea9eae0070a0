"""Numbers with units in a limit or a regimen: doses ('1 g/kg', '300 to 800 mg/kg'), intervals
('every 3 weeks', 'twice daily', 'once monthly'), durations ('for 6 months', 'up to 12 weeks') and
countable quantities ('4 units per month', 'only one agent … at a time'). Each pattern starts at a
digit run or a fixed word, so a statement is read in time linear in its length."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from app.engine.compiled import Amount, Interval, Span
from app.engine.read.quantities import DAYS_PER_UNIT, DAYS_PER_UNIT_OF_DURATION, NUM, to_number, words_to_digits

# Units of a measured value (criteria) and of a dose (limits), lower case.
UNIT = (r"(?:mg/dl|mg/l|mmol/mol|mmol/l|ng/dl|ng/ml|pg/ml|g/dl|g/l|[µμ]g/l|iu/ml|iu/l|u/l|kg/m2|kg/m²|mm ?hg|%|percent|"
        r"ppb|events? per hour|events?/h(?:our)?|/h(?:our)?|per hour|cells/(?:[µμ]l|ul|mm3|mcl)|[×x] ?10\^?9/l|"
        r"points?|mg/kg(?:/day)?|g/kg(?:/day)?|mcg/kg|units?/kg|mg/m2|mg/m²|mcg|[µμ]g|mg|g|kg|lbs?|ml|units?|iu)"
        r"(?![a-z])")
DOSE_UNIT = r"(?:mg/kg(?:/day)?|g/kg(?:/day)?|mcg/kg|units?/kg|mg/m2|mg/m²|mcg|[µμ]g|mg|g|ml|units?|iu)(?![a-z/²])"
_AT_MOST = (r"no more than|not more than|up to|at most|a maximum of|maximum of|maximum|not to exceed|not exceeding|"
            r"must not exceed|may not exceed|does not exceed|≤|<=")
_AT_LEAST = r"at least|a minimum of|no less than|≥|>="
_CMP = {**{w: "<=" for w in _AT_MOST.split("|")}, **{w: ">=" for w in _AT_LEAST.split("|")}}

_DOSE = re.compile(rf"(?:(?P<cmp>{_AT_MOST}|{_AT_LEAST})\s*)?(?P<v>{NUM})(?:\s*(?:-|–|to)\s*(?P<u>{NUM}))?\s*"
                   rf"(?P<unit>{DOSE_UNIT})")
_EVERY = re.compile(r"(?P<cmp>no more often than |no more frequently than |at most |not more often than )?"
                    r"every\s+(?:(?P<n>" + NUM + r"|other)\s*(?:(?:-|–|to)\s*" + NUM + r"\s*)?)?"
                    r"(?P<unit>day|week|month|year)s?\b")
_TIMES = re.compile(r"\b(?P<n>once|twice|thrice|(?<!\d)\d{1,2} times)\s+(?:a\s+|per\s+|each\s+|every\s+)?"
                    r"(?P<unit>day|week|month|year|daily|weekly|monthly|yearly|annually)\b")
_BARE = re.compile(r"\s*(?:[a-z]+\s+){0,2}?(?P<unit>daily|weekly|monthly|annually|yearly|per day|a day|/day)\b")
_SPAN = re.compile(rf"\b(?P<cmp>for up to|for at least|for a maximum of|for no more than|for|up to|{_AT_LEAST}|"
                   rf"no more than|not to exceed|a maximum of)\s+(?P<n>{NUM})\s*(?P<unit>day|week|month|year)s?\b"
                   r"|(?<!\d)(?P<n2>\d{1,3})[- ](?P<unit2>day|week|month)\s+(?:course|trial|supply|period|authori[sz]ation)")
_COUNTABLE = re.compile(rf"(?:(?P<cmp>{_AT_MOST})\s*)?(?P<v>{NUM})\s+(?P<unit>[a-z]+(?:[ -][a-z]+)?)\s+"
                        r"(?:per|every|a|each|in any|in a|within a|within any)\s+"
                        r"(?P<per>day|week|month|year|course|lifetime|episode|calendar year|\d{1,3} (?:days|weeks|months))\b")
_AT_A_TIME = re.compile(r"\bonly (?P<v>\d{1,2}) (?P<unit>[a-z0-9\- ]{1,60}?) (?:is|are|may be|will be) "
                        r"(?:covered|allowed|authori[sz]ed|approved|permitted|reimbursed) at (?:a|any one) time")
_PER_WORD = {"daily": "day", "weekly": "week", "monthly": "month", "yearly": "year", "annually": "year",
             "per day": "day", "a day": "day", "/day": "day"}
_TIMES_WORD = {"once": 1, "twice": 2, "thrice": 3}
_TIME_UNITS = {"day", "days", "week", "weeks", "month", "months", "year", "years", "hour", "hours", "time", "times"}


@dataclass
class Amounts:
    doses: list[Amount] = field(default_factory=list)
    intervals: list[Interval] = field(default_factory=list)
    durations: list[Span] = field(default_factory=list)
    quantities: list[Amount] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.doses or self.intervals or self.durations or self.quantities)


def normal_unit(unit: str) -> str:
    u = unit.lower().replace("μ", "µ").replace("²", "2").replace(" ", "")
    if u in ("percent",):
        return "%"
    if u.startswith(("event", "/h", "perhour")):
        return "events/h"
    if u.endswith("10^9/l") or u.endswith("109/l"):
        return "x10^9/l"
    if u in ("points", "units", "lbs"):
        return u[:-1]
    return u


def _interval(every: float, unit: str, cmp: str = "=") -> Interval:
    return Interval(every=round(every, 3), unit=unit, days=round(every * DAYS_PER_UNIT[unit], 2), comparator=cmp)


def amounts(text: str) -> Amounts:
    """Every dose, interval, duration and quantity in ``text``, each list in reading order, a value
    read twice ('once monthly' is a dose's frequency and a count per month) kept once."""
    low = words_to_digits(text.lower())
    doses, intervals, durations, quantities = [], [], [], []
    for m in _DOSE.finditer(low):
        doses.append((m.start(), Amount(value=to_number(m.group("v")), unit=normal_unit(m.group("unit")),
                                        upper=to_number(m.group("u")) if m.group("u") else None,
                                        comparator=_CMP.get(m.group("cmp") or "", "="))))
        bare = _BARE.match(low, m.end())
        if bare:
            intervals.append((bare.start("unit"), _interval(1, _PER_WORD[bare.group("unit")])))
    for m in _EVERY.finditer(low):
        n = m.group("n")
        every = 2.0 if n == "other" else to_number(n) if n else 1.0
        intervals.append((m.start(), _interval(every, m.group("unit"), ">=" if m.group("cmp") else "=")))
    for m in _TIMES.finditer(low):
        n = m.group("n")
        times = _TIMES_WORD.get(n) or int(n.split()[0])
        if times:
            intervals.append((m.start("unit"), _interval(1 / times, _PER_WORD.get(m.group("unit"), m.group("unit")))))
    for m in _SPAN.finditer(low):
        n, unit = (m.group("n"), m.group("unit")) if m.group("n") else (m.group("n2"), m.group("unit2"))
        cmp = (m.group("cmp") or "").removeprefix("for ").strip()
        comparator = "<=" if cmp in _CMP and _CMP[cmp] == "<=" or cmp == "no more than" else \
            ">=" if _CMP.get(cmp) == ">=" else "="
        days = to_number(n) * DAYS_PER_UNIT_OF_DURATION[unit]
        durations.append((m.start(), Span(days=round(days, 1), comparator=comparator, text=m.group(0).strip())))
    for m in _COUNTABLE.finditer(low):
        unit = m.group("unit")
        if unit.split()[-1] in _TIME_UNITS or re.fullmatch(DOSE_UNIT, unit.split()[0]):
            continue
        quantities.append((m.start(), Amount(value=to_number(m.group("v")), unit=unit, per=m.group("per"),
                                             comparator=_CMP.get(m.group("cmp") or "", "="))))
    for m in _AT_A_TIME.finditer(low):
        quantities.append((m.start(), Amount(value=float(m.group("v")), unit=m.group("unit").strip(), per="time",
                                             comparator="<=")))
    return Amounts(*(_in_order(found) for found in (doses, intervals, durations, quantities)))


def _in_order(found: list) -> list:
    out, seen = [], set()
    for pos, value in sorted(found, key=lambda f: f[0]):
        key = (pos, value.model_dump_json())
        if key not in seen:
            seen.add(key)
            out.append(value)
    return out
