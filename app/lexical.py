"""The lexical (BM25) side of the index: one tokenizer for chunks and questions, bm25s underneath."""

from __future__ import annotations

import logging
import re
from functools import lru_cache
from pathlib import Path

import numpy as np

logging.getLogger("bm25s").setLevel(logging.WARNING)

_TOKEN = re.compile(r"[a-z0-9]+(?:[.\-][a-z0-9]+)*")
STOPWORDS = frozenset(
    """a an and are as at be been but by can could did do does for from had has have how i if in into is it
    its may me might more most must my no nor not of on or our she should so such than that the their them
    then there these they this those to was we were what when where which while who whom why will with would
    you your he his her him us""".split()
)


@lru_cache(maxsize=1)
def _stemmer():
    import Stemmer

    return Stemmer.Stemmer("english")


def tokenize(text: str) -> list[str]:
    """Lower-case word tokens, stop words dropped, Snowball-stemmed; codes such as J1459, G70.01
    and 90283 stay whole (and also split at the dot, so G70.01 matches G70)."""
    words = []
    for tok in _TOKEN.findall(text.lower()):
        if tok in STOPWORDS:
            continue
        words.append(tok)
        if "." in tok or "-" in tok:
            words.extend(p for p in re.split(r"[.\-]", tok) if p and p not in STOPWORDS)
    return _stemmer().stemWords(words)


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
