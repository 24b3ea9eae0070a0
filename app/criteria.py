"""Policy criteria: an indication's all-of list (with nested any-of lists) read from the policy's
own text, and each criterion checked against the patient fact by fact — numbers compared,
regimens checked against limits, the rest matched on words with negation."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from app.context import read as read_context
from app.statements import GENERIC_STEMS, stems
from app.understanding import COUNT_UNITS, DECIMAL, NUM, QUANTITIES, Facts, Regimen, _COUNTED, count_unit, roman_to_digits
from app.vocabulary import GENERIC


_CMP = re.compile(
    r"(≥|>=|≤|<=|>|<|at least|no more than|not more than|more than|less than|fewer than|up to|a maximum of|maximum of|"
    r"or more|or older|or higher|or greater|or less|or lower|or younger|under|over|above|below)",
    re.I,
)
_ABSENCE = re.compile(
    r"\b(?:has|have|had) no\b|\bno (?:history|evidence|active|untreated|current|known|prior|personal|family|"
    r"psychotic|contraindication)\b|\bdoes not have\b|\bis not pregnant\b|\bwithout\b|\bnon-?smok|^no\b|"
    r"\bwill not\b|\bnot be (?:used|combined|given)\b|\bis not (?:used|combined)\b|\b(?:are|is) excluded\b|\bruled out\b",
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
            node = CriterionLine(body[2:].strip())
            parent = items[-1] if depth >= 1 and items else None
            for _ in range(depth - 1):  # nested any-of lists go as deep as the policy writes them
                if parent is None or not parent.children:
                    break
                parent = parent.children[-1]
            (parent.children if parent is not None else items).append(node)
        elif lead is None and not items:
            lead = body
    return lead, items


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


def _op(word: str) -> str | None:
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
        op = _op(before) or _op(after)
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


def _compare(value: float, op: str, limit) -> bool:
    if op == "range":
        return limit[0] <= value <= limit[1]
    return {">=": value >= limit, ">": value > limit, "<=": value <= limit, "<": value < limit}[op]


def _shown(op: str, limit) -> str:
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
           for name, pattern in (dict(QUANTITIES) | dict(_COUNTED) | {"age": r"age|aged|years? (?:of age|old)"}).items()]


def _numeric(text: str, facts: Facts) -> Evaluation | None:
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
            results.append(Evaluation("not_documented", f"{name} not documented (criterion: {_shown(*th)})"))
            continue
        ok = all(_compare(v, *th) for v in values)  # every measurement must qualify ("two levels < 300")
        shown = " and ".join(f"{v:g}" for v in values)
        results.append(Evaluation("met" if ok else "not_met", f"{name} {shown} {'meets' if ok else 'fails'} {_shown(*th)}"))
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


def _with_what_comes_with_it(text: str, number: Evaluation, facts: Facts, regimen: Regimen,
                             idf: dict[str, float] | None) -> Evaluation:
    """A met number still needs what the text asks for with it: 'BMI ≥ 35 kg/m² with at least one
    obesity-related comorbidity' → the comorbidity, one listed item or the words, checked too."""
    rest = re.search(r"\bwith (?:at least one |an? |any )?(.{8,})$", text)
    if number.status != "met" or not rest or _numeric(roman_to_digits(rest.group(1)), facts):
        return number
    also = _one_listed(rest.group(1), facts) or evaluate(CriterionLine(rest.group(1)), facts, regimen, idf)
    if also.status in ("not_met", "not_documented"):
        return Evaluation(also.status, f"{number.detail}; {also.detail}")
    return number


def population_numbers(text: str, facts: Facts) -> str | None:
    """A recommendation's numeric population against the patient: 'adults with BMI ≥ 30 kg/m², or
    BMI ≥ 27 kg/m² with at least one comorbidity' → met / not_met / not_documented, or None when
    it names no number the patient has."""
    results = []
    for alternative in re.split(r",?\s+\bor\b\s+(?=[^.;]{0,30}?(?:≥|>=|≤|<=|>|<)\s*\d)", roman_to_digits(text)):
        number = _numeric(alternative, facts)
        if number is None or "not documented" in number.detail or number.detail.startswith("age"):
            continue  # age bands are the population check's business
        results.append(_with_what_comes_with_it(alternative, number, facts, Regimen(), None).status)
    if not results:
        return None
    if "met" in results:
        return "met"
    return "not_documented" if "not_documented" in results else "not_met"


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


