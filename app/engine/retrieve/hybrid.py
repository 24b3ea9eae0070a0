"""Hybrid retrieval: BM25 and dense candidates fused by reciprocal rank fusion, with medical
synonym expansion, code matching, metadata filters and a preference for current documents."""

from __future__ import annotations

import re
from dataclasses import dataclass

from app.chunks import Chunk
from app.engine.retrieve.dense import DenseSearch, VectorStoreSearch
from app.engine.retrieve.index import Index
from app.engine.text.tokens import stems
from app.engine.text.vocabulary import GENERIC_STEMS, expand, spelled_out
from app.settings import RetrievalSettings

SUPERSEDED_WEIGHT = 0.5
PREFERRED_TYPE_WEIGHT = 1.2  # a policy for a coverage question, a guideline for a clinical one
TITLE_WORD_WEIGHT = 0.1  # per question word (up to two) that the document's title also uses
CODE_WEIGHT = 1.5  # a document whose code list holds a code the question names
# CPT (5 digits, or 4 digits and a letter), HCPCS Level II (a letter and 4 digits), ICD-10-CM
_CODE = re.compile(r"\b(?:\d{4}[0-9FTU]|[A-V]\d{4}|[A-TV-Z]\d{2}(?:\.[0-9A-Z]{1,4})?)\b")


class Hits(list):
    """The ranked hits, plus the best dense similarity among all dense candidates (a question
    whose top hits all came from the word index still tells how close the nearest vector was)."""

    best_dense: float | None = None


@dataclass
class Hit:
    chunk: Chunk
    score: float
    lexical_rank: int | None = None
    dense_rank: int | None = None
    dense_similarity: float | None = None


def _chroma_where(filters: dict | None) -> dict | None:
    if not filters:
        return None
    clauses = []
    for key, field in (("document_ids", "document_id"), ("doc_type", "doc_type"), ("issuer", "issuer"), ("status", "status")):
        value = filters.get(key)
        if value:
            values = [value] if isinstance(value, str) else list(value)
            clauses.append({field: {"$in": values}})
    if not clauses:
        return None
    return clauses[0] if len(clauses) == 1 else {"$and": clauses}


def _spread(ranked: list[Hit], per_document: int) -> list[Hit]:
    """``ranked`` with no document holding more than ``per_document`` places ahead of another
    document's hit: a long document whose every section shares the question's words would
    otherwise fill all k passages, and a wrong first document would leave the answer no second
    one to read. The hits held back follow, in order, for when no other document is left."""
    if per_document <= 0:
        return ranked
    counts: dict[str, int] = {}
    kept, held = [], []
    for hit in ranked:
        doc = hit.chunk.document_id
        counts[doc] = counts.get(doc, 0) + 1
        (kept if counts[doc] <= per_document else held).append(hit)
    return kept + held


class Retriever:
    def __init__(self, index: Index, embeddings, *, fetch_k: int = 40, rrf_k: int = 60, mode: str = "hybrid",
                 max_per_document: int = 5, dense: DenseSearch | None = None):
        self.index = index
        self.embeddings = embeddings
        store = index.vector_store if index is not None else None
        self.dense_search = dense or (VectorStoreSearch(store) if store is not None else None)
        self.fetch_k = fetch_k
        self.rrf_k = rrf_k
        self.mode = mode
        self.max_per_document = max_per_document

    @classmethod
    def from_settings(cls, index: Index, embeddings, settings: RetrievalSettings, mode: str | None = None,
                      dense: DenseSearch | None = None) -> "Retriever":
        """The retriever the settings describe (``mode`` overrides theirs, for comparisons); ``dense``
        is built by ``app.backends.make_dense_search`` (default: LangChain's VectorStore API)."""
        return cls(index, embeddings, fetch_k=settings.fetch_k, rrf_k=settings.rrf_k, mode=mode or settings.mode,
                   max_per_document=settings.max_per_document, dense=dense)

    def lexical(self, query: str, filters: dict | None = None) -> list[tuple[str, float]]:
        mask = self.index.mask(**(filters or {})) if filters else None
        return self.index.lexical.search(expand(query), self.fetch_k, mask)

    def dense(self, query: str, filters: dict | None = None) -> list[tuple[str, float]]:
        if self.dense_search is None or self.embeddings is None:
            return []
        vector = self.embeddings.embed_query(spelled_out(query))
        n = min(self.fetch_k + 10, max(1, len(self.index.chunks)))
        pairs = self.dense_search.nearest(vector, n, _chroma_where(filters))
        return [(cid, sim) for cid, sim in pairs if cid in self.index.chunks][: self.fetch_k]  # committed only

    def search(self, query: str, k: int, filters: dict | None = None, prefer: str | None = None,
               context: str | None = None) -> list[Hit]:
        """The k best chunks for ``query``. ``context`` (the patient record) is searched by words
        alongside the query — it names what the question leaves implicit ("this injured worker"
        has cauda equina) — but not embedded: encoding a long record would triple the query's
        cost for no measured gain on the real documents. ``prefer`` names the doc_type the
        question wants ('policy' for a coverage question); its documents, and documents whose
        title uses the question's own words, are weighted up."""
        words = f"{query}\n{context}" if context and context.strip() else query
        lexical = self.lexical(words, filters) if self.mode in ("hybrid", "bm25") else []
        dense = self.dense(query, filters) if self.mode in ("hybrid", "dense") else []
        hits: dict[str, Hit] = {}
        for rank, (cid, _) in enumerate(lexical, start=1):
            hit = hits.setdefault(cid, Hit(self.index.chunks[cid], 0.0))
            hit.lexical_rank = rank
            hit.score += 1.0 / (self.rrf_k + rank)
        for rank, (cid, sim) in enumerate(dense, start=1):
            hit = hits.setdefault(cid, Hit(self.index.chunks[cid], 0.0))
            hit.dense_rank, hit.dense_similarity = rank, sim
            hit.score += 1.0 / (self.rrf_k + rank)
        if not (filters or {}).get("status"):
            for hit in hits.values():
                if hit.chunk.status == "superseded":
                    hit.score *= SUPERSEDED_WEIGHT
        if prefer or self.mode == "hybrid":
            self._weigh_documents(query, hits.values(), prefer)
        ordered = sorted(hits.values(), key=lambda h: (-h.score, h.chunk.chunk_id))
        ranked = Hits(_spread(ordered, self.max_per_document)[:k])
        ranked.best_dense = max((sim for _, sim in dense), default=None)
        return ranked

    def _weigh_documents(self, query: str, hits, prefer: str | None) -> None:
        asked = stems(query) - GENERIC_STEMS
        codes = {c.upper() for c in _CODE.findall(query)}
        weights: dict[str, float] = {}
        for hit in hits:
            c = hit.chunk
            if c.document_id not in weights:
                title = (self.index.documents.get(c.document_id) or {}).get("title") or c.title
                shared = len(asked & (stems(title) - GENERIC_STEMS))
                weights[c.document_id] = 1.0 + TITLE_WORD_WEIGHT * min(shared, 2)
                if codes & {code.upper() for code in c.codes}:
                    weights[c.document_id] *= CODE_WEIGHT  # the question's CPT/HCPCS/ICD-10 code is in its code list
            hit.score *= weights[c.document_id]
            if prefer and c.doc_type == prefer:
                hit.score *= PREFERRED_TYPE_WEIGHT
