"""A conversation's state and how a follow-up is read against it.

A reviewer works a case in turns. The first message is a question; later ones are often
fragments that only make sense against it:

- "what about for CIDP?"                     → the last question, with CIDP as the condition (its
                                               modifiers, "refractory", and the facts that named only
                                               the old condition, "MG-ADL 9", go with it)
- "what about plasma exchange?"              → the last question, with plasma exchange as the intervention
                                               (the old one's dose and interval go)
- "what about for adolescents?"               → the last question, for that population
- "and at 2 g/kg?" / "what if it were every 4 weeks?" → the last question, with that dose or interval
- "and if it has been 6 weeks?"              → the last question with that elapsed time ("… 10 days ago")
- "and if she had failed azathioprine too?", "AHI 22" → the last question again, with a new patient fact
- "what dose?", "is it covered for that?"    → that question about the last intervention and condition
- a full question                            → asked as it is

Which named term is a condition and which an intervention is learned from the index (``Slots``,
app/api/slots.py); without one, the wording alone decides. Patient facts accumulate across turns
(from the ``patient`` field and from "if she …" follow-ups) until the condition changes.
Everything here is a pure function of the state and the message: the same replay serves the
stored chat sessions and the stateless OpenAI-compatible endpoint.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

from app.api import rewrites
from app.api.slots import CONDITION, INTERVENTION, NO_CORPUS, Slots
from app.engine.read.facts import extract_facts
from app.engine.text.vocabulary import GENERIC, SYNONYM_GROUPS  # noqa: F401 (its terms: tests/service/test_bounds.py)

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
_POPULATION = re.compile(r"(?:\b(?:an?\s++)?(?<!\d)\d{1,3}[- ]year[- ]old\b)|"  # "a 16-year-old"
                         r"\b(?:older adults?|adults?|adolescents?|teenagers?|children|child|infants?|"
                         r"(?:pediatric|paediatric|elderly) patients?)\b", re.I)
_SOMEONE = re.compile(r"\b(?:an?|the)\s++(?:patient|member|person)\b", re.I)
_TOO = re.compile(r"(?<![\s,])[\s,]*+\b(?:too|also|as well|again|instead)\b\s*+$", re.I)
_BACK = re.compile(r"\b(?:for|in|with)\s++(?:it|that|this|them)\b", re.I)  # "… for that?": the last condition
_THEN_ASKS = re.compile(_LEAD + r"(?=(?:is|are|does|do|can|should|would|will|what|when|how|which|who|why)\b)", re.I)
_REFERS = re.compile(r"\b(?:it|that|this|them|same)\b", re.I)
_PRONOUN_ONLY = re.compile(r"(?:it|that|this|them|those)", re.I)
_POSSESSIVE = re.compile(_LEAD + r"(?:her|his|their|the\s++patient's)\s", re.I)  # "her MG-ADL is 9 now"
_QUESTION_START = re.compile(r"^\s*(?:is|are|does|do|can|should|would|will|what|when|how|which|who|why|"
                             r"list|describe|explain|outline)\b", re.I)


@dataclass(frozen=True)
class Conversation:
    question: str | None = None
    patient: tuple[str, ...] = ()
    turns: int = 0
    chars: int = 0  # the text of every message and patient field read so far (app/api/bounds.py caps it)
    payer: str | None = None  # the plan whose policy decides, once the reviewer names one in a request field
    as_of: str | None = None  # the date of service (YYYY-MM-DD), once given

    @property
    def patient_text(self) -> str | None:
        return "; ".join(self.patient) or None

    def as_dict(self) -> dict:
        return {"question": self.question, "patient": list(self.patient), "turns": self.turns, "chars": self.chars,
                "payer": self.payer, "as_of": self.as_of}

    @classmethod
    def from_dict(cls, data: dict) -> "Conversation":
        return cls(data.get("question"), tuple(data.get("patient") or ()), int(data.get("turns") or 0),
                   int(data.get("chars") or 0), data.get("payer"), data.get("as_of"))


@dataclass
class Reading:
    """How a message was read (for tests and for showing the resolved question)."""

    kind: str  # new | condition | intervention | population | regimen | fact
    question: str
    facts: list[str] = field(default_factory=list)


def follow(conversation: Conversation, message: str, patient: str | None = None, slots: Slots = NO_CORPUS) -> Conversation:
    """The conversation after ``message`` (and any new ``patient`` context)."""
    reading = read(conversation.question, message, slots)
    facts = list(conversation.patient)
    old = rewrites.condition_of(conversation.question, slots)
    new = rewrites.condition_of(reading.question, slots)
    if old and (new.group if new else None) != old.group and (new or reading.kind == "condition"):
        facts = rewrites.without_facts_of(facts, old.group, slots)  # MG-ADL does not carry over to CIDP
    for fact in ([patient.strip()] if patient and patient.strip() else []) + reading.facts:
        facts, restated = rewrites.restating(facts, fact)  # "MG-ADL is 4" replaces "MG-ADL 9, up from 6"
        if fact not in facts and not restated:
            facts.append(fact)
    return replace(conversation, question=reading.question, patient=tuple(facts), turns=conversation.turns + 1,
                   chars=conversation.chars + len(message) + len(patient or ""))


def replay(messages: list[str], patient: str | None = None, slots: Slots = NO_CORPUS) -> Conversation:
    """A conversation rebuilt from its user messages in order (stateless clients)."""
    conversation = Conversation()
    for i, message in enumerate(messages):
        conversation = follow(conversation, message, patient if i == 0 else None, slots)
    return conversation


def read(previous: str | None, message: str, slots: Slots = NO_CORPUS) -> Reading:
    """The message read against the previous question. The question it gives is never longer than
    ``previous`` and ``message`` together (plus the " for …?" that joins a bare condition), so no
    sequence of messages can grow a question faster than the messages themselves."""
    text = " ".join(message.split())
    if not previous or _is_standalone(text, slots):
        return Reading("new", text)
    reading = _read_follow_up(previous, text, slots)
    if len(reading.question) > len(previous) + len(text) + len(" for ?"):
        return Reading("new", text)
    return reading


def _read_follow_up(previous: str, text: str, slots: Slots) -> Reading:
    if (lead := _THEN_ASKS.match(text)) and lead.end():
        text = text[lead.end():]  # "and what is the evidence?" asks "what is the evidence?"
    if m := _IF_FACT.match(text) or _STATED_FACT.match(text):
        clause = _clean(m.group("clause"))
        changed = rewrites.with_regimen(previous, clause)
        if changed:
            return Reading("regimen", changed)
        changed = rewrites.with_elapsed(previous, clause)
        if changed:
            return Reading("elapsed", changed)
        changed = rewrites.with_measure(previous, clause)
        if changed:
            return Reading("fact", changed)  # "and if it were Wagner grade 3?"
        return Reading("fact", previous, [clause])
    if m := _ABOUT.match(text) or _BARE_PREP.match(text):
        rest, prep = _clean(m.group("rest")), (m.group("prep") or "").lower()
        if not rest:
            return Reading("fact", previous)
        if prep == "with" and not slots.mentions(rest, CONDITION) and not (
                slots.mentions(rest, None) and not slots.kinds):
            return Reading("fact", previous, [rest])
        return _substitute(previous, rest, slots, prep)
    if _is_fact(text, slots):
        changed = rewrites.with_measure(previous, text)
        return Reading("fact", changed) if changed else Reading("fact", previous, [_clean(text)])
    if _QUESTION_START.match(text) and (_BACK.search(text) or rewrites.refers_back(text, slots)):
        asked = rewrites.on_topic(previous, text, slots)  # "what dose?", "is it covered for that?"
        if asked:
            return Reading("topic", asked)
    named = slots.mentions(text)
    if _QUESTION_START.match(text) and _REFERS.search(text) and named and all(m.kind == CONDITION for m in named):
        start, end = rewrites.condition_span(text, named[0])
        rest = (text[:start] + text[end:]).lower()
        if all(w in GENERIC or _REFERS.fullmatch(w) for w in re.findall(r"[a-z][a-z'-]*", rest)):
            return Reading("condition", rewrites.with_condition(previous, text[start:end], slots, _TRAILING_CONDITION))
        asked = rewrites.on_topic(previous, text, slots)  # "does it need a neurologist for CIDP?"
        if asked:
            return Reading("topic", asked)
    if len(text.split()) <= 4 and not _QUESTION_START.match(text):
        return _substitute(previous, _clean(text), slots, "")  # "CIDP?"
    return Reading("new", text)


def _is_standalone(text: str, slots: Slots) -> bool:
    """A full question: it names an intervention and reads as a question of its own."""
    named = slots.mentions(text)
    return (bool(_QUESTION_START.match(text)) and len(text.split()) >= 5 and not _BACK.search(text)
            and not _ABOUT.match(text)
            and any(m.kind == INTERVENTION or (m.kind is None and not slots.kinds) for m in named))


def _is_fact(text: str, slots: Slots) -> bool:
    """A statement about the patient ("her MG-ADL is 9 now", "AHI 22"), not about the topic."""
    if _QUESTION_START.match(text) or any(m.kind in (CONDITION, INTERVENTION) for m in slots.mentions(text)):
        return False
    facts = extract_facts(text)
    return bool(_POSSESSIVE.match(text)) or bool(facts.numbers) or facts.age is not None or facts.weight_kg is not None


def _clean(text: str) -> str:
    return _TOO.sub("", text.strip().rstrip("?.! ")).strip()


def _substitute(previous: str, new: str, slots: Slots, prep: str) -> Reading:
    changed = rewrites.with_regimen(previous, new)
    if changed:
        return Reading("regimen", changed)
    if _POPULATION.fullmatch(new):
        if _POPULATION.search(previous):
            return Reading("population", _POPULATION.sub(new, previous, count=1))
        if _SOMEONE.search(previous):
            return Reading("population", _SOMEONE.sub(new, previous, count=1))
        return Reading("population", f"{previous.rstrip('?.! ')} in {new}?")
    found = slots.mentions(new)
    if not found and _PRONOUN_ONLY.fullmatch(new):
        return Reading("topic", previous)  # "and for that?"
    if not found and all(w in GENERIC for w in new.lower().split()):
        asked = rewrites.on_topic(previous, f"what about {new}", slots)  # "what about the dose?"
        return Reading("topic", asked) if asked else Reading("fact", previous)
    head = found[-1].kind if found else None  # "knee arthroscopy" is an arthroscopy
    if head == INTERVENTION or (head is None and any(m.kind == CONDITION for m in found[:-1])):
        changed = rewrites.with_intervention(previous, new, slots)
        if changed:
            return Reading("intervention", changed)
    return Reading("condition", rewrites.with_condition(previous, new, slots, _TRAILING_CONDITION))
