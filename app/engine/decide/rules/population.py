"""Whether a statement's population (an age band, a sex, smokers or never smokers, a numeric
threshold such as BMI ≥ 30) includes the patient."""

from __future__ import annotations

import re

from app.engine.decide.rules.criteria import population_numbers
from app.engine.read import Frame
from app.engine.records import Evidence
from app.engine.text.statements import NEGATIVE, Sentence, split_chunk
from app.engine.text.tokens import overlap

AGE_RANGE = re.compile(
    r"(?:aged?\s+)?(\d{1,3})\s*(?:to|-|–|through)\s*(\d{1,3})\s*(?:years)?|(\d{1,3})\s*years?\s*(?:or|and)\s*older|"
    r"older than\s*(\d{1,3})|younger than\s*(\d{1,3})|(?:aged?|ages)\s*(\d{1,3})\s*(?:years)?\s*(?:or|and)\s*(?:older|above)",
    re.I,
)


_NEVER_SMOKED = re.compile(r"never smoked|never smokers?|non-?smokers?|never used tobacco|no (?:history of )?smoking", re.I)


_EVER_SMOKED = re.compile(r"(?<!never )\b(?:ever smoked|have smoked|has smoked|current or former smokers?|former smokers?|"
                          r"currently smoke|who smoke|smoking history|pack-years?)", re.I)


def _smoking(record: str) -> str | None:
    """'never' or 'ever' from the record's words, None when it does not say."""
    if _NEVER_SMOKED.search(record):
        return "never"
    if _EVER_SMOKED.search(record) or re.search(r"\bsmoker\b|\bsmokes\b|quit smoking", record, re.I):
        return "ever"
    return None


def population_fits(text: str, frame: Frame) -> bool:
    """False when the statement's population (an age band, a sex) excludes the patient:
    the band that contains 81 years, not the 50–75 one."""
    age, sex = frame.facts.age, frame.facts.sex
    if age is not None:
        for m in AGE_RANGE.finditer(text):
            lo, hi, older, older_than, younger_than, aged_older = m.groups()
            if lo and hi and not (float(lo) <= age <= float(hi)) and float(hi) > float(lo) and float(hi) <= 120:
                return False
            if (older or aged_older) and age < float(older or aged_older):
                return False
            if older_than and age <= float(older_than):
                return False
            if younger_than and age >= float(younger_than):
                return False
    smoking = _smoking(frame.facts.text)
    if smoking is not None:
        low = text.lower()
        never, ever = bool(_NEVER_SMOKED.search(low)), bool(_EVER_SMOKED.search(low))
        if (smoking == "never" and ever and not never) or (smoking == "ever" and never and not ever):
            return False  # "men who have ever smoked" is not about a man who never smoked
    if sex:
        low = f" {text.lower()} "
        other = (" men ", " male", " males ") if sex == "female" else (" women ", " female", " pregnant ")
        own = (" women ", " female", " pregnan") if sex == "female" else (" men ", " male")
        if any(o in low for o in other) and not any(o in low for o in own):
            return False
    return True


_DIGIT = re.compile(r"\d")


_POPULATION_SECTION = re.compile(r"scope|who\b|population|eligib|indication|candidate|recommend", re.I)


def populations(frame: Frame, evidence: Evidence) -> list[str]:
    """How the patient's numbers (BMI, AHI, ...) fare against the populations the top guideline's
    scope and recommendation sentences state ('adults with BMI ≥ 30 kg/m², or ≥ 27 kg/m² with a
    comorbidity'): met / not_met / not_documented for each sentence that states one."""
    hits = evidence.hits
    if not frame.facts.numbers or not hits or hits[0].chunk.doc_type != "guideline":
        return []
    out = []
    for section, chunks in evidence.document_sections(hits[0].chunk.document_id).items():
        if not _POPULATION_SECTION.search(section):
            continue
        for chunk in chunks:
            for s in split_chunk(chunk):
                if s.stance in NEGATIVE or not _DIGIT.search(s.text):
                    continue
                found = population_numbers(s.text, frame.facts)
                if found is not None:
                    out.append(found)
    return out


def age_band_statements(frame: Frame, evidence: Evidence) -> list[Sentence]:
    """Statements of the top documents whose stated age band contains the patient's age and that
    take a stance ('screening adults aged 76 to 85 years should be an individual one'), best first:
    the band that holds 81 years, whether or not retrieval surfaced its passage."""
    age = frame.facts.age
    if age is None:
        return []
    words = frame.query_words()
    docs = list(dict.fromkeys(h.chunk.document_id for h in evidence.hits if h.chunk.doc_type == "guideline"))[:2]
    found = []
    for rank, doc in enumerate(docs):
        for chunks in evidence.document_sections(doc).values():
            for chunk in chunks:
                for s in split_chunk(chunk):
                    if s.stance in ("neutral", "limit") or not _DIGIT.search(s.text):
                        continue
                    bands = [m for m in AGE_RANGE.finditer(s.text) if m.group(1) and m.group(2) or m.group(3) or m.group(6)]
                    if not bands or not population_fits(s.text, frame):
                        continue
                    score = overlap(words, s.text) - 0.1 * rank
                    if score >= 0.4:
                        found.append((score, s))
    found.sort(key=lambda x: -x[0])
    return [s for _, s in found]
