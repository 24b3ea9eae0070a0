"""The engine: a question in, a cited determination out, along a straight line of stages —
``read`` (the question and record as a typed frame) → ``retrieve`` (hybrid search over the index)
→ ``gather`` (every further passage the decision may need) → ``decide`` (the abstention gate, then
the decider that settings name) → ``compose`` (the cited answer, verified). ``pipeline`` joins them.

``from app.engine import Engine`` loads the whole engine only when asked for it, so ingest can use
the text primitives without loading the deciders."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from app.engine.pipeline import Engine


def __getattr__(name: str):
    if name == "Engine":
        from app.engine.pipeline import Engine

        return Engine
    raise AttributeError(f"module 'app.engine' has no attribute {name!r}")


__all__ = ["Engine"]
