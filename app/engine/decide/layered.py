"""The 'compiled' decider: today's rules first, then two steps that match by meaning (the bundled
embedding model) where the rules match by words:

- a policy question the rules left ``conditional``: a required criterion they found undocumented
  that a fact the record denies speaks to (cosine ≥ ``DENIED_FACT_SIMILARITY``; the fact negated by
  ConText) is not met → ``no``, naming the fact (``denied``); if none is, the criteria the record
  states in other words, matched by meaning, may make it ``yes`` (``affirmed.met_by_meaning``);
- a guideline question the rules judged on the wording of the statements closest to it: the
  recommendation records compiled at ingest, matched to the question (``recommendation.choose``).

The recommendation replaces the rules' verdict only when it is safe to: never for a policy
question (the rules judge a policy's criteria), an informational question, a refusal, or an
intervention no passage mentions; never to turn the rules' "no" or "conditional" into "yes" (a
"yes" needs both); and not when a recommendation against is nearly as close as the one for."""

from __future__ import annotations

from dataclasses import replace

from app.engine.decide import Decider
from app.engine.decide.affirmed import met_by_meaning
from app.engine.decide.meaning import Similarity
from app.engine.decide.recommendation import STATEMENT_STANCE, Choice, choose
from app.engine.read import Frame
from app.engine.read.clauses import clauses, is_negative
from app.engine.records import Decision, Evaluation, Evidence
from app.engine.text.statements import Sentence

_KEEP = ("cannot_answer",)
UNADDRESSED = "the sources do not address"  # the rules' reason for an intervention no passage names
DENIED_FACT_SIMILARITY = 0.55  # a denied fact this close to a required criterion speaks to it


class LayeredDecider:
    name = "compiled"

    def __init__(self, rules: Decider, similarity: Similarity):
        self.rules = rules
        self.similarity = similarity

    def decide(self, frame: Frame, evidence: Evidence) -> Decision:
        decision = self.rules.decide(frame, evidence)
        if decision.primary_document is not None and decision.verdict == "conditional" and decision.criteria:
            denied = self.denied(frame, decision)
            return denied if denied.verdict == "no" else met_by_meaning(frame, evidence, decision, self.similarity)
        if (decision.primary_document is not None or frame.kind == "informational" or decision.verdict in _KEEP
                or (decision.reason or "").startswith(UNADDRESSED) or not evidence.compiled):
            return decision
        choice = choose(frame, evidence, self.similarity)
        if choice is None or choice.contrary is not None or choice.verdict == decision.verdict:
            return decision
        if choice.verdict == "yes" and decision.verdict in ("no", "conditional"):
            return decision
        quoted = _sentence(choice, evidence)
        if quoted is None:  # a record whose quote is not in its chunk is never cited, so never decides
            return decision
        grade = f" ({choice.record.grade})" if choice.record.grade else ""
        return Decision(choice.verdict, reason=f"the recommendation closest to the question{grade} applies to this "
                        f"patient's population", deciding=[quoted], basis="recommendation")

    def denied(self, frame: Frame, decision: Decision) -> Decision:
        """The rules' ``conditional`` policy decision, or ``no`` when the record denies a fact a
        required criterion (not an any-of list, not itself a denial) asks for."""
        denials = [c for c in clauses(frame.facts.text) if c.negated]
        if not denials:
            return decision
        texts = [c.text for c in denials]
        for i, (line, evaluation, sentence) in enumerate(decision.criteria):
            if evaluation.status != "not_documented" or line.any_of or is_negative(line.text):
                continue
            cosines = self.similarity.similarities(line.text, texts)
            best = max(range(len(texts)), key=lambda j: cosines[j])
            if cosines[best] >= DENIED_FACT_SIMILARITY:
                criteria = list(decision.criteria)
                criteria[i] = (line, Evaluation("not_met", f"the record states the opposite: \"{texts[best]}\""),
                               sentence)
                return replace(decision, verdict="no", criteria=criteria,
                               reason=f"the record states the opposite of a required criterion: \"{texts[best]}\"")
        return decision


def _sentence(choice: Choice, evidence: Evidence) -> Sentence | None:
    record = choice.record
    for chunk in evidence.document_sections(record.document_id).get(record.section, []):
        if chunk.chunk_id == record.chunk_id:
            start = chunk.text.find(record.quote)
            if start >= 0 and record.quote.strip():
                return Sentence(record.quote, chunk, start, STATEMENT_STANCE[record.stance])
    return None