_SPAN = DECIMAL + r"\s*(day|week|month|year)s?"
_DAYS = {"day": 1, "week": 7, "month": 30.4, "year": 365}


def _duration(criterion: str, patient: str) -> Evaluation | None:
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
    limit = n * _DAYS[unit]
    words = _content(criterion)
    if re.search(r"symptom|pain|pattern|headache", low):
        words = words | stems("pain symptoms headache")
    if re.search(r"nonsurgical|conservative|therapy|treatment|trial|care\b", low):
        words = words | stems("therapy treatment started trial conservative nonsurgical")
    found = []
    for clause in re.split(r"[.;\n]", patient.lower()):
        for d in re.finditer(_SPAN + r"(?!\s*(?:per|a|each|every)\s+(?:day|week|month|year))", clause):
            found.append((len(words & stems(clause)), float(d.group(1)) * _DAYS[d.group(2)], clause.strip()))
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


def _percent_change(criterion: str, patient: str) -> Evaluation | None:
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


def _share_of(criterion: str, patient: str) -> Evaluation | None:
    """'on ≥ 70% of nights' against the record's '55% of nights' (the same thing counted)."""
    m = re.search(r"(≥|>=|at least|more than|≤|<=|no more than|less than|<|>)\s*(\d+(?:\.\d+)?)\s*% of (?:all )?([a-z]+)",
                  criterion.lower())
    if not m:
        return None
    p = re.search(rf"{DECIMAL}\s*% of (?:all |the )?{m.group(3)}", patient.lower())
    if not p:
        return None
    op = _op(m.group(1))
    value, limit = float(p.group(1)), float(m.group(2))
    ok = _compare(value, op, limit)
    return Evaluation("met" if ok else "not_met", f"{value:g}% of {m.group(3)} documented vs {op} {limit:g}%")


_NUMBER_WORDS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5}


def _count_tried(criterion: str, patient: str) -> Evaluation | None:
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


_REFERS_ELSEWHERE = re.compile(r"\b(?:criteria|requirements) (?:below|above)\b|\bspecific criteria\b", re.I)
_SPECIALIST = re.compile(r"\b[a-z-]*(?:ologist|iatrist|specialist|surgeon)s?\b", re.I)


def _specialist(criterion: str, patient: str) -> Evaluation | None:
    """'prescribed by, or in consultation with, a pulmonologist or an allergist-immunologist':
    met when the record names one of those specialists outside a negation."""
    if not re.search(r"prescribed by|in consultation with|under the care of|managed by|ordered by|evaluated by", criterion, re.I):
        return None
    wanted = {m.lower().rstrip("s") for m in _SPECIALIST.findall(criterion)}
    if not wanted:
        return None
    negated, affirmed = _scopes(patient)
    named = {w for w in wanted if stems(w) & affirmed} or \
            {w for w in wanted for part in w.split("-") if len(part) > 6 and stems(part) & affirmed}
    if named:
        return Evaluation("met", "documented: " + ", ".join(sorted(named)))
    return None


def _one_listed(text: str, facts: Facts) -> Evaluation | None:
    """'with documented excessive daytime sleepiness, insomnia, hypertension or history of stroke':
    met when the record affirms every word of one listed item."""
    body = re.sub(r"\b(?:such as|including|documented|for example|e\.g\.)\b", ",", text, flags=re.I)
    items = [i for i in re.split(r",|\bor\b|\band\b|\(|\)", body) if _content(i)]
    if len(items) < 3:
        return None
    for item in items:
        words = _content(item)
        if words and _stated(words, facts.text):
            return Evaluation("met", "documented: " + item.strip())
    return None


