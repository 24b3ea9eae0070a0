"""The rules decider: today's verdict logic — exclusions, an indication's criteria checked fact by
fact, a guideline's graded stance and population — behind the ``Decider`` protocol. It reads only
the ``Frame`` and the ``Evidence``; it fetches nothing."""

from __future__ import annotations

from app.engine.decide.rules.route import decide
from app.engine.read import Frame
from app.engine.records import Decision, Evidence


class RulesDecider:
    name = "rules"

    def decide(self, frame: Frame, evidence: Evidence) -> Decision:
        return decide(frame, evidence)


__all__ = ["RulesDecider"]
