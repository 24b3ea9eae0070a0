"""Edits of the last question that a follow-up asks for: another condition, intervention, dose,
interval or elapsed time, or the same topic asked another way ("what dose?", "is it covered for
that?"). Each edit is built from the last question's own words and the follow-up's, so a question
never grows faster than the messages that make it; every pattern runs in linear time (see
tests/service/test_bounds.py)."""

from __future__ import annotations

import re

from app.api.slots import CONDITION, INTERVENTION, Mention, Slots
from app.engine.read.regimen import DOSE_SPAN, INTERVAL_SPAN

# The words that end a condition's phrase on its left ("for a patient with | refractory MG").
_LEFT_STOP = frozenset("for with in has had have to on from a an the patient patients who and or is are "
                       "covered necessary needed indicated member person adult adults child children".split())
# The words after a condition that start something else ("MG | who has …", "MG | with MG-ADL 9").
_RIGHT_STOP = frozenset("with who whose that which and or in on at after since despite for when if but because "
                        "is was are were has had".split())
_WORD_BEFORE = re.compile(r"([\w'/-]++)\s*+$")
_WORD_AFTER = re.compile(r"\s++([A-Za-z][\w'-]*+)(?![\w'-])")  # a next word, without digits
_ALIAS_AFTER = re.compile(r"^\s*+\([^()]{1,40}\)")
_SUBJECT_VERB = re.compile(r"^(?:she|he|they|the\s++patient|patient|it)\s++(?:were|was|is|had|has)?\s*+", re.I)
# Elapsed time as a question states it: "onset 10 days ago", "for the past 3 months"
_AGO = re.compile(r"(?<!\d)\d++\s*+(?:days?|weeks?|months?|years?)(?=\s++ago\b)|"
                  r"(?<=\b(?:past|last)\s)\d++\s*+(?:days?|weeks?|months?|years?)\b", re.I)
_ELAPSED = re.compile(r"(?<!\d)\d++\s*+(?:days?|weeks?|months?|years?)\b", re.I)
_MEASURE = re.compile(r"(?<![\w-])(?P<label>[A-Za-z][\w-]{1,20}+)(?:\s++(?:score|total))?+(?:\s++(?:is|was|of|=|:))?+"
                      r"(?:\s++now)?+\s*+(?P<value>\d++(?:\.\d++)?+)(?![\d.])")  # "BMI 28", "MG-ADL is 4"
_PRONOUN = re.compile(r"\b(it|that|this|them)\b", re.I)
_FOR_PRONOUN = re.compile(r"\b(for|in|with)\s++(?:it|that|this|them)\b", re.I)
_WHEN_WORDS = re.compile(r"^(?:how\s++(?:often|long|frequently|soon)|when)$", re.I)
_WHAT_NOUN = re.compile(r"^(?:what|which|how\s++many|how\s++much)(?:\s++about)?(?:\s++[a-z-]++){1,2}$", re.I)  # "what dose"
_SEGMENT = re.compile(r"[,;]\s*+[^,;?]*+")


def condition_of(question: str | None, slots: Slots) -> Mention | None:
    return slots.first(question, CONDITION) if question else None


def intervention_of(question: str, slots: Slots) -> Mention | None:
    """The intervention a question names: one of that kind, else a named term of no known kind
    that is not its condition (a corpus that never says which kind it is)."""
    found = slots.first(question, INTERVENTION)
    if found:
        return found
    return next((m for m in slots.mentions(question, None) if m.kind is None), None)


def condition_span(question: str, mention: Mention) -> tuple[int, int]:
    """The whole phrase of a condition: its modifiers on the left ("refractory generalized", "an
    acute exacerbation of"), one
    word closing the question on its right ("exacerbation") and an alias in parentheses."""
    start = mention.start
    while (m := _WORD_BEFORE.search(question, max(0, start - 60), start)) and m.group(1).lower() not in _LEFT_STOP \
            and not any(c.isdigit() for c in m.group(1)) and start - m.start(1) < 40:
        start = m.start(1)
    if (m := _WORD_BEFORE.search(question, max(0, start - 60), start)) and m.group(1).lower() in ("a", "an", "the"):
        start = m.start(1)  # "for an acute exacerbation of MG": the article goes with it
    end = mention.end
    if a := _ALIAS_AFTER.match(question[end:]):
        end += a.end()
    while (w := _WORD_AFTER.match(question, end)) and w.group(1).lower() not in _RIGHT_STOP:
        end = w.end()  # "MG exacerbation", "MG MG MG"
    return start, end


def with_condition(previous: str, new: str, slots: Slots, trailing: re.Pattern) -> str:
    """``previous`` with its condition's phrase replaced by ``new``, and the parts that named
    only the old condition ("…, with MG-ADL 9") dropped."""
    old = condition_of(previous, slots)
    if old:
        start, end = condition_span(previous, old)
        rest = _other_mentions(previous[end:], old.group, new, slots, budget=end - start)
        out = previous[:start] + new + rest
        return " ".join(without_group_segments(out, old.group, slots, keep=start + len(new)).split())
    core = previous.rstrip().rstrip("?.!").rstrip()
    after_last_mark = max(core.rfind(mark) for mark in "?.,;") + 1  # a condition holds none of these
    m = trailing.search(core, after_last_mark)
    if m:
        return previous[: m.start("condition")] + new + previous[m.end("condition"):]
    return f"{previous.rstrip('?.! ')} for {new}?"


