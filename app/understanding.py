"""Question understanding: what is asked (coverage or clinical), about which intervention and
condition, with which regimen, for which patient. The same quantity extractor reads policy
criteria ("BMI ≥ 40 kg/m²") and patient facts ("BMI 42"), so the two can be compared."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from app.vocabulary import ENGLISH_HINTS, FOREIGN_HINTS, GENERIC, synonym_terms

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
_COUNTED = {  # "<n> <noun>" quantities
    "headache days": r"headache days?",
    "migraine days": r"migraine days?",
    "exacerbations": r"(?:asthma )?exacerbations?",
}

_AGE = re.compile(r"(\d{1,3})[- ]?(?:year|yr)s?[- ]?old|\bage[ds]?\s*(?:of\s*)?(\d{1,3})\b|\b(\d{1,3})\s*(?:yo|y/o)\b|\b(\d{1,3})\s*-?(?:year-old|yrs?)\b")
_WEIGHT = re.compile(r"(?<![/\d.])(\d{2,3}(?:\.\d)?)\s*kg\b(?!\s*/)")
_DOSE = re.compile(NUM + r"\s*(g|mg|mcg|µg|units?|iu)\s*(/|per\s+)?\s*(kg)?(?:\s*/\s*day|\s*per\s*day|/d\b)?", re.I)
_INTERVAL = re.compile(r"every\s+(\d+|other|one|two|three|four|six|eight|twelve)?\s*(day|week|month)s?|(daily|weekly|monthly)", re.I)
_OVER = re.compile(r"(?:over|for|x|×)\s*(\d+)\s*(day|week|month)s?", re.I)
_WORDNUM = {"one": 1, "two": 2, "three": 3, "four": 4, "six": 6, "eight": 8, "twelve": 12, "other": 2}
_UNIT_DAYS = {"day": 1, "week": 7, "month": 30}

_ORDINALS = {"first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7,
             "eighth": 8, "ninth": 9, "tenth": 10}
COUNT_UNITS = r"sessions?|exchanges?|injections?|treatments?|infusions?|procedures?"
_COUNT = re.compile(rf"\b(\d+|{'|'.join(_ORDINALS)})[- ](?:[a-z][a-z/-]*\s){{0,3}}({COUNT_UNITS})\b", re.I)
_SAME_COUNT = {"injection": "session", "treatment": "session", "procedure": "session"}


def count_unit(word: str) -> str:
    """'injections', 'sessions', 'treatments' count the same thing; exchanges and infusions their own."""
    unit = word.lower().rstrip("s")
    return _SAME_COUNT.get(unit, unit)


COVERAGE_CUES = re.compile(
    r"medically necessary|medical necessity|\bcover(?:ed|age)?\b|authori[sz]|approv|qualif|eligible|"
    r"meet(?:s)? (?:the )?criteria|reimburs|prior auth|pay for|reauthori|\bmedicare\b|\bmedicaid\b|health plan|payer|insurer",
    re.I,
)
INFO_CUES = re.compile(r"^\s*(?:(?:at|in|for|by|from|to|with|under)\s+)?(what|when|how|which|why|who|list|describe|explain|outline)\b", re.I)


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

    def as_dict(self) -> dict:
        return {k: v for k, v in self.__dict__.items() if v not in (None, False)} | (
            {"ongoing": True} if self.ongoing else {}
        )


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


@dataclass
class Frame:
    question: str
    kind: str  # coverage | clinical | informational
    terms: list[str]
    topic_words: list[str]
    regimen: Regimen
    facts: Facts
    language_ok: bool = True

    @property
    def source_type(self) -> str:
        """The doc_type that answers this kind of question first: a policy for a coverage
        question, a guideline for a clinical one."""
        return "policy" if self.kind == "coverage" else "guideline"


def _num(text: str) -> float:
    return float(text.replace(",", ""))


def extract_numbers(text: str) -> dict[str, float]:
    """Labelled quantities in free text: 'MG-ADL 9' → {'mg-adl': 9}. The first value after a label wins."""
    low = text.lower()
    found: dict[str, float] = {}
    for name, label in QUANTITIES.items():
        m = re.search(rf"(?<![a-z])(?:{label})(?![a-z])", low)
        if not m:
            continue
        # the first number after the label that is not a duration ("LDL-C after 12 weeks is 98")
        window = low[m.end(): m.end() + 60]
        change = re.match(rf"[^0-9;\n]{{0,30}}?from\s+{NUM}\s+to\s+{NUM}", window)
        if change:  # "MG-ADL up from 5 to 10" → the current value
            found[name] = _num(change.group(2))
            continue
        for n in re.finditer(rf"{NUM}(\s*(?:weeks?|days?|months?|years?|hours?)\b)?", window):
            if not n.group(2):
                found[name] = _num(n.group(1))
                break
    counted = words_to_digits(low)
    for name, label in _COUNTED.items():
        m = re.search(rf"{NUM}\s*(?:{label})", counted)
        if m:
            found[name] = _num(m.group(1))
    return found


def extract_all_numbers(text: str, first: dict[str, float]) -> dict[str, list[float]]:
    """Every labelled value of a quantity within its own clause ('testosterone 270 ng/dL; repeat
    testosterone 410 ng/dL' → [270, 410]); the first value stands when no other is found."""
    low = text.lower()
    out: dict[str, list[float]] = {}
    for name, label in QUANTITIES.items():
        if name not in first:
            continue
        values = []
        for m in re.finditer(rf"(?<![a-z])(?:{label})(?![a-z])", low):
            clause = re.split(r"[;\n]|\.(?!\d)", low[m.end(): m.end() + 60])[0]
            if re.match(rf"[^0-9]{{0,30}}?from\s+{NUM}\s+to\s+{NUM}", clause):
                continue
            n = re.search(rf"(?<![\d.,]){NUM}(?![\d.,]|\s*(?:weeks?|days?|months?|years?|hours?)\b)", clause)
            if n:
                values.append(_num(n.group(1)))
        out[name] = sorted(set(values) | {first[name]}) if values else [first[name]]
    for name, value in first.items():
        out.setdefault(name, [value])
    return out


def extract_regimen(text: str) -> Regimen:
    reg = Regimen()
    m = _DOSE.search(text)
    if m:
        reg.dose, reg.unit = _num(m.group(1)), m.group(2).lower()
        reg.per_kg = bool(m.group(4))
        reg.per_day = bool(re.search(r"/\s*day|per\s*day|/d\b", m.group(0)))
    m = _INTERVAL.search(text)
    if m:
        if m.group(3):
            reg.interval_days = {"daily": 1, "weekly": 7, "monthly": 30}[m.group(3).lower()]
        else:
            n = m.group(1)
            count = _WORDNUM.get(n.lower(), None) if n and not n.isdigit() else (int(n) if n else 1)
            reg.interval_days = (count or 1) * _UNIT_DAYS[m.group(2).lower()]
    m = _OVER.search(text)
    if m:
        reg.duration_days = int(m.group(1)) * _UNIT_DAYS[m.group(2).lower()]
    m = _COUNT.search(text)
    if m:
        n = m.group(1).lower()
        reg.count = float(n) if n.isdigit() else _ORDINALS[n]
        reg.count_unit = count_unit(m.group(2))
    if reg.dose is not None and not reg.per_kg and reg.unit == "g":
        reg.total_g = reg.dose * (reg.duration_days if reg.per_day and reg.duration_days else 1)
    return reg


def merge_regimen(primary: Regimen, secondary: Regimen) -> Regimen:
    """The question's regimen, with what it leaves out taken from the patient record."""
    if primary.dose is None and secondary.dose is not None:
        primary.dose, primary.unit, primary.per_kg, primary.per_day, primary.total_g = (
            secondary.dose, secondary.unit, secondary.per_kg, secondary.per_day, secondary.total_g)
    primary.interval_days = primary.interval_days or secondary.interval_days
    primary.duration_days = primary.duration_days or secondary.duration_days
    return primary


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


def extract_facts(text: str) -> Facts:
    low = text.lower()
    normalised = roman_to_digits(text)
    facts = Facts(text=text, numbers=extract_numbers(normalised))
    facts.all_numbers = extract_all_numbers(normalised, facts.numbers)
    m = _AGE.search(low)
    if m:
        facts.age = float(next(g for g in m.groups() if g))
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


def english_enough(question: str) -> bool:
    words = re.findall(r"[a-záéíóúñüçàèìòùâêîôûëïäöß'-]+", question.lower())
    if not words:
        return False
    eng = sum(w in ENGLISH_HINTS for w in words)
    foreign = sum(w in FOREIGN_HINTS for w in words)
    return not (foreign >= 2 and foreign > eng)


def topic_words(question: str) -> list[str]:
    """Content words that say what the question is about (not how it is asked)."""
    words = re.findall(r"[a-z][a-z0-9\-]+", question.lower())
    return [w for w in words if w not in GENERIC and len(w) > 2 and not w.isdigit()
            and not re.fullmatch(r"(?:year|month|week|day)s?-old", w)]


def understand(question: str, patient: str | None = None) -> Frame:
    text = f"{question}\n{patient or ''}"
    kind = "coverage" if COVERAGE_CUES.search(question) else (
        "informational" if INFO_CUES.match(question) else "clinical")
    return Frame(
        question=question,
        kind=kind,
        terms=synonym_terms(question),
        topic_words=topic_words(question),
        regimen=merge_regimen(extract_regimen(question), extract_regimen(patient or "")),
        facts=extract_facts(text),
        language_ok=english_enough(question),
    )