def _stated(words: frozenset[str], patient: str) -> bool:
    """A sentence of the record names every word, with no negation before them: 'no impaired
    cognition, mood disorder or insomnia' negates the whole list, not only its first item."""
    for sentence in re.split(r"[.;\n]", patient):
        tokens = re.findall(r"[A-Za-z][A-Za-z0-9\-]*", sentence)
        positions = [i for i, t in enumerate(tokens) if stems(t) & words]
        if not positions or not words <= stems(sentence):
            continue
        before = " ".join(tokens[:min(positions)])
        if not _CUE.search(before):
            return True
    return False


def _content(text: str) -> frozenset[str]:
    words = [w for w in re.findall(r"[a-z][a-z0-9\-]+", text.lower())
             if w not in GENERIC and len(w) > 3]
    return stems(" ".join(words))


_CUE = re.compile(r"\b(no|not|never|denies|denied|without|none|negative for|free of|absence of)\b", re.I)


def _scopes(patient: str, criterion: str = "") -> tuple[frozenset[str], frozenset[str]]:
    """(negated, affirmed) word stems of the record, read by medspaCy's ConText; a relative's
    history counts only for a criterion about family history, a hypothetical never."""
    scopes = read_context(patient)
    affirmed = scopes.affirmed | (scopes.family if "family" in criterion.lower() else frozenset())
    return scopes.negated, affirmed


RARE_IDF = 4.0  # a word in fewer than about 2% of the corpus's chunks: a drug, a test, a procedure


def _contradicted(patient: str, words: frozenset[str], idf: dict[str, float] | None) -> bool:
    """The record negates a specific thing the criterion names ('never taken ezetimibe')."""
    negated, affirmed = _scopes(patient)
    rare = {w for w in words if not idf or idf.get(w, RARE_IDF) >= RARE_IDF}
    return bool((rare & negated) - affirmed)


def _key_words(words: frozenset[str], idf: dict[str, float] | None, n: int = 3) -> set[str]:
    """The rarest words of a criterion (what it is about), by corpus IDF."""
    if not idf:
        return set(words)
    top = max(idf.values(), default=1.0)
    return set(sorted(words, key=lambda w: (-idf.get(w, top), w))[:n])  # ties by spelling: the same keys every run


