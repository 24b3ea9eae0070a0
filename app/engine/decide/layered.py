"""The 'compiled' decider: today's rules first, then — for a guideline question the rules judged
on the wording of the statements closest to it — the recommendation records compiled at ingest,
matched to the question by meaning (``recommendation.choose``).

The recommendation replaces the rules' verdict only when it is safe to: never for a policy
question (the rules judge a policy's criteria), an informational question, a refusal, or an
intervention no passage mentions; never to turn the rules' "no" or "conditional" into "yes" (a
"yes" needs both); and not when a recommendation against is nearly as close as the one for."""

from __future__ import annotations

from app.engine.decide import Decider
from app.engine.decide.meaning import Similarity
from app.engine.decide.recommendation import STATEMENT_STANCE, Choice, choose
from app.engine.read import Frame
from app.engine.records import Decision, Evidence
from app.engine.text.statements import Sentence

_KEEP = ("cannot_answer",)
UNADDRESSED = "the sources do not address"  # the rules' reason for an intervention no passage names


class LayeredDecider:
    name = "compiled"

    def __init__(self, rules: Decider, similarity: Similarity):
        self.rules = rules
        self.similarity = similarity

    def decide(self, frame: Frame, evidence: Evidence) -> Decision:
        decision = self.rules.decide(frame, evidence)
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


def _sentence(choice: Choice, evidence: Evidence) -> Sentence | None:
    record = choice.record
    for chunk in evidence.document_sections(record.document_id).get(record.section, []):
        if chunk.chunk_id == record.chunk_id:
            start = chunk.text.find(record.quote)
            if start >= 0 and record.quote.strip():
                return Sentence(record.quote, chunk, start, STATEMENT_STANCE[record.stance])
    return None
