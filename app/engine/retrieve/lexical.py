"""The lexical (BM25) side of the index: bm25s over the chunks, with the engine's one tokenizer."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np

from app.engine.text.tokens import tokenize

logging.getLogger("bm25s").setLevel(logging.WARNING)

class LexicalIndex:
    """BM25 over the chunks of one index generation, rows aligned with ``chunk_ids``."""

    def __init__(self, retriever, chunk_ids: list[str]):
        self.retriever = retriever
        self.chunk_ids = chunk_ids
        self.row_of = {cid: i for i, cid in enumerate(chunk_ids)}

    @classmethod
    def build(cls, texts: list[str], chunk_ids: list[str]) -> "LexicalIndex":
        import bm25s

        retriever = bm25s.BM25()
        retriever.index([tokenize(t) for t in texts] or [[""]], show_progress=False)
        return cls(retriever, chunk_ids)

    def save(self, directory: Path) -> None:
        self.retriever.save(str(directory))

    @classmethod
    def load(cls, directory: Path, chunk_ids: list[str]) -> "LexicalIndex":
        import bm25s

        return cls(bm25s.BM25.load(str(directory)), chunk_ids)

    def search(self, query: str, k: int, allowed_rows: np.ndarray | None = None) -> list[tuple[str, float]]:
        """(chunk_id, score) best first; only rows with a positive score; ``allowed_rows`` is a
        0/1 mask over chunks (metadata filters)."""
        if not self.chunk_ids:
            return []
        tokens = tokenize(query)
        if not tokens:
            return []
        k = min(k, len(self.chunk_ids))
        kwargs = {"weight_mask": allowed_rows.astype(np.float32)} if allowed_rows is not None else {}
        rows, scores = self.retriever.retrieve([tokens], k=k, show_progress=False, n_threads=1, **kwargs)
        return [(self.chunk_ids[r], float(s)) for r, s in zip(rows[0], scores[0]) if s > 0]