def _negated_in(patient: str, words: frozenset[str], idf: dict[str, float] | None = None, criterion: str = "") -> bool:
    """The record negates what the criterion is about: its rarest words fall in a negation's
    scope ('never taken ezetimibe', 'no history of MTC') and are not affirmed elsewhere."""
    negated, affirmed = _scopes(patient, criterion)
    keys = _key_words(words, idf)
    hit = (keys & negated) - affirmed
    return bool(hit) and len(hit) >= max(1, len(keys & (negated | affirmed)) // 2)


def _affirmed_in(patient: str, words: frozenset[str], idf: dict[str, float] | None = None, criterion: str = "") -> bool:
    """The record states, outside any negation, what the criterion is about."""
    negated, affirmed = _scopes(patient, criterion)
    keys = _key_words(words, idf)
    return len(keys & affirmed) >= min(2, len(keys))


def evaluate(line: CriterionLine, facts: Facts, regimen: Regimen, idf: dict[str, float] | None = None) -> Evaluation:
    """A criterion's status for this patient. ``idf`` weighs words by rarity in the corpus, so
    'rheumatologist' counts for more than 'prescribed' when matching words."""
    if line.any_of:
        own = _numeric(roman_to_digits(line.text), facts)  # "AHI 5 to 14 events per hour with ANY of:"
        if own is not None and own.status == "not_met":
            return own
        results = [evaluate(child, facts, regimen, idf) for child in line.children]
        if any(r.status == "met" for r in results):
            return Evaluation("met", next(r.detail for r in results if r.status == "met"))
        failed = sum(r.status == "not_met" for r in results)
        if results and failed == len(results):
            return Evaluation("not_met", "none of the alternatives is met")
        if results and failed * 2 >= len(results):
            # the record rules out most alternatives and documents none of the others
            return Evaluation("not_met", f"{failed} of {len(results)} alternatives ruled out, none documented")
        parent = _content(line.text)
        if parent and _negated_in(facts.text, parent, idf, line.text):
            return Evaluation("not_met", "the record states the opposite")
        return Evaluation("not_documented", "none of the alternatives is documented")
    if _REFERS_ELSEWHERE.search(line.text):
        return Evaluation("not_applicable", "checked under the section it refers to")
    numeric = _numeric(roman_to_digits(line.text), facts)
    if numeric is not None:
        return _with_what_comes_with_it(line.text, numeric, facts, regimen, idf)
    reg = check_regimen(line.text, regimen) or check_count(line.text, regimen)
    if reg is not None:
        return reg
    specialist = _specialist(line.text, facts.text)
    if specialist is not None:
        return specialist
    for check in (_percent_change, _share_of, _duration, _count_tried):
        found = check(line.text, facts.text)
        if found is None:
            continue
        required = _content(re.sub(r"\bwithout\b[^,;.]*", " ", line.text))  # not "without adequate relief"
        if found.status == "met" and _contradicted(facts.text, required, idf):
            # "statin plus ezetimibe for at least 8 weeks" and the record: never taken ezetimibe
            return Evaluation("not_met", f"{found.detail}, but the record states the opposite")
        return found
    words = _content(line.text)
    if not words:
        return Evaluation("not_applicable")
    negated_only, affirmed_words = _scopes(facts.text, line.text)
    # a word the record only negates ("no leg weakness") is not evidence for the criterion
    present = words & stems(facts.text) - (negated_only - affirmed_words)
    if idf:
        top = max(idf.values(), default=1.0)
        share = sum(idf.get(w, top) for w in present) / sum(idf.get(w, top) for w in words)
    else:
        share = len(present) / len(words)
    absent = frozenset(read_context(line.text).negated)  # what the criterion requires to be absent
    if absent and _ABSENCE.search(line.text):
        words_absent = absent - GENERIC_STEMS
        if words_absent and _negated_in(facts.text, words_absent, idf, line.text):
            return Evaluation("met", "the record documents the absence")
        if words_absent and _affirmed_in(facts.text, words_absent, idf, line.text) \
                and not re.search(r"\bor (?:has|is|had)\b", line.text):
            return Evaluation("not_met", "the record documents what the criterion excludes: "
                              + ", ".join(sorted(words_absent & stems(facts.text))[:4]))
        parts = re.split(r"\band (?=does|is|has|have|was|no\b)|;", line.text)
        for part in parts if len(parts) > 1 else []:
            # "no personal or family history of MTC and does not have MEN2": each part on its own
            part_absent = frozenset(read_context(part).negated) - GENERIC_STEMS
            if part_absent and _ABSENCE.search(part) and _affirmed_in(facts.text, part_absent, idf, part) \
                    and not _negated_in(facts.text, part_absent, idf, part):
                return Evaluation("not_met", "the record documents what the criterion excludes: "
                                  + ", ".join(sorted(part_absent & stems(facts.text))[:4]))
        words = words - absent  # the rest of the criterion is a positive requirement
        if not words:
            return Evaluation("not_documented", "the record does not say")
    negated = _negated_in(facts.text, words, idf, line.text)
    if _ABSENCE.search(line.text) or (_CUE.search(line.text) and negated):
        # a criterion that requires an absence ("no psychotic features", "no history of seizures")
        if negated:
            return Evaluation("met", "the record documents the absence")
        if _ABSENCE.search(line.text) and (share >= 0.5 or idf) and _affirmed_in(facts.text, words, idf, line.text) \
                and not re.search(r"\bor (?:has|is|had)\b", line.text):
            return Evaluation("not_met", "the record documents what the criterion excludes: " + ", ".join(sorted(present)[:4]))
        return Evaluation("not_documented", "the record does not say")
    if negated:
        return Evaluation("not_met", "the record states the opposite")
    if share >= 0.5 or len(present) >= 3:
        return Evaluation("met", "documented: " + ", ".join(sorted(present)[:6]))
    return Evaluation("not_documented", "not found in the question or patient record")
