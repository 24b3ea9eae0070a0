"""A policy's exclusion, limitation or experimental statement that the request hits — its specific
words affirmed in the question or record, its numbers (per-kg totals, counts, intervals) exceeded."""

from __future__ import annotations

import re

from app.engine.decide.rules.cues import NEGATION
from app.engine.decide.rules.numbers import compare_numbers
from app.engine.read import Frame
from app.engine.read.quantities import DAYS_PER_UNIT, DECIMAL, QUANTITIES, in_grams, roman_to_digits
from app.engine.read.regimen import COUNT_UNITS, count_unit
from app.engine.records import Evidence
from app.engine.text.statements import NEGATIVE, Sentence, split_chunk
from app.engine.text.tokens import stems
from app.engine.text.vocabulary import POLICY_GENERIC_STEMS, canonical, expand, synonym_terms

CONTINUATION = re.compile(r"continu|reauthori|renew|second course|repeat|again|retreat|another course|re-treat", re.I)


_NUMBERED = re.compile(DECIMAL + r"\s*(?:%|mg|g/kg|units?|ml|kg/m|events|cells|ng/dl|mg/dl|mm ?hg|points?|sessions?|hours?|days?|weeks?|months?)", re.I)


def _affirmed_words(text: str) -> set[str]:
    """Stems that occur in clauses of the record that are not negated."""
    out: set[str] = set()
    for clause in re.split(r"[.;,\n]", text.lower()):
        if not NEGATION.search(clause):
            # 'Guillain-Barré syndrome' also names GBS (a term's group name, not its siblings:
            # sofosbuvir is a DAA, not glecaprevir)
            out |= stems(" ".join([clause] + [canonical(t) for t in synonym_terms(clause)]))
    return out


def _join_kinds(text: str) -> str:
    """'type 1 diabetes' → 'type1 diabetes', so type 1 and type 2 are different words."""
    return re.sub(r"\b(type|grade|class|stage|level)\s+(\d+)", r"\1\2", text, flags=re.I)


def _segment_score(text: str, title_words, asked) -> float | None:
    """How fully the request names one item of an exclusion ("IVIG for A, B or C is ..."): the
    best share of an item's specific words found in the request."""
    body = re.sub(r"\([^)]*\)", " ", _join_kinds(text))
    body = re.sub(r"\b(?:is|are) (?:considered |not ).*$", " ", body)  # drop the predicate
    # "<intervention> for <condition A>, <B> or <C>": the policy's title may stand in for the
    # intervention, never for a condition — "galcanezumab for chronic cluster headache" is not about
    # chronic migraine because the title also names cluster headache. Without "for"/"in", every item
    # is read as before (title words implied).
    parts = re.split(r"\b(?:for|in)\b", body, maxsplit=1)
    intervention = stems(parts[0]) - title_words if len(parts) == 2 else frozenset()
    segments = re.split(r",|\bor\b|\band\b", parts[1] if len(parts) == 2 else body)
    best = None
    for seg in segments:
        words = (intervention | stems(seg)) if len(parts) == 2 else stems(seg) - title_words
        specific = {w for w in words - POLICY_GENERIC_STEMS
                    if not any(ch.isdigit() for ch in w) or re.match(r"(type|grade|class|stage|level)\d", w)}
        if not specific:
            continue
        share = len(specific & asked) / len(specific)
        best = share if best is None else max(best, share)
    return best


def _per_kg_exclusion(low: str, frame: Frame) -> bool | None:
    """For 'a course totalling less than 1 g/kg is not medically necessary': True when the
    requested total per kg falls in the excluded range, False when it does not, None when the
    statement has no per-kg limit or the request no total and weight."""
    m = re.search(r"(less than|below|under|more than|above|over|exceeding)\s+(\d+(?:\.\d+)?)\s*(mg|g)/kg", low)
    if not m:
        return None
    reg, weight = frame.regimen, frame.facts.weight_kg
    if reg.grams_per_kg() is not None:
        per_kg = reg.grams_per_kg(course=True)
    elif reg.total_g is not None and weight:
        per_kg = reg.total_g / weight
    else:
        return False
    limit = in_grams(float(m.group(2)), m.group(3))
    return per_kg < limit if m.group(1) in ("less than", "below", "under") else per_kg > limit


def _count_exclusion(low: str, frame: Frame) -> bool | None:
    """'more than 6 exchanges within 14 days is not covered': True when the request asks for more."""
    m = re.search(rf"(?:more than|over|beyond|exceeding|in excess of|limited to|limited to a total of|"
                  rf"no more than|up to)\s+(\d+)\s+(?:[a-z-]+\s)?({COUNT_UNITS})", low)
    if not m:
        return None
    reg = frame.regimen
    if reg.count is None or reg.count_unit != count_unit(m.group(2)):
        return False
    return reg.count > float(m.group(1))


def _interval_exclusion(low: str, frame: Frame) -> bool | None:
    """'more often than every 12 weeks is not covered': True when the requested interval is shorter."""
    m = re.search(r"(?:more often|more frequently|sooner|less than|shorter)\s+than\s+(?:every\s+)?(\d+)\s*(week|day|month)", low)
    if not m:
        return None
    if not frame.regimen.interval_days:
        return False
    limit = int(m.group(1)) * DAYS_PER_UNIT[m.group(2)]
    return frame.regimen.interval_days < limit


