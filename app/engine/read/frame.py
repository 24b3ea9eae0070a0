"""The frame of a question: what is asked (coverage, clinical or informational), about which
terms and topic words, in which language, with which regimen, for which patient."""

from __future__ import annotations

import re
from dataclasses import dataclass

from app.engine.read.facts import Facts, extract_facts
from app.engine.read.regimen import Regimen, extract_regimen, merge_regimen
from app.engine.text.tokens import stems
from app.engine.text.vocabulary import ENGLISH_HINTS, FOREIGN_HINTS, GENERIC, synonym_terms

COVERAGE_CUES = re.compile(
    r"medically necessary|medical necessity|\bcover(?:ed|age)?\b|authori[sz]|approv|qualif|eligible|"
    r"meet(?:s)? (?:the )?criteria|reimburs|prior auth|pay for|reauthori|\bmedicare\b|\bmedicaid\b|health plan|payer|insurer",
    re.I,
)
INFO_CUES = re.compile(r"^\s*(?:(?:at|in|for|by|from|to|with|under)\s+)?(what|when|how|which|why|who|list|describe|explain|outline)\b", re.I)


@dataclass
class Frame:
    question: str
    kind: str  # coverage | clinical | informational
    terms: list[str]
    topic_words: list[str]
    regimen: Regimen
    facts: Facts
    language_ok: bool = True

    def query_words(self) -> frozenset[str]:
        """The stemmed words the question is about: its topic words and its named terms."""
        return stems(" ".join(self.topic_words + self.terms))

    @property
    def with_record(self) -> str:
        """The question and the patient's record as one line of text: what meaning is matched on."""
        return " ".join(self.facts.text.split())

    @property
    def source_type(self) -> str:
        """The doc_type that answers this kind of question first: a policy for a coverage
        question, a guideline for a clinical one."""
        return "policy" if self.kind == "coverage" else "guideline"


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
