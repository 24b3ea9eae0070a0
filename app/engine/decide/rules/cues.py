"""Cue words of the rules decider, in one place: the record's negation and absence cues
(with medspaCy ConText, which reads the record's scopes), and which of a criterion's words the
record affirms or negates. The words a criterion or record is about are its content words."""

from __future__ import annotations

import re

from app.engine.read.negation import scopes as context_scopes
from app.engine.text.tokens import stems
from app.engine.text.vocabulary import GENERIC

ABSENCE = re.compile(
    r"\b(?:has|have|had) no\b|\bno (?:history|evidence|active|untreated|current|known|prior|personal|family|"
    r"psychotic|contraindication)\b|\bdoes not have\b|\bis not pregnant\b|\bwithout\b|\bnon-?smok|^no\b|"
    r"\bwill not\b|\bnot be (?:used|combined|given)\b|\bis not (?:used|combined)\b|\b(?:are|is) excluded\b|\bruled out\b",
    re.I,
)


NEGATION = re.compile(r"\b(no|not|never|denies|without|none|negative for|has not|have not|hasn't|haven't|did not|didn't)\b", re.I)


CUE = re.compile(r"\b(no|not|never|denies|denied|without|none|negative for|free of|absence of)\b", re.I)


def content_words(text: str) -> frozenset[str]:
    words = [w for w in re.findall(r"[a-z][a-z0-9\-]+", text.lower())
             if w not in GENERIC and len(w) > 3]
    return stems(" ".join(words))


def record_scopes(patient: str, criterion: str = "") -> tuple[frozenset[str], frozenset[str]]:
    """(negated, affirmed) word stems of the record, read by medspaCy's ConText; a relative's
    history counts only for a criterion about family history, a hypothetical never."""
    scopes = context_scopes(patient)
    affirmed = scopes.affirmed | (scopes.family if "family" in criterion.lower() else frozenset())
    return scopes.negated, affirmed


RARE_IDF = 4.0  # a word in fewer than about 2% of the corpus's chunks: a drug, a test, a procedure


def contradicted(patient: str, words: frozenset[str], idf: dict[str, float] | None) -> bool:
    """The record negates a specific thing the criterion names ('never taken ezetimibe')."""
    negated, affirmed = record_scopes(patient)
    rare = {w for w in words if not idf or idf.get(w, RARE_IDF) >= RARE_IDF}
    return bool((rare & negated) - affirmed)


def key_words(words: frozenset[str], idf: dict[str, float] | None, n: int = 3) -> set[str]:
    """The rarest words of a criterion (what it is about), by corpus IDF."""
    if not idf:
        return set(words)
    top = max(idf.values(), default=1.0)
    return set(sorted(words, key=lambda w: (-idf.get(w, top), w))[:n])  # ties by spelling: the same keys every run


def negated_in(patient: str, words: frozenset[str], idf: dict[str, float] | None = None, criterion: str = "") -> bool:
    """The record negates what the criterion is about: its rarest words fall in a negation's
    scope ('never taken ezetimibe', 'no history of MTC') and are not affirmed elsewhere."""
    negated, affirmed = record_scopes(patient, criterion)
    keys = key_words(words, idf)
    hit = (keys & negated) - affirmed
    return bool(hit) and len(hit) >= max(1, len(keys & (negated | affirmed)) // 2)


def affirmed_in(patient: str, words: frozenset[str], idf: dict[str, float] | None = None, criterion: str = "") -> bool:
    """The record states, outside any negation, what the criterion is about."""
    negated, affirmed = record_scopes(patient, criterion)
    keys = key_words(words, idf)
    return len(keys & affirmed) >= min(2, len(keys))


def stated(words: frozenset[str], patient: str) -> bool:
    """A sentence of the record names every word, with no negation before them: 'no impaired
    cognition, mood disorder or insomnia' negates the whole list, not only its first item."""
    for sentence in re.split(r"[.;\n]", patient):
        tokens = re.findall(r"[A-Za-z][A-Za-z0-9\-]*", sentence)
        positions = [i for i, t in enumerate(tokens) if stems(t) & words]
        if not positions or not words <= stems(sentence):
            continue
        before = " ".join(tokens[:min(positions)])
        if not CUE.search(before):
            return True
    return False
