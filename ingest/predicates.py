"""A criterion's meaning, typed where its wording allows: a quantity against a threshold (read with
the engine's own quantities table, so policy and patient name a value alike), an age band, a sex,
a count of prior therapies, a duration, a bound on the regimen, a finding present or absent.
Anything else stays text. Each pattern starts at a fixed word or at the start of a digit run and
reads a bounded window after it, so a criterion is read in time linear in its length."""

from __future__ import annotations

import re

from app.engine.compiled import AgeBand, Duration, Finding, PriorTherapies, Quantity, Regimen, Sex
from app.engine.read.quantities import COUNTED, DAYS_PER_UNIT_OF_DURATION, NUM, QUANTITIES, to_number, words_to_digits
from ingest.amounts import UNIT, amounts, normal_unit

_LABELS = re.compile("(?<![a-z])(?:" + "|".join(f"(?P<q{i}>{p})" for i, p in enumerate(QUANTITIES.values()))
                     + ")(?![a-z])")
_NAMES = list(QUANTITIES)
_COMPARE = (r"(?P<cmp>≥|>=|=>|≤|<=|=<|>|<|=|at least|no less than|not less than|greater than or equal to|"
            r"less than or equal to|more than|greater than|higher than|above|over|exceeds?|at most|no more than|"
            r"not more than|up to|less than|lower than|below|under|fewer than|between)")
_THRESHOLD = re.compile(r"(?:" + _COMPARE + r"\s*)?(?P<v>" + NUM + r")(?:\s*(?:-|–|to|and)\s*(?P<u>" + NUM + r"))?"
                        + r"\s*(?P<unit>" + UNIT + r")?(?P<tail>\s+or (?:more|higher|greater|above|less|lower|below|fewer))?")
_COUNTED = [(name, re.compile(r"(?:" + _COMPARE + r"\s*)?(?P<v>" + NUM + r")(?:\s*(?:-|–|to)\s*(?P<u>" + NUM
                               + r"))?(?P<tail>\s+or (?:more|fewer))?\s*(?:" + label + ")")) for name, label in COUNTED.items()]
_DURATION_AFTER = re.compile(r"\s*(?:days?|weeks?|months?|years?|hours?|standard deviations?|sds?|times|fold)\b")
_WORDS = {"≥": ">=", ">=": ">=", "=>": ">=", "at least": ">=", "no less than": ">=", "not less than": ">=",
          "greater than or equal to": ">=", "≤": "<=", "<=": "<=", "=<": "<=", "less than or equal to": "<=",
          "at most": "<=", "no more than": "<=", "not more than": "<=", "up to": "<=", ">": ">", "more than": ">",
          "greater than": ">", "higher than": ">", "above": ">", "over": ">", "exceed": ">", "exceeds": ">",
          "<": "<", "less than": "<", "lower than": "<", "below": "<", "under": "<", "fewer than": "<", "=": "="}
_TAILS = {"more": ">=", "higher": ">=", "greater": ">=", "above": ">=", "less": "<=", "lower": "<=", "below": "<=",
          "fewer": "<="}


def _comparator(m: re.Match) -> str | None:
    word, tail = (m.group("cmp") or "").lower(), (m.group("tail") or "").split()
    if m.group("u") and word not in _WORDS:
        return "between"
    if tail:
        return _TAILS[tail[-1]]
    return _WORDS.get(word)


def _threshold(window: str):
    """The first number with a comparator in ``window`` that is not a duration ('after at least 8
    weeks on that regimen is ≥ 70 mg/dL' → ≥ 70 mg/dL)."""
    for m in _THRESHOLD.finditer(window):
        if _DURATION_AFTER.match(window, m.end("u") if m.group("u") else m.end("v")):
            continue
        cmp = _comparator(m)
        if cmp:
            return m, cmp
    return None


