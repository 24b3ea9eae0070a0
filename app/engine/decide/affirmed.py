"""Criteria met by what the record affirms, matched by meaning: the rules match a criterion to the
record by shared words, so "the patient still meets the insulin-treatment criterion" stays
undocumented beside "type 2 diabetes treated with insulin glargine". Here each required criterion
the rules left ``not_documented`` is matched to the closest clause the question or record states
and does not negate (a question is not a statement of fact):

- a clause within cosine ``AFFIRMED_FACT_SIMILARITY`` meets it, quoted ("the record states: …");
- a criterion with a threshold ('at least 6 weeks', 'BMI ≥ 35') is met only by a clause whose
  number passes it, compared as the rules compare numbers; a number that fails it fails the
  criterion (→ ``no``); a close clause without a comparable number leaves it undocumented;
- a criterion that asks for an absence ('no history of seizures') is never met by an affirmed fact;
- an any-of list is met by its first alternative a clause meets (a list with its own threshold is
  left to the rules);
- an administrative criterion (the compiled record's ``kind`` is 'documentation': who prescribes,
  what is recorded) does not block a ``yes``; it stays undocumented, so the answer lists it as
  missing information.

When every other criterion ends up met the verdict is ``yes`` with ``basis = "meaning"`` (the
confidence model's review reasons send it to a person); otherwise the rules' decision stands."""

from __future__ import annotations

import re
from dataclasses import replace

from app.engine.compiled import Criterion, criteria_of
from app.engine.decide.meaning import Similarity
from app.engine.decide.rules.numbers import compare_numbers
from app.engine.decide.rules.record_checks import duration_check, percent_change_check, share_check, tried_count_check
from app.engine.read import Frame
from app.engine.read.clauses import clauses, is_negative
from app.engine.read.facts import extract_facts
from app.engine.read.quantities import roman_to_digits
from app.engine.records import CriterionLine, Decision, Evaluation, Evidence

AFFIRMED_FACT_SIMILARITY = 0.5  # dev sets: the one right "yes" found at 0.53, the closest wrong one at 0.35
BASIS = "meaning"
_THRESHOLD = re.compile(
    r"(?:≥|>=|≤|<=|>|<|\bat (?:least|most)|\b(?:no|not) more than|\bmore than|\bless than|\bfewer than|"
    r"\bgreater than|\bup to|\b(?:maximum|minimum) of|\bwithin|\bexceeds?)\s*\d|"
    r"\d[^.;,]{0,20}?\bor (?:more|older|higher|greater|less|lower|fewer|longer|younger)\b|\d\s*(?:to|–)\s*\d", re.I)


def stated_facts(frame: Frame) -> list[str]:
    """The clauses of the question and record that state a fact: not negated, not a question."""
    return [c.text for c in clauses(frame.facts.text) if not c.negated and not c.text.rstrip().endswith("?")]


def administrative(evidence: Evidence, document_id: str) -> frozenset[str]:
    """The texts of the document's criteria compiled as documentation (administrative) items."""
    compiled = evidence.compiled.get(document_id)
    if compiled is None:
        return frozenset()
    return frozenset(_key(node.text) for ind in compiled.indications for node in criteria_of(ind.criteria)
                     if isinstance(node, Criterion) and node.kind == "documentation")


def _key(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip(" .;:").lower()


def _typed(criterion: str, clause: str) -> Evaluation | None:
    """The clause's number against the criterion's threshold: met, not met, or None (no number to
    compare)."""
    found = compare_numbers(roman_to_digits(criterion), extract_facts(clause))
    if found is None or found.status not in ("met", "not_met"):
        found = next((f for check in (duration_check, percent_change_check, share_check, tried_count_check)
                      if (f := check(criterion, clause)) is not None), None)
    if found is None or found.status not in ("met", "not_met"):
        return None
    return Evaluation(found.status, f"the record states: \"{clause}\" ({found.detail})")


def meets(line: CriterionLine, facts: list[str], similarity: Similarity,
          threshold: float = AFFIRMED_FACT_SIMILARITY) -> Evaluation | None:
    """The criterion met (or failed by a number) by the stated fact closest in meaning, or None."""
    if not facts or is_negative(line.text):
        return None
    if line.any_of:
        if _THRESHOLD.search(line.text):
            return None
        for child in line.children:
            found = meets(child, facts, similarity, threshold)
            if found is not None and found.status == "met":
                return Evaluation("met", f"{child.text.rstrip(' .;')}: {found.detail}")
        return None
    cosines = similarity.similarities(line.text, facts)
    best = max(range(len(facts)), key=lambda j: cosines[j])
    if cosines[best] < threshold:
        return None
    if _THRESHOLD.search(line.text):
        return _typed(line.text, facts[best])
    return Evaluation("met", f"the record states: \"{facts[best]}\"")


def met_by_meaning(frame: Frame, evidence: Evidence, decision: Decision, similarity: Similarity,
                   threshold: float = AFFIRMED_FACT_SIMILARITY) -> Decision:
    """The rules' ``conditional`` policy decision judged again with its undocumented criteria met by
    the stated facts closest in meaning: ``yes``, ``no`` (a stated number fails a threshold) or the
    decision unchanged."""
    facts = stated_facts(frame)
    if not facts:
        return decision
    paperwork = administrative(evidence, decision.primary_document or "")
    criteria, open_clinical, failed = list(decision.criteria), 0, None
    for i, (line, evaluation, sentence) in enumerate(criteria):
        if evaluation.status != "not_documented":
            continue
        found = meets(line, facts, similarity, threshold)
        if found is not None:
            criteria[i] = (line, found, sentence)
            failed = failed or (line if found.status == "not_met" else None)
        elif _key(line.text) not in paperwork:
            open_clinical += 1
    if failed is not None:
        return replace(decision, verdict="no", criteria=criteria, basis=BASIS,
                       reason=f"a number the record states fails a required criterion: {failed.text}")
    statuses = [ev.status for _, ev, _ in criteria if ev.status != "not_applicable"]
    if open_clinical or "met" not in statuses:
        return decision
    return replace(decision, verdict="yes", criteria=criteria, basis=BASIS,
                   reason="every clinical criterion is met by what the question and record state")
