"""A guideline question: the stance of the statements closest to it — a graded recommendation for
the patient's population first (USPSTF A/B → yes, D → no, C → conditional, I → insufficient),
then the wording of the best statements, and whether the patient is inside their population."""

from __future__ import annotations

import re

from app.engine.decide.rules.population import age_band_statements, populations
from app.engine.read import Frame
from app.engine.records import Decision, Evidence
from app.engine.text.statements import NEGATIVE, POSITIVE, Sentence, is_disagreement, split_chunk
from app.engine.text.tokens import stems

_DRUG_LIKE = re.compile(r"(?:olol|alol|pril|sartan|tide|mab|nib|parin|xaban|gatran|statin|dipine|azole|cycline|floxacin|mycin|vir|prazole|tropin|lukast|semide|thiazide|zepam|oxetine|afaxine|triptan|gepant)$")


def _grade_line(s: Sentence) -> Sentence | None:
    """The grade statement ("Grade: C.") of the section a sentence sits in, when it has one."""
    for other in split_chunk(s.chunk):
        if re.match(r"grade:?\s*[abcdi]\b", other.text, re.I):
            return other
    return None


def clinical(frame: Frame, evidence: Evidence, closest: list[Sentence]) -> Decision:
    """A guideline question, from ``closest`` (the statements nearest the question, best first)."""
    hits = evidence.hits
    banded = age_band_statements(frame, evidence)[:1]
    best = banded + [s for s in closest if not banded or s.text != banded[0].text][:3]
    decision = Decision("informational", deciding=best)
    if not best:
        return Decision("insufficient_evidence", "no statement addresses the question", deciding=[])
    # an intervention named in the question that no retrieved passage mentions: not settled
    mentioned = stems(" ".join(h.chunk.text for h in hits))
    unknown = [w for w in frame.topic_words if _DRUG_LIKE.search(w) and not (stems(w) & mentioned)]
    grade = next((g for g in (_grade_line(s) for s in best[:2]) if g is not None), None)
    if grade is not None:  # a graded recommendation for this population decides (USPSTF A/B/C/D/I)
        best = [grade] + [s for s in best if s.text != grade.text]  # quoted once, first
        decision.deciding = best
    stances = [s.stance for s in best[:4]]
    lead = stances[:1] if grade is not None else stances[:2]  # a grade speaks alone for its population
    # a recommendation whose numbers (BMI ≥ 30, or ≥ 27 with a comorbidity) the patient does not reach
    populations_met = populations(frame, evidence)
    if grade is None and populations_met and "met" not in populations_met:
        decision.verdict = "no" if all(p == "not_met" for p in populations_met) else "conditional"
        decision.reason = "the patient is outside the recommendation's population" if decision.verdict == "no" else None
        return decision
    if any(is_disagreement(s.chunk.section) for s in best[:3]) and not all(st in NEGATIVE for st in lead):
        decision.verdict, decision.reason = "conditional", "the sources disagree"
        return decision
    fits_population = grade is None and "met" in populations_met and not any(s in NEGATIVE for s in lead)
    if grade is not None and grade.stance == "individual":
        decision.verdict = "conditional"
    elif unknown and frame.kind == "clinical":
        decision.verdict, decision.reason = "insufficient_evidence", f"the sources do not address: {', '.join(unknown)}"
    elif "insufficient" in lead:
        decision.verdict, decision.reason = "insufficient_evidence", "the sources find the evidence insufficient"
    elif "individual" in stances[:3] and not any(s in NEGATIVE | POSITIVE for s in stances[:stances.index("individual")]):
        decision.verdict = "conditional"  # "the decision to screen at 76 to 85 should be an individual one"
    elif any(s in NEGATIVE for s in lead):
        decision.verdict = "no"
    elif any(s in POSITIVE for s in stances) or fits_population:
        decision.verdict = "yes"
    elif frame.kind == "clinical":
        decision.verdict = "informational"
    return decision