def quantity(text: str, subject: str | None = None) -> Quantity | None:
    """'LDL-C ≥ 70 mg/dL' → ldl >= 70 mg/dl. ``subject`` names the quantity when the text gives
    only the threshold (a nested '≥ 150 cells/µL' under 'The blood eosinophil count meets …')."""
    low = text.lower()
    for label in _LABELS.finditer(low):
        window = re.split(r"[;\n]|\.(?!\d)", low[label.end():label.end() + 90], maxsplit=1)[0]
        found = _threshold(window)
        if found:
            return _make(_NAMES[int(label.lastgroup[1:])], *found)
    counted = words_to_digits(low)
    for name, pattern in _COUNTED:
        m = pattern.search(counted)
        if m and _comparator(m):
            unit = "per month" if "per month" in counted[m.end():m.end() + 12] else ""
            return Quantity(subject=name, comparator=_comparator(m), value=to_number(m.group("v")),
                            upper=to_number(m.group("u")) if m.group("u") else None, unit=unit)
    if subject:
        found = _threshold(low[:90])
        if found and found[0].start() < 8:  # the text opens with the threshold
            return _make(subject, *found)
    return None


def _make(subject: str, m: re.Match, cmp: str) -> Quantity:
    return Quantity(subject=subject, comparator=cmp, value=to_number(m.group("v")),
                    upper=to_number(m.group("u")) if m.group("u") and cmp == "between" else None,
                    unit=normal_unit(m.group("unit") or ""))


def subject_of(text: str) -> str | None:
    m = _LABELS.search(text.lower())
    return _NAMES[int(m.lastgroup[1:])] if m else None


# ------------------------------------------------------------------ age and sex

_AGE = r"(?<!\d)(\d{1,3})(?!\d)"
_AGES: list[tuple[re.Pattern, str]] = [
    (re.compile(r"\bages?:?\s+" + _AGE + r"\s*(?:to|through|-|–)\s*" + _AGE), "band"),
    (re.compile(r"\baged?\s+(?:between\s+)?" + _AGE + r"\s*(?:to|through|and|-|–)\s*" + _AGE + r"\s*(?:years?|y)?"), "band"),
    (re.compile(r"\bbetween (?:the )?ages? (?:of )?" + _AGE + r"\s*(?:and|to)\s*" + _AGE), "band"),
    (re.compile(r"\b(?:aged?|age of)\s+" + _AGE + r"\s*(?:years?\s*)?(?:old\s*)?(?:or|and)\s+(?:older|over|above|more)"), "min"),
    (re.compile(_AGE + r"\s*years?\s*(?:of age\s*|old\s*)?(?:or|and)\s+(?:older|over|above)"), "min"),
    (re.compile(r"\b(?:aged?|age of|at least)\s+(?:≥|>=)?\s*" + _AGE + r"\s*years?\s*(?:of age|old)"), "min"),
    (re.compile(r"\bage\s*(?:≥|>=)\s*" + _AGE), "min"),
    (re.compile(r"(?:≥|>=)\s*" + _AGE + r"\s*years?\s*(?:of age|old)"), "min"),
    (re.compile(r"\b(?:older than|over (?:the )?age of|aged? over|aged? more than)\s+(?:(?:the )?age (?:of )?)?" + _AGE), "above"),
    (re.compile(r"\b(?:younger than|under (?:the )?age of|aged? under|aged? less than|age\s*<|before (?:the )?age(?: of)?)"
                r"\s*(?:(?:the )?age (?:of )?)?" + _AGE), "below"),
    (re.compile(r"(?:<)\s*" + _AGE + r"\s*years?\s*(?:of age|old)"), "below"),
    (re.compile(r"(?:≤|<=)\s*" + _AGE + r"\s*years?\s*(?:of age|old)"), "max"),
    (re.compile(_AGE + r"\s*years?\s*(?:of age\s*|old\s*)?(?:or|and)\s+(?:younger|under|less)"), "max"),
    (re.compile(r"\bage\s*(?:≤|<=)\s*" + _AGE), "max"),
]


def age_band(text: str) -> AgeBand | None:
    low = text.lower()
    for pattern, shape in _AGES:
        m = pattern.search(low)
        if not m:
            continue
        a = float(m.group(1))
        if shape == "band":
            b = float(m.group(2))
            if a <= b:
                return AgeBand(lower=a, upper=b)
        elif shape == "min":
            return AgeBand(lower=a)
        elif shape == "above":
            return AgeBand(lower=a, lower_inclusive=False)
        elif shape == "below":
            return AgeBand(upper=a, upper_inclusive=False)
        else:
            return AgeBand(upper=a)
    return None


