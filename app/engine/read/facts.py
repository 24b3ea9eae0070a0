"""Patient facts: the labelled quantities of the question and record, age, sex, weight,
pregnancy and smoking, as typed values."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from app.engine.read.quantities import extract_all_numbers, extract_numbers, roman_to_digits

_AGE = re.compile(r"(\d{1,3})[- ]?(?:year|yr)s?[- ]?old|\bage[ds]?\s*(?:of\s*)?(\d{1,3})\b|\b(\d{1,3})\s*(?:yo|y/o)\b|\b(\d{1,3})\s*-?(?:year-old|yrs?)\b")
_AGE_SEX = re.compile(r"(?<![\d.,/])\b(\d{1,3})([MF])\b(?![/.\d])")  # clinicians' shorthand: "61M", "34F"
_WEIGHT = re.compile(r"(?<![/\d.])(\d{2,3}(?:\.\d)?)\s*kg\b(?!\s*/)")


@dataclass
class Facts:
    text: str = ""
    numbers: dict[str, float] = field(default_factory=dict)
    all_numbers: dict[str, list[float]] = field(default_factory=dict)
    age: float | None = None
    sex: str | None = None
    weight_kg: float | None = None
    pregnant: bool | None = None
    smoker: bool | None = None

    def as_dict(self) -> dict:
        out = {k: v for k, v in self.__dict__.items() if k not in ("text", "numbers") and v is not None}
        return out | self.numbers


def extract_facts(text: str) -> Facts:
    low = text.lower()
    normalised = roman_to_digits(text)
    facts = Facts(text=text, numbers=extract_numbers(normalised))
    facts.all_numbers = extract_all_numbers(normalised, facts.numbers)
    m = _AGE.search(low)
    if m:
        facts.age = float(next(g for g in m.groups() if g))
    elif (m := _AGE_SEX.search(text)) and int(m.group(1)) <= 120:
        facts.age = float(m.group(1))
    m = _WEIGHT.search(low)
    if m:
        facts.weight_kg = float(m.group(1))
    if re.search(r"\b(woman|female|she|her|girl|mother)\b|\b\d+\s*-?\s*(?:year-old\s+)?f\b", low):
        facts.sex = "female"
    elif re.search(r"\b(man|male|he|his|boy|father)\b|\b\d+\s*-?\s*(?:year-old\s+)?m\b", low):
        facts.sex = "male"
    if re.search(r"\bnot pregnant\b|\bno pregnancy\b", low):
        facts.pregnant = False
    elif re.search(r"\bpregnan", low):
        facts.pregnant = True
    if re.search(r"\b(never smok|non-?smoker|nonsmoker|does not smoke|quit smoking \d+ years)", low):
        facts.smoker = False
    elif re.search(r"\b(smok|pack[- ]years?)", low):
        facts.smoker = True
    return facts

