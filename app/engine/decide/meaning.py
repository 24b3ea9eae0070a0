"""Which statement speaks to the question: closeness of meaning by the bundled embedding model
(cosine of sentence embeddings), not by shared words. The ``Similarity`` protocol is the seam: the
engine passes the embedder it already loaded; tests pass a fake with similarities they choose."""

from __future__ import annotations

from collections import OrderedDict
from threading import Lock
from typing import Protocol, Sequence

import numpy as np


class Similarity(Protocol):
    def similarities(self, query: str, texts: Sequence[str]) -> np.ndarray:
        """Cosine similarity of ``query`` to each of ``texts``, in [-1, 1], in their order."""
        ...


class EmbeddingSimilarity:
    """Cosines from a LangChain ``Embeddings`` (``embed_documents``). Statement vectors are kept
    (up to ``cache_size``): the recommendations' vectors embedded at ingest are preloaded, and any
    other statement is encoded once per process, on the first question that reaches it."""

    def __init__(self, embeddings, cache_size: int = 100_000):
        self.embeddings = embeddings
        self.cache_size = cache_size
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = Lock()

    def _vectors(self, texts: Sequence[str], keep: bool) -> np.ndarray:
        with self._lock:  # what is cached now is read now: another question may evict it meanwhile
            have = {t: self._cache[t] for t in texts if t in self._cache}
        missing = list(dict.fromkeys(t for t in texts if t not in have))
        found: dict[str, np.ndarray] = {}
        if missing:
            for text, vec in zip(missing, self.embeddings.embed_documents(missing)):
                v = np.asarray(vec, dtype=np.float32)
                norm = float(np.linalg.norm(v))
                found[text] = v / norm if norm else v
        with self._lock:
            out = np.stack([found[t] if t in found else have[t] for t in texts]) if texts else np.zeros((0, 0))
            if keep:
                for text, v in found.items():
                    self._cache[text] = v
                while len(self._cache) > self.cache_size:
                    self._cache.popitem(last=False)
        return out

    def preload(self, vectors: dict[str, np.ndarray]) -> None:
        """Statement vectors computed before (at ingest, by the same embedder), by text."""
        with self._lock:
            for text, v in vectors.items():
                norm = float(np.linalg.norm(v))
                self._cache[text] = np.asarray(v, dtype=np.float32) / (norm or 1.0)
            while len(self._cache) > self.cache_size:
                self._cache.popitem(last=False)

    def similarities(self, query: str, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros(0, dtype=np.float32)
        q = self._vectors([query], keep=False)[0]
        return self._vectors(list(texts), keep=True) @ q