_SEX_STATED = re.compile(r"\bsex:\s*(female|male)\b|^(?:the )?(?:patient|member|individual|beneficiary|person) is "
                         r"(?:an? )?(female|male|woman|man)\b|^(?:adult |pregnant |postmenopausal |older )?"
                         r"(women|men|females|males|girls|boys)\b")
_SEX = {"female": "female", "woman": "female", "women": "female", "females": "female", "girls": "female",
        "male": "male", "man": "male", "men": "male", "males": "male", "boys": "male"}


def sex(text: str) -> Sex | None:
    low = text.lower().strip()
    m = _SEX_STATED.search(low)
    if not m or re.search(r"\b(?:men and women|women and men|males and females|females and males)\b", low[:80]):
        return None
    return Sex(sex=_SEX[next(g for g in m.groups() if g)])


# ------------------------------------------------------------------ therapies, durations, findings

_TRIED = re.compile(r"\b(?:tri(?:ed|al)|fail|inadequate response|intoleran|contraindicat|refractory|prior|previous|"
                    r"treated with|response to|taken|used|received|not controlled|uncontrolled|despite)")
_COUNT = re.compile(r"(?:at least|a minimum of|no fewer than|≥|>=)\s*(\d{1,2})\s+(?:or more\s+)?|(\d{1,2})\s+or more\s+")
_CLASS_STOP = re.compile(r"\s(?:for|each|at|given|with|from|in|that|which|and|or|including|such|unless|before|"
                         r"after|of|to)\s|[,;:(.]")
_SPAN = re.compile(r"(?:(?:at least|a minimum of|≥|>=|more than|longer than|over)\s*)?(?<!\d)(\d{1,3})\s*"
                   r"(day|week|month|year)s?\b")
_EACH_FOR = re.compile(r"\s*(?:\([^()]{0,160}\)\s*)?(?:,\s*)?(?:each\s+)?(?:(?:tried|given|used|taken)\s+)?for\s+"
                       + _SPAN.pattern)
_NOT_THERAPIES = {"doses", "dose", "sessions", "session", "cycles", "cycle", "points", "point", "times", "episodes",
                  "episode", "infections", "infection", "exacerbations", "exacerbation", "attacks", "attack", "events",
                  "event", "visits", "visit", "measurements", "readings", "tests", "test", "relatives", "relative",
                  "days", "weeks", "months", "years", "hours", "injections", "injection", "hospitalizations"}


def prior_therapies(text: str) -> PriorTherapies | None:
    """'at least 2 prior therapies for at least 3 months' → 2 'prior therapies', ≥ 91.2 days each."""
    low = words_to_digits(text.lower())
    trigger = _TRIED.search(low)
    if not trigger:
        return None
    for m in _COUNT.finditer(low, trigger.start()):
        rest = low[m.end():m.end() + 120]
        stop = _CLASS_STOP.search(rest)
        of = (rest[:stop.start()] if stop else rest).strip()
        last = of.split()[-1] if of else ""
        if not last.isalpha() or len(last) < 3 or len(of.split()) > 6 or last in _NOT_THERAPIES:
            continue
        after = rest[len(of):]
        span = _EACH_FOR.match(after)
        days = int(span.group(1)) * DAYS_PER_UNIT_OF_DURATION[span.group(2)] if span else None
        return PriorTherapies(count=int(m.group(1) or m.group(2)), of=of, min_days=days)
    return None


_DURATION = re.compile(r"(?P<cmp>at least|a minimum of|more than|longer than|greater than|over|no more than|"
                       r"no longer than|no later than|less than|within|up to|under|≥|>=|≤|<=|>|<)\s*"
                       r"(?<!\d)(?P<n>\d{1,3})\s*(?P<unit>day|week|month|year)s?\b"
                       r"(?!\s*(?:per|a|each|every|/|in any|in a)\s*(?:day|week|month|year|calendar))")
_DURATION_CMP = {"at least": ">=", "a minimum of": ">=", "≥": ">=", ">=": ">=", "more than": ">", "longer than": ">",
                 "greater than": ">", "over": ">", ">": ">", "no more than": "<=", "no longer than": "<=",
                 "no later than": "<=", "within": "<=", "up to": "<=", "≤": "<=", "<=": "<=", "less than": "<",
                 "under": "<", "<": "<"}


