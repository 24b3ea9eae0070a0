"""Statements: the sentences of retrieved chunks, each an exact span of its chunk, tagged with
its stance (what it says about coverage or practice) from its wording and its section."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from app.chunks import Chunk
from app.engine.text.sentences import STATEMENT_BOUNDARY
from app.engine.text.tokens import overlap

# (stance, pattern) — first match wins, so the specific negative forms come before the positive
_CUES: list[tuple[str, re.Pattern]] = [
    ("experimental", re.compile(r"experimental|investigational|unproven", re.I)),
    ("not_covered", re.compile(r"not (?:considered )?medically necessary|not covered|(?:is|are) excluded|not a covered|"
                               r"is not a benefit|does not authori[sz]e|not eligible", re.I)),
    ("insufficient", re.compile(r"insufficient evidence|evidence is insufficient|\bI statement\b|\[grade i\]|grade:? i\b|"
                                r"do(?:es)? not address|not addressed|no recommendation|not enough evidence|"
                                r"insufficient to assess|uncertain", re.I)),
    ("against", re.compile(r"recommends? against|suggests? against|recommendation against|should not|is not recommended|are not recommended|not recommended|"
                           r"(?<!who )(?<!that )(?<!which )\bdo not\b|\bavoid\b|\[grade d\]|grade:? d\b|no (?:added |additional )?benefit|not indicated|"
                           r"contraindicated|not better|no better", re.I)),
    ("individual", re.compile(r"grade:? c\b|\[grade c\]|individual decision|should be an individual one|selectively offer|individuali[sz]ed|shared decision", re.I)),
    ("covered", re.compile(r"medically necessary|\bis covered\b|\bare covered\b|covered (?:for|when)|is a benefit", re.I)),
    ("recommends", re.compile(r"recommend|\bshould\b|grade:? a\b|grade:? b\b|\[grade [ab]\]|strong recommendation|"
                              r"is indicated|are indicated|may be considered|may be used|first[- ]line|is effective|"
                              r"are effective|is reasonable|class i\b|level a\b|level b\b|category i\b", re.I)),
]
_NEGATIVE_SECTIONS = re.compile(r"experimental|investigational|exclusion|limitation|recommends against|not medically necessary", re.I)
NEGATIVE = {"experimental", "not_covered", "against"}
POSITIVE = {"covered", "recommends"}


@dataclass(frozen=True)
class Sentence:
    text: str
    chunk: Chunk
    start: int
    stance: str


_AGAINST_SECTION = re.compile(r"recommends against|not recommended|do not do", re.I)


def stance_of(text: str, section: str = "") -> str:
    for stance, pattern in _CUES:
        if pattern.search(text):
            if stance in ("recommends", "covered", "neutral") and _AGAINST_SECTION.search(section):
                return "against"  # a neutral-sounding line under "Recommends against"
            return stance
    if _AGAINST_SECTION.search(section):
        return "against"
    if _NEGATIVE_SECTIONS.search(section):
        return "limit"
    return "neutral"


def split_chunk(chunk: Chunk) -> list[Sentence]:
    """Sentences (and list items) at '. ', '; ', '? ', '! ' or a line break — never inside
    numbers such as 100.1 or 0.4 g/kg — each located exactly in the chunk text, with its stance.
    Computed once per chunk text and section (a question reads the same chunks again and again),
    or read from what ingest computed (:func:`remember`)."""
    key = (chunk.text, chunk.section)
    pieces = _remembered.get(key) or _split(*key)
    return [Sentence(text, chunk, start, stance) for text, start, stance in pieces]


@lru_cache(maxsize=200_000)
def _split(text: str, section: str) -> tuple[tuple[str, int, str], ...]:
    return tuple(_pieces(text, section))


_remembered: dict[tuple[str, str], tuple[tuple[str, int, str], ...]] = {}


def statement_spans(chunk: Chunk) -> list[tuple[int, int, str]]:
    """(start, length, stance) of each statement: what ingest stores (``precomputed.json``)."""
    return [(start, len(text), stance) for text, start, stance in _split(chunk.text, chunk.section)]


def remember(notes) -> None:
    """Take the statements of an index's chunks as ingest computed them: ``notes``, pairs of a chunk
    and its spans (spans that do not fit its text are ignored). Replaces what an index loaded
    before gave, so a process that reloads its index keeps one copy."""
    kept = {}
    for chunk, spans in notes:
        text = chunk.text
        if all(0 <= start and start + length <= len(text) for start, length, _ in spans):
            kept[(text, chunk.section)] = tuple((text[s:s + n], s, stance) for s, n, stance in spans)
    _remembered.clear()
    _remembered.update(kept)


# A labelled field: a short label, a colon, a short value ('Grade: B.', 'Sex: male.', 'Ages: 65 to 75.')
_FIELD = re.compile(r"[A-Z][A-Za-z /-]{0,24}:\s+[^\s:][^:]{0,30}")


def _pieces(text: str, section: str):
    """Each line's statements. A line made only of labelled fields, as records write a grade and its
    population ('Grade: D. Sex: male. Ages: 70 to 100.'), is one statement, however short: its fields
    are read together, and none is quoted alone."""
    end = -1
    for line in text.split("\n"):
        start, end = end + 1, end + 1 + len(line)
        pieces = [p.strip() for p in STATEMENT_BOUNDARY.split(line) if p.strip()]
        pieces = [p[2:].strip() if p.startswith("- ") else p for p in pieces]
        fields = bool(pieces) and all(_FIELD.fullmatch(p) for p in pieces)
        at = start
        for piece in [line.strip().removeprefix("- ").strip()] if fields else pieces:
            begin = text.index(piece, at)
            at = begin + len(piece)
            if (len(piece) < 12 and not fields) or not re.search(r"[A-Za-z]{3}", piece):
                continue
            yield piece, begin, stance_of(piece, section)


_DISAGREEMENT_SECTION = re.compile(r"\bdisagree", re.I)


def is_disagreement(section: str) -> bool:
    """A 'Where sources disagree' section (not a 'Conflicts of interest' disclosure)."""
    return bool(_DISAGREEMENT_SECTION.search(section))


def disagreement_score(words: frozenset[str], chunk: Chunk) -> float:
    """How much a disagreement passage is about the question: its text, and (half as much) its
    document's title, so the IVIG evidence review outranks a plasma-exchange review that also
    mentions IVIG."""
    return overlap(words, f"{chunk.section} {chunk.text}") + 0.5 * overlap(words, chunk.title)
