"""The passages an answer may cite: the ranked hits, then the chunks the decision quotes (an
indication's whole section, the exclusion it applied) and, unless the question is refused, the
'where sources disagree' passages gathered for it — each once, in that order."""

from __future__ import annotations

from app.engine.records import Decision, Evidence, Hit


def citable_passages(decision: Decision, evidence: Evidence) -> list[Hit]:
    passages = list(evidence.hits)
    known = {h.chunk.chunk_id for h in passages}
    extra = decision.cited_chunks() + ([] if decision.verdict == "cannot_answer" else evidence.disagreements)
    for chunk in extra:
        if chunk.chunk_id not in known:
            known.add(chunk.chunk_id)
            passages.append(Hit(chunk, 0.0))
    return passages