def duration(text: str) -> Duration | None:
    """'Symptoms have persisted for at least 6 weeks' → symptoms >= 42 days."""
    low = text.lower()
    m = _DURATION.search(low)
    if not m:
        return None
    before = re.sub(r"^(?:the |a |an )?(?:patient |member )?", "", low[:min(m.start(), 120)].strip(" ,"))
    subject = " ".join(before.split()[:6]).strip(" ,;")
    days = int(m.group("n")) * DAYS_PER_UNIT_OF_DURATION[m.group("unit")]
    return Duration(subject=subject, comparator=_DURATION_CMP[m.group("cmp")], days=round(days, 1))


_ABSENT = re.compile(r"^(?:the )?(?:patient|member|individual) (?:has no|does not have|has not had|is free of)\s+"
                     r"(?:(?:personal |family |prior |known )*(?:history|evidence|diagnosis) of\s+)?|^(?:there is )?no "
                     r"(?:(?:personal |family |prior |known )*(?:history|evidence) of\s+)?|^absence of\s+|^without\s+")
_PRESENT = re.compile(r"^(?:the )?(?:patient|member|individual) (?:has|had|is diagnosed with|was diagnosed with)\s+"
                      r"(?:(?:a|an|the)\s+)?(?:(?:confirmed |documented |established |clinical )*(?:diagnosis|history) "
                      r"of\s+)?|^(?:a |an )?(?:confirmed |documented |established )?diagnosis of\s+|^diagnosed with\s+")
_FINDING_END = re.compile(r",|;|:|\.(?!\d)|\(| documented | confirmed | as | by | who | that | which | despite "
                          r"| when | unless | with (?:any|all)| for (?:at least|more)")


_NOT_FINDINGS = {"been", "taken", "had", "undergone", "tried", "received", "used", "a", "an", "the", "at", "to"}


def finding(text: str) -> Finding | None:
    low = text.strip()
    lower = low.lower()
    for pattern, present in ((_ABSENT, False), (_PRESENT, True)):
        m = pattern.match(lower)
        if m and m.end() < len(lower):
            end = _FINDING_END.search(lower, m.end())
            words = low[m.end():end.start() if end else len(low)].strip()
            first = words.split()[0].lower() if words else ""
            if first.endswith("ed") or first in _NOT_FINDINGS:  # 'has completed …', 'has been …': an event, not a finding
                continue
            if words and len(words.split()) <= 12 and not words.lower().startswith(("any ", "all ", "one ", "the following")):
                return Finding(finding=words, present=present)
    return None


_REGIMEN_SUBJECT = re.compile(r"(?:the |each |a |an )?(?:[a-z\-]+ ){0,3}?(?:dose|doses|dosing|course|induction|"
                              r"maintenance|regimen|infusions?|injections?|frequency)\b")


def regimen(text: str) -> Regimen | None:
    """A criterion about the regimen itself ('The dose is no more than 1 g/kg every 3 weeks'):
    typed doses, intervals and durations. A dose named in passing (a background therapy tried)
    is not one."""
    if not _REGIMEN_SUBJECT.match(text.lower()):
        return None
    found = amounts(text)
    if not found.doses:
        return None
    return Regimen(doses=found.doses, intervals=found.intervals, durations=found.durations)


def predicate(text: str, subject: str | None = None):
    """The first typed reading of a criterion, most specific first; None leaves it as text."""
    return (prior_therapies(text) or quantity(text, subject) or age_band(text) or regimen(text)
            or duration(text) or sex(text) or finding(text))


_DOCUMENTATION = re.compile(
    r"prescrib|ordered by|in consultation with|consult(?:ation)? with|specialist|under the care of|managed by|"
    r"evaluated by|ologist\b|documentation|medical record|attest|diary|counsel|informed consent|authori[sz]ation|"
    r"face-to-face|office visit|\bvisit\b|signed|written order|letter of medical necessity|care plan|treatment plan|"
    r"\b(?:is|are|be) (?:documented|recorded)\b(?! by)|\bwill (?:continue|be|receive|undergo|participate)|"
    r"\bagrees? to\b|\benrolled\b|\bsubmitted\b", re.I)


def kind(text: str) -> str:
    """'documentation' for administrative requirements (who prescribes, what is recorded, visits,
    diaries, counselling, paperwork); 'clinical' for the rest."""
    return "documentation" if _DOCUMENTATION.search(text) else "clinical"
