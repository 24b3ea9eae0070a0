"""A coverage question judged on one policy: an exclusion that matches → no; otherwise the
best-matching indication's criteria, checked one by one → no (one not met), yes (enough met,
none failed) or conditional."""

from __future__ import annotations

import re

from app.chunks import SECTION_SEP
from app.engine.decide.rules.closest import best_sentences
from app.engine.decide.rules.criteria import evaluate
from app.engine.decide.rules.criteria_list import parse_criteria
from app.engine.decide.rules.exclusions import CONTINUATION, negative_match
from app.engine.read import Frame
from app.engine.records import Decision, Evidence
from app.engine.text.statements import Sentence, split_chunk
from app.engine.text.tokens import overlap, stems
from app.engine.text.vocabulary import POLICY_GENERIC_STEMS, expand

YES_SHARE = 0.6  # share of criteria that must be documented as met (none failed) for "yes"


def _indication(frame: Frame, evidence: Evidence, document_id: str):
    """The policy's criteria section that best matches the question and patient. The policy's own
    subject (its title, with synonyms) is the same in every section, so it does not count."""
    subject = stems(expand(evidence.corpus.documents.get(document_id, {}).get("title", "")))
    qwords = frame.query_words() - subject - POLICY_GENERIC_STEMS
    pwords = stems(frame.facts.text) - subject - POLICY_GENERIC_STEMS
    best, best_score = None, 0.0
    continuation = bool(CONTINUATION.search(frame.question))
    for section, chunks in evidence.document_sections(document_id).items():
        low = section.lower()
        if continuation and "continuation" in low:
            return section, chunks  # a reauthorization is judged on the continuation criteria
        if "medical necessity" not in low or low.endswith("medical necessity criteria"):
            continue
        heading = section.split(SECTION_SEP)[-1]
        text = "\n".join(c.text for c in chunks)
        score = (2 * overlap(qwords, heading) + overlap(qwords, text)
                 + overlap(pwords, heading) + 2 * overlap(pwords, text) + 1e-3)
        if frame.regimen.ongoing and re.search(r"maintenance|long-term", heading, re.I):
            score += 0.6
        if score > best_score:
            best, best_score = (section, chunks), score
    return best


def _sentence_for(text: str, chunks) -> Sentence | None:
    """The quotable sentence of a criterion line (its first sentence, located in a chunk)."""
    key = re.sub(r"\s+", " ", text.strip())[:30]
    for chunk in chunks:
        for s in split_chunk(chunk):
            candidate = re.sub(r"\s+", " ", s.text)
            if candidate.startswith(key) or key.startswith(candidate[:30]):
                return s
    return None


def judge_policy(frame: Frame, evidence: Evidence, policy: str) -> Decision:
    negative = negative_match(frame, evidence, policy)
    found = _indication(frame, evidence, policy)
    decision = Decision("conditional", primary_document=policy)
    exception = negative is not None and bool(re.search(r"\bexcept\b", negative.text, re.I))
    if exception and found and not re.search(r"exception|maintenance|long-term|refractory",
                                             found[0].split(SECTION_SEP)[-1], re.I):
        negative = None  # "not covered except ..." concerns the exception, not another covered indication
    if found:
        section, chunks = found
        decision.indication = section
        lines: list[str] = []
        for c in sorted(chunks, key=lambda c: c.ordinal):
            lines += [line for line in c.text.split("\n") if line not in lines]  # chunk overlap repeats lines
        lead, items = parse_criteria("\n".join(lines))
        if lead:
            decision.deciding.append(_sentence_for(lead, chunks))
        for item in items:
            ev = evaluate(item, frame.facts, frame.regimen, evidence.corpus.word_idf)
            decision.criteria.append((item, ev, _sentence_for(item.text, chunks)))
    decision.deciding = [s for s in decision.deciding if s]
    statuses = [ev.status for _, ev, _ in decision.criteria if ev.status != "not_applicable"]
    if negative is not None:
        decision.deciding.insert(0, negative)
        # "X is not covered except when ...": the exception's criteria must all be met
        decision.verdict = "yes" if exception and statuses and all(st == "met" for st in statuses) else "no"
        return decision
    if not statuses:
        decision.deciding += best_sentences(frame, evidence.hits, 3, doc=policy)
        decision.verdict = "conditional"
    elif "not_met" in statuses:
        decision.verdict = "no"
    elif not evidence.has_patient and not frame.facts.numbers and frame.regimen.dose is None:
        decision.verdict = "conditional"
    elif statuses.count("met") >= max(1, round(YES_SHARE * len(statuses))):
        decision.verdict = "yes"
    else:
        decision.verdict = "conditional"
    return decision
