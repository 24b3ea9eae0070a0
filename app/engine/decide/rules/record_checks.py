"""Criteria checked against the record's own words and numbers: durations, percent changes,
shares of nights, counts of therapies tried, the prescriber's specialty, one item of a list."""

from __future__ import annotations

import re

from app.engine.read.facts import Facts
from app.engine.read.quantities import DAYS_PER_UNIT_OF_DURATION, DECIMAL
from app.engine.records import Evaluation
from app.engine.decide.rules.cues import content_words, record_scopes, stated
from app.engine.decide.rules.numbers import compare, op_of
from app.engine.text.tokens import stems

_SPAN = DECIMAL + r"\s*(day|week|month|year)s?"


def duration_check(criterion: str, patient: str) -> Evaluation | None:
    """'for at least 6 weeks' / 'within 2 weeks of onset' against the patient's stated durations
    (the clause sharing most words with the criterion, or the only duration given)."""
    low = criterion.lower()
    m = re.search(rf"(at least|more than|longer than|minimum of|within|no more than|less than)\s+{_SPAN}", low) \
        or re.search(rf"{_SPAN}\s+(or more|or longer)", low)
    if not m:
        return None
    if m.group(1) in ("or more", "or longer") or (m.lastindex == 3 and m.group(3) in ("or more", "or longer")):
        op, n, unit = ">=", float(m.group(1)), m.group(2)
    else:
        op = "<=" if m.group(1) in ("within", "no more than", "less than") else ">="
        n, unit = float(m.group(2)), m.group(3)
    limit = n * DAYS_PER_UNIT_OF_DURATION[unit]
    words = content_words(criterion)
    if re.search(r"symptom|pain|pattern|headache", low):
        words = words | stems("pain symptoms headache")
    if re.search(r"nonsurgical|conservative|therapy|treatment|trial|care\b", low):
        words = words | stems("therapy treatment started trial conservative nonsurgical")
    found = []
    for clause in re.split(r"[.;\n]", patient.lower()):
        for d in re.finditer(_SPAN + r"(?!\s*(?:per|a|each|every)\s+(?:day|week|month|year))", clause):
            found.append((len(words & stems(clause)), float(d.group(1)) * DAYS_PER_UNIT_OF_DURATION[d.group(2)], clause.strip()))
    if not found:
        return None
    best = max(found, key=lambda x: x[0])
    if best[0] == 0:
        return None  # no duration in the record is about what the criterion times
    value = best[1]
    ok = value >= limit if op == ">=" else value <= limit
    return Evaluation("met" if ok else "not_met",
                      f"{value / 7:g} weeks documented vs {'at least' if op == '>=' else 'at most'} {limit / 7:g} weeks")


_CHANGE = r"(?:reduction|decrease|relief|improvement|fewer|loss|weight loss|drop)"


def percent_change_check(criterion: str, patient: str) -> Evaluation | None:
    """'a reduction of at least 50%' / '≥ 5% weight loss' against '(a 29% reduction)'."""
    low = criterion.lower()
    m = re.search(rf"{_CHANGE}[^.;%]{{0,30}}?(at least|≥|>=|more than|less than|<)\s*(\d+(?:\.\d+)?)\s*%", low) \
        or re.search(rf"(at least|≥|>=|more than|less than|<)\s*(\d+(?:\.\d+)?)\s*%[^.;]{{0,20}}?{_CHANGE}", low)
    if not m:
        return None
    p = re.search(rf"{DECIMAL}\s*%\s*(?:{_CHANGE})", patient.lower())
    if not p:
        return None
    value, limit = float(p.group(1)), float(m.group(2))
    op = "<" if m.group(1) in ("less than", "<") else ">="
    ok = value < limit if op == "<" else value >= limit
    return Evaluation("met" if ok else "not_met", f"{value:g}% documented vs {op} {limit:g}%")


def share_check(criterion: str, patient: str) -> Evaluation | None:
    """'on ≥ 70% of nights' against the record's '55% of nights' (the same thing counted)."""
    m = re.search(r"(≥|>=|at least|more than|≤|<=|no more than|less than|<|>)\s*(\d+(?:\.\d+)?)\s*% of (?:all )?([a-z]+)",
                  criterion.lower())
    if not m:
        return None
    p = re.search(rf"{DECIMAL}\s*% of (?:all |the )?{m.group(3)}", patient.lower())
    if not p:
        return None
    op = op_of(m.group(1))
    value, limit = float(p.group(1)), float(m.group(2))
    ok = compare(value, op, limit)
    return Evaluation("met" if ok else "not_met", f"{value:g}% of {m.group(3)} documented vs {op} {limit:g}%")


_NUMBER_WORDS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5}


def tried_count_check(criterion: str, patient: str) -> Evaluation | None:
    """'at least 2 nonsteroidal immunosuppressants (for example azathioprine, mycophenolate, ...)':
    count the listed examples the record names."""
    m = re.search(r"at least (\d+|one|two|three|four|five) ([a-z][a-z\- ]{3,60}?)\s*\((?:for example|e\.g\.,?|such as)?\s*([^)]*)\)",
                  criterion, re.I)
    if not m:
        return None
    need = int(m.group(1)) if m.group(1).isdigit() else _NUMBER_WORDS[m.group(1).lower()]
    examples = [e.strip() for e in re.split(r",|\bor\b|\band\b", m.group(3)) if len(e.strip()) > 3]
    if len(examples) < 2:
        return None  # "(24 weeks)" explains the number; it is not a list of choices
    low = patient.lower()
    named = [e for e in examples if e.lower().split()[0] in low]
    if not named:
        return None
    ok = len(named) >= need
    return Evaluation("met" if ok else "not_met",
                      f"{len(named)} of the required {need} {m.group(2).strip()} documented ({', '.join(named)})")


_SPECIALIST = re.compile(r"\b[a-z-]*(?:ologist|iatrist|specialist|surgeon)s?\b", re.I)


def specialist_check(criterion: str, patient: str) -> Evaluation | None:
    """'prescribed by, or in consultation with, a pulmonologist or an allergist-immunologist':
    met when the record names one of those specialists outside a negation."""
    if not re.search(r"prescribed by|in consultation with|under the care of|managed by|ordered by|evaluated by", criterion, re.I):
        return None
    wanted = {m.lower().rstrip("s") for m in _SPECIALIST.findall(criterion)}
    if not wanted:
        return None
    negated, affirmed = record_scopes(patient)
    named = {w for w in wanted if stems(w) & affirmed} or \
            {w for w in wanted for part in w.split("-") if len(part) > 6 and stems(part) & affirmed}
    if named:
        return Evaluation("met", "documented: " + ", ".join(sorted(named)))
    return None


def one_listed(text: str, facts: Facts) -> Evaluation | None:
    """'with documented excessive daytime sleepiness, insomnia, hypertension or history of stroke':
    met when the record affirms every word of one listed item."""
    body = re.sub(r"\b(?:such as|including|documented|for example|e\.g\.)\b", ",", text, flags=re.I)
    items = [i for i in re.split(r",|\bor\b|\band\b|\(|\)", body) if content_words(i)]
    if len(items) < 3:
        return None
    for item in items:
        words = content_words(item)
        if words and stated(words, facts.text):
            return Evaluation("met", "documented: " + item.strip())
    return None
