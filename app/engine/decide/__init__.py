"""Decide: the abstention gate (``gate``), then the decider the settings name
(``decision.backend``, built in ``app.backends.make_decider``) behind the ``Decider`` protocol."""

from __future__ import annotations

from typing import Protocol

from app.engine.read import Frame
from app.engine.records import Decision, Evidence


class Decider(Protocol):
    """Turns a question's frame and its gathered evidence into a verdict with its deciding
    statements. A decider never fetches: everything it may read is in ``evidence``."""

    name: str

    def decide(self, frame: Frame, evidence: Evidence) -> Decision: ...


__all__ = ["Decider"]
