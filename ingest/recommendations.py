"""A guideline statement as a recommendation: its stance (for, against, individual decision,
insufficient evidence), its grade, the population it applies to (with the age band and sex it
states) and the intervention. A USPSTF-style letter grade decides the stance (A/B for, C
individual, D against, I insufficient); otherwise the wording does, and the section's heading
when it says 'recommends against'."""

from __future__ import annotations

import re
from dataclasses import dataclass

from app.chunks import SECTION_SEP
from app.engine.compiled import AgeBand
from ingest.predicates import age_band, sex

_LETTER = re.compile(r"(?i:\bgrade):?\s+([ABCDI])\b|\(\s*([ABCD]) recommendation\s*\)|\b(I) statement\b")
_BRACKET = re.compile(r"\[([^\[\]]{1,160})\]")
_STRENGTH = re.compile(r"recommendation|level|class|grade|consensus|evidence|statement|advice|appropriate|"
                       r"strong|conditional|weak|good practice|expert opinion", re.I)
_TAIL = re.compile(r"[\[(]\s*([^\[\]()]{1,80}?)\s*[\])]\s*\.?\s*$")  # '… (Weak for).', '… [B]'
_GRADE_WORDS = re.compile(r"^(?:(?:strong|weak|conditional)\s+(?:for|against)\b.*|category\s+[ivx]+[a-c]?|[A-D]|EO|GPP)$",
                          re.I)
_DIRECTION = re.compile(r"^(?:strong|weak|conditional)\s+(for|against)\b", re.I)
_LETTER_STANCE = {"A": "for", "B": "for", "C": "individual", "D": "against", "I": "insufficient"}
_STANCES: list[tuple[str, re.Pattern]] = [(name, re.compile(p, re.I)) for name, p in [
    ("against", r"recommends? against|suggests? against|recommendation against|should not|not recommended|"
                r"\bdo not (?:use|offer|order|perform|prescribe|screen|routinely)|should be avoided|\bavoid\b|"
                r"not appropriate|established as ineffective|no (?:added |additional )?benefit"),
    ("insufficient", r"insufficient|no recommendation|knowledge gap|\bI statement\b|not enough evidence|"
                     r"evidence is lacking|uncertain"),
    ("individual", r"individual decision|should be an individual|selectively offer|shared decision|individuali[sz]ed"),
    ("for", r"\brecommends?\b|\bsuggests?\b|\brecommended\b|\bshould\b|(?:is|are) appropriate|may be considered|"
            r"is indicated|are indicated|is reasonable|first-line|established as effective|may be offered"),
]]
_STRONG_VERB = re.compile(r"\b(?:recommends|concludes)\b|\b(?:is|are) (?:not )?recommended|individual decision|"
                          r"should be an individual|recommends? against|selectively offer|^(?:we )?(?:recommend|suggest)\b|"
                          r"\bwe (?:recommend|suggest)\b", re.I)
_AGAINST_HEADING = re.compile(r"recommends against|not recommended|do not do", re.I)
_POPULATION = re.compile(
    r"\b(?:(?:all|asymptomatic|nonpregnant|pregnant|postmenopausal|premenopausal|older|younger|young|sexually active|"
    r"adult|average-risk|high-risk|symptomatic|community-dwelling)\s+){0,3}"
    r"(?:adults|women|men|persons|people|patients|children|adolescents|infants|newborns|individuals|youths?|girls|"
    r"boys|females|males)\b")
_POPULATION_END = re.compile(r"[.;\[\]()]|, (?:the|clinicians|we|it|this|and the)\b|\s(?:to (?:reduce|prevent|improve)|"
                             r"rather than|over continuing|because)\b")
_VERB = re.compile(r"\b(?:recommends?|suggests?)(?: against)?(?: that)?|\bshould(?: not)?(?: be)?|"
                   r"benefits and harms of|balance of benefits and harms of")
_INTERVENTION_END = re.compile(r"\s(?:for|in|among)\s|[\[(;]|\.(?!\d)")
_PASSIVE = re.compile(r"^(?:(?:for|in|among) [^,]{0,120}, )?([^,;\[(]{3,160}?)(?:\s+(?:is|are)\s+(?:established|probably|possibly|"
                      r"appropriate|not)|\s+should\b|$)")


@dataclass
class Reading:
    stance: str
    grade: str
    grade_quote: str
    population: str
    age: AgeBand | None
    sex: str | None
    intervention: str


def section_grade(lines: list[str]) -> tuple[str, str] | None:
    """A section's own grade line ('Grade: B. Sex: female. Ages: 50 to 74.'): (letter, the line)."""
    for line in lines:
        m = _LETTER.search(line)
        if m and line.lstrip().lower().startswith("grade"):
            return next(g for g in m.groups() if g), line
    return None


def read(text: str, section: str, *, grade_line: tuple[str, str] | None, strict: bool) -> Reading | None:
    """The recommendation ``text`` states, or None when it states none. ``strict`` (a section no
    heading names) asks for a grade or a recommending verb; 'should' alone is not enough there."""
    letter_m = _LETTER.search(text)
    letter = next((g for g in letter_m.groups() if g), "") if letter_m else ""
    bracket = [b for b in _BRACKET.findall(text) if _STRENGTH.search(b)]
    tail = _TAIL.search(text)
    if tail and _GRADE_WORDS.match(tail.group(1)) and tail.group(1) not in bracket:
        bracket.append(tail.group(1))  # a guideline's own strength ('Strong for', 'Category IB', '[B]')
    grade_quote = ""
    if not letter and grade_line:
        letter, grade_quote = grade_line
    wording = next((name for name, pattern in _STANCES if pattern.search(text)), None)
    if wording is None and not (letter_m or bracket):
        return None
    if (strict or grade_line) and not (letter_m or bracket or _STRONG_VERB.search(text)):
        return None  # 'should' alone, or a grade read off the section: the statement must recommend
    direction = _DIRECTION.match(bracket[-1].strip()) if bracket else None
    if letter:
        stance = _LETTER_STANCE[letter]
    elif direction:
        stance = direction.group(1).lower()
    elif _AGAINST_HEADING.search(section) and wording in ("for", None):
        stance = "against"
    elif wording:
        stance = wording
    else:
        return None
    population = ""
    age, sex_of = None, None
    if grade_line:  # a USPSTF-style section: its heading is the population, its grade line the band
        population = section.split(SECTION_SEP)[-1]
        age, sex_of = age_band(population) or age_band(grade_line[1]), sex(grade_line[1])  # the heading's band is finer
    if not population:
        m = _POPULATION.search(text)
        if m:
            end = _POPULATION_END.search(text, m.end())
            population = text[m.start():end.start() if end else min(len(text), m.end() + 120)].strip(" ,")
    if population:
        age = age or age_band(population)
        sex_of = sex_of or sex(population)
    intervention = ""
    verb = _VERB.search(text)
    if verb and verb.group(0).startswith("should") and verb.group(0).endswith("be") or verb is None:
        subject = _PASSIVE.search(text[:verb.start()] if verb else text)  # 'Topiramate … should be offered'
        intervention = subject.group(1).strip(" ,") if subject else ""
    if verb and not intervention:
        rest = text[verb.end():verb.end() + 200]
        end = _INTERVENTION_END.search(rest)
        intervention = rest[:end.start() if end else len(rest)].strip(" ,")
    grade = letter or (bracket[-1].strip() if bracket else "")
    return Reading(stance, grade, grade_quote, population, age, sex_of.sex if sex_of else None, intervention)
