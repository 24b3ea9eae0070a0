"""Dense search behind one small seam: the ids of the nearest chunks with their cosine similarity.

Two implementations, chosen by ``retrieval.dense_query`` in the backend factory:

- ``VectorStoreSearch`` — LangChain's ``VectorStore`` API, for any store that returns document ids
  and cosine distances (``similarity_search_by_vector_with_relevance_scores``);
- ``ChromaSearch`` — the Chroma collection asked only for ids and distances (the index already
  holds every chunk's text and provenance, so fetching them again is waste: 1.2 ms per question
  instead of 4.9 ms on the bundled corpus, 50 candidates; bench/ask-compare.md). Over an embedded
  store (``exact=True``, what the factory gives for 'chroma-local') it searches the collection's
  vectors exactly, in memory, instead of querying Chroma's HNSW graph: embedded Chroma keeps the
  last writes (fewer than the HNSW ``sync_threshold``, 1000) only in its log, and every process
  that opens the index replays them into its own graph, in parallel and in hash order — so two
  processes reading one unchanged index hold different graphs, and the approximate search missed
  different true neighbours in each (2 of 420 real-corpus dev questions retrieved other passages
  from one run to the next; tests/engine/test_reproducible.py). The exact search is the same in
  every process, and faster: 0.1 ms instead of 1.2 ms on the bundled corpus, 0.4-1.1 ms instead of
  1.6 ms at 15,000 chunks (a filter: 1 ms instead of 12). Its cost: reading the vectors once, on
  the first query (+0.4-0.9 s at 15,000 chunks), and holding them (23 MB at 15,000 chunks).

Both return the same ids and similarities (tests/engine/test_dense.py); ties are ordered by id."""

from __future__ import annotations

import json
import threading
from typing import Protocol

import numpy as np


class DenseSearch(Protocol):
    def nearest(self, vector: list[float], k: int, where: dict | None = None) -> list[tuple[str, float]]:
        """(chunk id, cosine similarity), nearest first."""
        ...

    def warm(self) -> None:
        """Do now what the first query would do first (read vectors), so no question waits for it."""
        ...


class VectorStoreSearch:
    def __init__(self, store):
        self.store = store  # a langchain_core VectorStore

    def warm(self) -> None:
        return None  # the store answers from its own index

    def nearest(self, vector: list[float], k: int, where: dict | None = None) -> list[tuple[str, float]]:
        found = self.store.similarity_search_by_vector_with_relevance_scores(vector, k=k, filter=where)
        return [(doc.id, 1.0 - distance) for doc, distance in found]


class ChromaSearch:
    MAX_FILTERS = 256  # the ids each filter selects are kept; past this many filters, forgotten

    def __init__(self, collection, *, exact: bool = False):
        self.collection = collection  # a chromadb Collection (client.get_collection(name))
        self.exact = exact
        self._lock = threading.Lock()
        self._ids: np.ndarray | None = None  # the collection's ids, sorted: row order is the tie-break
        self._unit: np.ndarray | None = None  # their vectors, unit length, one row each
        self._rows_of: dict[str, np.ndarray] = {}  # a filter (as JSON) -> the rows it selects

    def nearest(self, vector: list[float], k: int, where: dict | None = None) -> list[tuple[str, float]]:
        if not self.exact:
            result = self.collection.query(query_embeddings=[vector], n_results=k, where=where, include=["distances"])
            return [(cid, 1.0 - distance) for cid, distance in zip(result["ids"][0], result["distances"][0])]
        ids, unit = self._vectors()
        if k <= 0 or not len(ids):
            return []
        query = np.asarray(vector, dtype=np.float32)
        sims = unit @ (query / max(float(np.linalg.norm(query)), 1e-12))
        rows = self._rows(where) if where else None
        if rows is not None:
            sims = sims[rows]
        if k < len(sims):  # the k best, and every row tied with the k-th, then sorted: (-similarity, row)
            cut = np.partition(sims, len(sims) - k)[len(sims) - k]
            picked = np.flatnonzero(sims >= cut)
        else:
            picked = np.arange(len(sims))
        picked = picked[np.lexsort((picked, -sims[picked]))][:k]
        found = picked if rows is None else rows[picked]
        return [(str(ids[row]), float(sims[i])) for row, i in zip(found, picked)]

    def warm(self) -> None:
        if self.exact:
            self._vectors()

    def _vectors(self) -> tuple[np.ndarray, np.ndarray]:
        """The collection's ids and unit vectors, read once (the first query; threads wait for it)."""
        with self._lock:
            if self._unit is None:
                got = self.collection.get(include=["embeddings"])
                ids = np.asarray(got["ids"], dtype=object)
                matrix = np.asarray(got["embeddings"] if len(ids) else np.zeros((0, 1)), dtype=np.float32)
                order = np.argsort(ids.astype(str), kind="stable")
                matrix = matrix[order]
                norms = np.linalg.norm(matrix, axis=1, keepdims=True)
                self._ids, self._unit = ids[order], np.ascontiguousarray(matrix / np.maximum(norms, 1e-12))
            return self._ids, self._unit

    def _rows(self, where: dict) -> np.ndarray:
        """The rows (ascending) whose metadata ``where`` selects, as Chroma evaluates it."""
        key = json.dumps(where, sort_keys=True)
        rows = self._rows_of.get(key)
        if rows is None:
            selected = set(self.collection.get(where=where, include=[])["ids"])
            rows = np.flatnonzero([cid in selected for cid in self._ids]) if selected else np.zeros(0, dtype=np.intp)
            with self._lock:
                if len(self._rows_of) >= self.MAX_FILTERS:
                    self._rows_of.clear()
                self._rows_of[key] = rows
        return rows
