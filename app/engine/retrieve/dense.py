"""Dense search behind one small seam: the ids of the nearest chunks with their cosine similarity.

Two implementations, chosen by ``retrieval.dense_query`` in the backend factory:

- ``VectorStoreSearch`` — LangChain's ``VectorStore`` API, for any store that returns document ids
  and cosine distances (``similarity_search_by_vector_with_relevance_scores``);
- ``ChromaSearch`` — Chroma's own collection query asking only for ids and distances. The index
  already holds every chunk's text and provenance, so fetching them again is waste: on the bundled
  corpus it is 1.2 ms per question instead of 4.9 ms (50 candidates; bench/ask-compare.md).

Both return the same ids and similarities (tests/engine/test_dense.py)."""

from __future__ import annotations

from typing import Protocol


class DenseSearch(Protocol):
    def nearest(self, vector: list[float], k: int, where: dict | None = None) -> list[tuple[str, float]]:
        """(chunk id, cosine similarity), nearest first."""
        ...


class VectorStoreSearch:
    def __init__(self, store):
        self.store = store  # a langchain_core VectorStore

    def nearest(self, vector: list[float], k: int, where: dict | None = None) -> list[tuple[str, float]]:
        found = self.store.similarity_search_by_vector_with_relevance_scores(vector, k=k, filter=where)
        return [(doc.id, 1.0 - distance) for doc, distance in found]


class ChromaSearch:
    def __init__(self, collection):
        self.collection = collection  # a chromadb Collection (client.get_collection(name))

    def nearest(self, vector: list[float], k: int, where: dict | None = None) -> list[tuple[str, float]]:
        result = self.collection.query(query_embeddings=[vector], n_results=k, where=where, include=["distances"])
        return [(cid, 1.0 - distance) for cid, distance in zip(result["ids"][0], result["distances"][0])]
