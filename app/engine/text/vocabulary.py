"""Medical synonyms, abbreviations and the words that carry no topic, shared by retrieval
(query expansion) and question understanding. The vocabularies are data files in ``data/``, each
naming its source; this module only loads them and looks terms up."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from app.engine.text.tokens import stems

_DATA = Path(__file__).parent / "data"


def _load(name: str) -> dict:
    with open(_DATA / name, encoding="utf-8") as fh:
        return yaml.safe_load(fh)


_SYNONYMS = _load("synonyms.yaml")
SYNONYM_GROUPS: list[tuple[str, ...]] = [tuple(group) for group in _SYNONYMS["groups"]]
# Ambiguous spellings, read as the context says before terms are looked up (case-sensitive)
READINGS: list[tuple[re.Pattern, str]] = [(re.compile(r["pattern"]), r["reading"]) for r in _SYNONYMS["readings"]]
_GENERIC_WORDS = _load("generic_words.yaml")
GENERIC = frozenset(_GENERIC_WORDS["words"].split())  # what kind of question, not its topic
_HINTS = _load("language_hints.yaml")
ENGLISH_HINTS = frozenset(_HINTS["english"].split())
FOREIGN_HINTS = frozenset(_HINTS["foreign"].split())
GENERIC_STEMS = stems(" ".join(GENERIC))  # the words that say how a question is asked, stemmed
# and, for matching passages of policies, the words every policy uses about itself
POLICY_GENERIC_STEMS = GENERIC_STEMS | stems(_GENERIC_WORDS["policy_words"])

_INDEX: dict[str, set[str]] = {}
_GROUP: dict[str, tuple[str, ...]] = {}  # each term's first group
for group in SYNONYM_GROUPS:
    for term in group:
        _INDEX.setdefault(term, set()).update(t for t in group if t != term)
        _GROUP.setdefault(term, group)

_TERM_RE = re.compile(
    r"(?<![a-z0-9])(" + "|".join(sorted((re.escape(t) for t in _INDEX), key=len, reverse=True)) + r")(?![a-z0-9])"
)


def synonym_terms(text: str) -> list[str]:
    """The synonym-table terms found in ``text`` (lower-cased)."""
    for pattern, reading in READINGS:
        text = pattern.sub(reading, text)
    return sorted(set(_TERM_RE.findall(text.lower())))


def expand(text: str) -> str:
    """The text plus every synonym of every known term in it (for retrieval)."""
    found = synonym_terms(text)
    extra: list[str] = []
    for term in found:
        extra.extend(sorted(_INDEX[term]))
    return text if not extra else f"{text} {' '.join(extra)}"


def spelled_out(text: str) -> str:
    """The text with the long form of each abbreviation in it appended, for the dense encoder:
    a small general-domain model places "HRT" or "DEXA" poorly, "hormone replacement therapy"
    well. Only one-word terms are spelled out, each by its group's first multi-word spelling."""
    low = text.lower()
    longs: list[str] = []
    for term in synonym_terms(text):
        if " " in term:
            continue
        long = next((t for t in _GROUP[term] if " " in t), None)
        if long and long not in low and long not in longs:
            longs.append(long)
    return f"{text} ({'; '.join(longs)})" if longs else text


def canonical(term: str) -> str:
    """The first spelling of a term's group (so 'plasmapheresis' and 'PLEX' compare equal)."""
    t = term.lower()
    return _GROUP[t][0] if t in _GROUP else t
