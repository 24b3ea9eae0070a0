"""A conversation's state and how a follow-up is read against it.

A reviewer works a case in turns. The first message is a question; later ones are often
fragments that only make sense against it:

- "what about for CIDP?"                     → the last question, with CIDP as the condition
- "what about plasma exchange?"              → the last question, with plasma exchange as the intervention
- "what about for adolescents?"               → the last question, for that population
- "and at 2 g/kg?" / "what if it were every 4 weeks?" → the last question, with that dose or interval
- "and if she had failed azathioprine too?"  → the last question again, with a new patient fact
- a full question                            → asked as it is

Patient facts accumulate across turns (from the ``patient`` field and from "if she …" follow-ups).
Everything here is a pure function of the state and the message: the same replay serves the
stored chat sessions and the stateless OpenAI-compatible endpoint.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

from app.engine.read.regimen import DOSE_SPAN, INTERVAL_SPAN
from app.engine.text.vocabulary import SYNONYM_GROUPS, canonical, synonym_terms

# Synonym groups (by their first spelling) that name a condition rather than an intervention.
CONDITIONS = frozenset({
    "mg", "gbs", "cidp", "mmn", "itp", "osa", "asd", "lbp", "pe", "pots", "ra", "copd", "hcv",
    "brca",
})
_CONDITION_TERMS = sorted({t for g in SYNONYM_GROUPS if g[0] in CONDITIONS for t in g}, key=len, reverse=True)
_INTERVENTION_TERMS = sorted({t for g in SYNONYM_GROUPS if g[0] not in CONDITIONS for t in g}, key=len, reverse=True)


def _terms_re(terms: list[str]) -> re.Pattern:
    return re.compile(r"(?<![\w-])(" + "|".join(re.escape(t) for t in terms) + r")(?![\w-])", re.I)


_CONDITION_RE = _terms_re(_CONDITION_TERMS)
_INTERVENTION_RE = _terms_re(_INTERVENTION_TERMS)
# Every pattern runs in linear time: no two unbounded quantifiers can share the same characters
# (possessive ``++``/``*+`` where one follows another), and a run of digits, spaces or commas is
# entered only at its start (``(?<!\d)``, ``(?<![\s,])``), so a search does not rescan it from
# every position inside it. tests/service/test_bounds.py times each on adversarial input.
_LEAD = r"^(?:(?:and|but|so|ok(?:ay)?|also|then)[,\s]++)*"
_IF_FACT = re.compile(_LEAD + r"(?:what|how)?\s*+(?:about\s++)?if\s++(?P<clause>.+)$", re.I)
_STATED_FACT = re.compile(_LEAD + r"(?P<clause>(?:she|he|they|the\s++patient|the\s++pt|patient)\s++"
                          r"(?:also\s++|now\s++|already\s++)?(?:has|had|have|is|was|were|failed|tried|took|did|does|"
                          r"didn't|doesn't|cannot|can't)\b.*)$", re.I)
_ABOUT = re.compile(_LEAD + r"(?:(?:what|how)\s++about|what\s++of|and"
                    r"|same(?:\s++question)?(?=\s++(?:for|in|with|at|on)\s++.))"  # "same …" needs a preposition
                    r"(?:\s*+(?P<prep>for|in|with|at|on))?\s++(?P<rest>.+)$", re.I)
_BARE_PREP = re.compile(_LEAD + r"(?P<prep>for|in|with|at|on)\s++(?P<rest>.+)$", re.I)
# Searched only in the text after the last "?.,;" (see _with_condition), so it never fails late.
_TRAILING_CONDITION = re.compile(
    r"\b(?:for|in|with)\s++(?:an?\s++|the\s++)?(?:(?:adult|pediatric|paediatric|child|patient|person|woman|man|"
    r"member)s?\s++(?:with|who\s++has)\s++)?(?P<condition>[^?.,;]+)$", re.I)
_POPULATION = re.compile(r"\b(?:older adults?|adults?|adolescents?|teenagers?|children|child|infants?|"
                         r"(?:pediatric|paediatric|elderly) patients?)\b", re.I)
_TOO = re.compile(r"(?<![\s,])[\s,]*+\b(?:too|also|as well|again)\b\s*+$", re.I)
_SUBJECT_VERB = re.compile(r"^(?:she|he|they|the\s++patient|patient|it)\s++(?:were|was|is|had|has)?\s*+", re.I)
_QUESTION_START = re.compile(r"^\s*(?:is|are|does|do|can|should|would|will|what|when|how|which|who|why|"
                             r"list|describe|explain|outline)\b", re.I)


@dataclass(frozen=True)
class Conversation:
    question: str | None = None
    patient: tuple[str, ...] = ()
    turns: int = 0
    chars: int = 0  # the text of every message and patient field read so far (app/api/bounds.py caps it)

    @property
    def patient_text(self) -> str | None:
        return "; ".join(self.patient) or None

    def as_dict(self) -> dict:
        return {"question": self.question, "patient": list(self.patient), "turns": self.turns, "chars": self.chars}

    @classmethod
    def from_dict(cls, data: dict) -> "Conversation":
        return cls(data.get("question"), tuple(data.get("patient") or ()), int(data.get("turns") or 0),
                   int(data.get("chars") or 0))


@dataclass
class Reading:
    """How a message was read (for tests and for showing the resolved question)."""

    kind: str  # new | condition | intervention | population | regimen | fact
    question: str
    facts: list[str] = field(default_factory=list)


def follow(conversation: Conversation, message: str, patient: str | None = None) -> Conversation:
    """The conversation after ``message`` (and any new ``patient`` context)."""
    reading = read(conversation.question, message)
    facts = list(conversation.patient)
    for fact in ([patient.strip()] if patient and patient.strip() else []) + reading.facts:
        if fact not in facts:
            facts.append(fact)
    return replace(conversation, question=reading.question, patient=tuple(facts), turns=conversation.turns + 1,
                   chars=conversation.chars + len(message) + len(patient or ""))


def replay(messages: list[str], patient: str | None = None) -> Conversation:
    """A conversation rebuilt from its user messages in order (stateless clients)."""
    conversation = Conversation()
    for i, message in enumerate(messages):
        conversation = follow(conversation, message, patient if i == 0 else None)
    return conversation


def read(previous: str | None, message: str) -> Reading:
    """The message read against the previous question. The question it gives is never longer than
    ``previous`` and ``message`` together (plus the " for …?" that joins a bare condition), so no
    sequence of messages can grow a question faster than the messages themselves."""
    text = " ".join(message.split())
    if not previous or _is_standalone(text):
        return Reading("new", text)
    if m := _IF_FACT.match(text) or _STATED_FACT.match(text):
        clause = _clean(m.group("clause"))
        changed = _with_regimen(previous, clause)
        if changed:
            return Reading("regimen", changed)
        return Reading("fact", previous, [clause])
    if m := _ABOUT.match(text) or _BARE_PREP.match(text):
        rest = _clean(m.group("rest"))
        if m.group("prep") and m.group("prep").lower() == "with" and not _CONDITION_RE.search(rest):
            return Reading("fact", previous, [rest])
        return _substitute(previous, rest)
    if len(text.split()) <= 4 and not _QUESTION_START.match(text):
        return _substitute(previous, _clean(text))  # "CIDP?"
    return Reading("new", text)


def _is_standalone(text: str) -> bool:
    """A full question: it names an intervention and reads as a question of its own."""
    return bool(_QUESTION_START.match(text)) and bool(_INTERVENTION_RE.search(text)) and len(text.split()) >= 5


def _clean(text: str) -> str:
    return _TOO.sub("", text.strip().rstrip("?.! ")).strip()


def _substitute(previous: str, new: str) -> Reading:
    changed = _with_regimen(previous, new)
    if changed:
        return Reading("regimen", changed)
    found = synonym_terms(new)
    if any(canonical(t) not in CONDITIONS for t in found) and not any(canonical(t) in CONDITIONS for t in found):
        m = _INTERVENTION_RE.search(previous)
        if m:
            return Reading("intervention", _replace_group(previous, m.group(1), new, _INTERVENTION_RE))
    if _POPULATION.fullmatch(new) and _POPULATION.search(previous):
        return Reading("population", _POPULATION.sub(new, previous, count=1))
    return Reading("condition", _with_condition(previous, new))


def _with_condition(previous: str, condition: str) -> str:
    m = _CONDITION_RE.search(previous)
    if m:
        return _replace_group(previous, m.group(1), condition, _CONDITION_RE)
    core = previous.rstrip().rstrip("?.!").rstrip()  # without the closing "?"
    after_last_mark = max(core.rfind(mark) for mark in "?.,;") + 1  # a condition holds none of these
    m = _TRAILING_CONDITION.search(core, after_last_mark)
    if m:
        return previous[: m.start("condition")] + condition + previous[m.end("condition"):]
    return f"{previous.rstrip('?.! ')} for {condition}?"


def _replace_group(text: str, found: str, new: str, pattern: re.Pattern) -> str:
    """``text`` with the mentions of ``found``'s group ("myasthenia gravis" … "MG") replaced by
    ``new`` while the question stays within ``len(text) + len(new)``; a later mention past that,
    or a later alias in parentheses ("… (MG)"), is dropped instead. So a chain of follow-ups can
    never grow a question faster than the messages that make it."""
    group = canonical(found)
    size, limit = len(text), len(text) + len(new)
    parts: list[str] = []
    at, first = 0, True
    for m in pattern.finditer(text):
        if canonical(m.group(1)) != group:
            continue
        start, end = m.span()
        alias = text[start - 1:start] == "(" and text[end:end + 1] == ")"
        if first or (not alias and size + len(new) - (end - start) <= limit):
            parts += [text[at:start], new]
            size += len(new) - (end - start)
        else:
            start, end = (start - 1, end + 1) if alias else (start, end)
            parts.append(text[at:start])
            size -= end - start
        at, first = end, False
    parts.append(text[at:])
    return " ".join("".join(parts).split())


def _with_regimen(previous: str, change: str) -> str | None:
    """The previous question with the dose and/or interval that ``change`` names, if it names one."""
    out, changed = previous, False
    for pattern in (DOSE_SPAN, INTERVAL_SPAN):
        new = pattern.search(_SUBJECT_VERB.sub("", change))
        if not new:
            continue
        old = pattern.search(out)
        out = out[: old.start()] + new.group(0) + out[old.end():] if old else out
        changed = changed or bool(old)
    return out if changed else None