def _other_value(low: str, frame: Frame) -> bool:
    """True when the statement lists values of a quantity the patient has, and not the patient's."""
    text = roman_to_digits(low)
    for name, label in QUANTITIES.items():
        value = frame.facts.numbers.get(name)
        if value is None:
            continue
        m = re.search(rf"(?<![a-z])(?:{label})(?![a-z])", text)
        if not m:
            continue
        window = text[m.end(): m.end() + 40]
        if re.search(r"≥|≤|<|>|at least|more than|less than|or (?:more|higher|less|lower)", window):
            continue
        listed = [float(x) for x in re.findall(r"(?:grade |class |stage )?(\d+(?:\.\d+)?)", window)]
        if listed and value not in listed:
            return True
    return False


_NEGATIVE_PREDICATE = re.compile(r"\bnot (?:medically necessary|covered)\b|experimental|investigational|unproven|excluded", re.I)


def _main_clause(text: str) -> str:
    """The clause that carries an exclusion's predicate: 'A routine second IVIG course in GBS is
    not medically necessary; retreatment is covered only for ...' → the part before ';'."""
    head = text.split(";")[0]
    return head if head != text and _NEGATIVE_PREDICATE.search(head) else text


def _combination_request(frame: Frame, evidence: Evidence, document_id: str) -> bool:
    """The request adds one of the policy's agents to another ('can efgartigimod be added to
    ravulizumab?'): two different named agents, both in the policy, and a word that joins them."""
    if not re.search(r"\b(?:add|added|adding|combin\w*|together|plus|on top of|along with)\b", frame.question, re.I):
        return False
    policy_text = " ".join(c.text.lower() for chunks in evidence.document_sections(document_id).values() for c in chunks)
    asked = synonym_terms(f"{frame.question}\n{frame.facts.text}")
    named = {canonical(t) for t in asked if t in policy_text and canonical(t) != t}
    return len(named) >= 2


def negative_match(frame: Frame, evidence: Evidence, document_id: str) -> Sentence | None:
    """An exclusion, limitation or experimental statement of the policy that the request hits:
    its specific words (beyond the policy's own subject) must appear, affirmed, in the question or
    patient record; a numeric exclusion applies only when the patient's number falls inside it; a
    statement about maintenance or schedules needs an ongoing regimen; one about continuation
    needs a continuation request."""
    title_words = stems(expand(evidence.corpus.documents.get(document_id, {}).get("title", "")))
    asked_text = f"{frame.question}\n{frame.facts.text}".lower()
    asked = _affirmed_words(_join_kinds(asked_text))
    continuation = bool(CONTINUATION.search(frame.question))
    combined = _combination_request(frame, evidence, document_id)
    best, best_score = None, 0.0
    for section, chunks in evidence.document_sections(document_id).items():
        if "continuation" in section.lower() and not continuation:
            continue
        for chunk in chunks:
            for s in split_chunk(chunk):
                main = _main_clause(s.text)
                low = main.lower()
                if s.stance == "limit" and _count_exclusion(low, frame):
                    return s  # "A single course is limited to a total of 36 sessions" and more are requested
                if s.stance not in NEGATIVE:
                    continue
                if combined and re.match(r"(?:the )?combination\b|.*\bnot covered together with\b", low):
                    return s  # two of the policy's agents asked for together
                if re.search(r"\b(unless|before|without|until|at least|lack|absence|outside|other than|"
                             r"instead of|in place of)\b", low) or len(s.text.split()) < 6 or s.text[0].islower():
                    continue  # restates a criterion (checked fact by fact), or a fragment of a sentence
                if re.match(r"(under|for|in) medicare\b", low) and "medicare" not in asked_text:
                    continue  # a payer-specific rule for a patient not said to be on that plan
                if _other_value(low, frame):
                    continue  # names values of a quantity ("Wagner grade I or II") the patient does not have
                if low.startswith(("continuation", "continued", "continuing")) and not continuation:
                    continue
                numeric = compare_numbers(roman_to_digits(main), frame.facts)
                per_kg = _per_kg_exclusion(low, frame)
                interval = _interval_exclusion(low, frame)
                counted = _count_exclusion(low, frame)
                if counted is not None:
                    interval = counted if interval is None else (interval or counted)
                if numeric is not None:
                    if numeric.status != "met":
                        continue  # the patient's number is outside the excluded range, or unknown
                elif per_kg is None and interval is None and _NUMBERED.search(low) \
                        and not re.search(r"maintenance|every \d+ weeks", low):
                    continue  # a quantity limit we cannot check against this request
                score = _segment_score(main, title_words, asked)
                if score is None:
                    continue
                if score < 0.5:
                    continue  # the request does not name what the statement excludes
                if per_kg is False or interval is False:
                    continue
                if per_kg or interval:
                    score += 0.5
                if re.search(r"maintenance|every \d+ weeks|recurring|schedule", low):
                    if not frame.regimen.ongoing:
                        continue
                    score += 0.5
                if numeric is not None:
                    score += 0.5
                if score > best_score:
                    best, best_score = s, score
    return best if best_score >= 0.75 else None