def _other_mentions(text: str, group: str, new: str, slots: Slots, budget: int) -> str:
    """``text`` with the later mentions of ``group`` replaced by ``new`` while they add no more than
    ``budget`` characters in all (past that, or as an alias in parentheses, dropped)."""
    parts, at = [], 0
    for m in slots.mentions(text):
        if m.group != group:
            continue
        alias = text[m.start - 1:m.start] == "(" and text[m.end:m.end + 1] == ")"
        grow = len(new) - (m.end - m.start)
        if not alias and grow <= budget:
            parts += [text[at:m.start], new]
            budget -= grow
        else:
            parts.append(text[at:m.start - alias])
            budget += m.end - m.start
        at = m.end + alias
    return "".join(parts) + text[at:]


def without_group_segments(text: str, group: str, slots: Slots, keep: int = 0) -> str:
    """``text`` without the comma- or semicolon-led parts after position ``keep`` that name ``group``."""
    parts, at = [], 0
    for m in _SEGMENT.finditer(text, keep):
        if slots.names(m.group(0), group):
            parts.append(text[at:m.start()])
            at = m.end()
    return "".join(parts) + text[at:]


def with_intervention(previous: str, new: str, slots: Slots) -> str | None:
    """``previous`` with its intervention replaced by ``new``; its dose and interval belonged to the
    old one and go (unless ``new`` names its own)."""
    old = intervention_of(previous, slots)
    if not old:
        return None
    out = previous[:old.start] + new + previous[old.end:]
    if not (DOSE_SPAN.search(new) or INTERVAL_SPAN.search(new)):
        for span in (DOSE_SPAN, INTERVAL_SPAN):
            out = span.sub(" ", out, count=1)
    return " ".join(out.split()).replace(" ?", "?")


def with_regimen(previous: str, change: str) -> str | None:
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


def with_elapsed(previous: str, change: str) -> str | None:
    """The previous question with the elapsed time ("10 days ago") that ``change`` restates."""
    new, old = _ELAPSED.search(change), _AGO.search(previous)
    if not (new and old) or INTERVAL_SPAN.search(change):
        return None
    return previous[:old.start()] + new.group(0) + previous[old.end():]


def with_measure(text: str, fact: str) -> str | None:
    """``text`` with the value of the measure that ``fact`` restates ("her BMI is 28 now" in
    "… with a BMI of 37"), if ``text`` states that measure."""
    m = _MEASURE.search(fact)
    if not m:
        return None
    old = re.search(r"(?<![\w-])" + re.escape(m.group("label")) + r"(?![\w-])(?:\s++(?:of|is|was|=|:|score))?+\s*+"
                    r"(?P<value>\d++(?:\.\d++)?+)", text, re.I)
    if not old:
        return None
    return text[:old.start("value")] + m.group("value") + text[old.end("value"):]


def restating(facts: list[str], fact: str) -> tuple[list[str], bool]:
    """``facts`` with each part (between semicolons) stating the measure ``fact`` restates
    replaced by ``fact``; and whether any was."""
    out, restated = [], False
    for known in facts:
        parts = [p.strip() for p in known.split(";")]
        new = [fact if with_measure(p, fact) else p for p in parts]
        restated = restated or new != parts
        out.append("; ".join(dict.fromkeys(new)))
    return out, restated


def refers_back(text: str, slots: Slots) -> bool:
    """A question that names no topic of its own: "what dose?", "is it covered for that?"."""
    named = [m for m in slots.mentions(text) if m.kind or not slots.kinds]  # a topic of no kind names no slot
    return not named and (bool(_PRONOUN.search(text)) or len(text.split()) <= 4)


def on_topic(previous: str, fragment: str, slots: Slots) -> str | None:
    """``fragment`` asked about the previous question's intervention and condition: "it" and
    "this" are the intervention, "for that" the condition, and what is missing is added."""
    treatment = None if slots.first(fragment, INTERVENTION) else intervention_of(previous, slots)
    condition = None if condition_of(fragment, slots) else condition_of(previous, slots)
    if not treatment and not condition:
        return None
    what = treatment.text if treatment else None
    whom = previous[slice(*condition_span(previous, condition))] if condition else None
    out = fragment.strip().rstrip("?.! ")
    if whom:
        out, with_whom = _FOR_PRONOUN.subn(lambda m: f"{m.group(1)} {whom}", out, count=1)
    else:
        with_whom = 0
    if what:
        out, with_what = _PRONOUN.subn(what, out, count=1)
        if not with_what:
            if _WHEN_WORDS.match(out):
                out = f"{out} is {what} given"
            elif with_whom:
                out = out.replace(f" for {whom}", f" of {what} for {whom}", 1) if _WHAT_NOUN.match(
                    out.split(" for ")[0]) else f"{out}, {what}"
            else:
                out = f"{out} {'of' if _WHAT_NOUN.match(out) else 'for'} {what}"
    if whom and not with_whom:
        out = f"{out} for {whom}"
    return out[:1].upper() + out[1:] + "?"


def without_facts_of(facts: list[str], group: str, slots: Slots) -> list[str]:
    """The patient facts without the parts (between semicolons) that name ``group``."""
    kept = []
    for fact in facts:
        parts = [p.strip() for p in fact.split(";") if p.strip() and not slots.names(p, group)]
        if parts:
            kept.append("; ".join(parts))
    return kept
