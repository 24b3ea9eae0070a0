"""Fakes for the engine's stages, and builders for the records that join them.

``FakeDecider`` and ``FakeRetriever`` stand in for the parts ``Engine`` accepts as arguments; each
records what it was given. The builders make ``Chunk``, ``Hit``, ``Hits``, ``Index``, ``Corpus`` and
``Evidence`` by hand: an ``Index`` here is the real dataclass over chunks in memory (no BM25, no
vectors), enough for ``gather``, the corpus profile and ``Engine.__init__``."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from app.chunks import SECTION_SEP, Chunk
from app.engine.gather import corpus_profile, document_sections
from app.engine.read import Frame
from app.engine.records import Corpus, Decision, Evidence, Hit, Hits
from app.engine.retrieve.index import Index


def chunk(document_id: str, text: str, *, section: str = "", title: str | None = None, n: int = 0,
          doc_type: str = "policy", status: str = "current", issuer: str = "", effective_date: str = "",
          codes: list[str] | None = None) -> Chunk:
    """A chunk of ``document_id``; ``section`` is the heading path below the title, which leads it."""
    title = title or document_id
    path = SECTION_SEP.join([title, section]) if section else title
    return Chunk(chunk_id=f"{document_id}#{n}", document_id=document_id, text=text, title=title, section=path,
                 ordinal=n, doc_type=doc_type, status=status, issuer=issuer, effective_date=effective_date,
                 codes=codes or [])


def hits(*chunks: Chunk, best_dense: float | None = None) -> Hits:
    """Ranked hits in the order given, scores descending."""
    ranked = Hits(Hit(c, 1.0 / (rank + 1)) for rank, c in enumerate(chunks))
    ranked.best_dense = best_dense
    return ranked


def make_index(*chunks: Chunk) -> Index:
    """An index over ``chunks`` in the order given; each document's metadata from its first chunk."""
    documents: dict[str, dict] = {}
    by_doc: dict[str, list[str]] = {}
    for c in chunks:
        documents.setdefault(c.document_id, {"title": c.title, "doc_type": c.doc_type, "issuer": c.issuer,
                                             "status": c.status, "topics": []})
        by_doc.setdefault(c.document_id, []).append(c.chunk_id)
    return Index(path=Path("fake-index"), manifest={"documents": documents, "collection": "fake"},
                 chunks={c.chunk_id: c for c in chunks}, order=[c.chunk_id for c in chunks], lexical=None,
                 document_chunks=by_doc)


def corpus_of(*chunks: Chunk) -> Corpus:
    return corpus_profile(make_index(*chunks))


def evidence(*chunks: Chunk, hit: list[Chunk] | None = None, disagreements: list[Chunk] | None = None,
             has_patient: bool = False, best_dense: float | None = None) -> Evidence:
    """Evidence over a corpus of ``chunks``: the hits are ``hit`` (all chunks when None), the
    sections every section of each document hit, as ``gather`` would fetch them."""
    index = make_index(*chunks)
    ranked = hits(*(chunks if hit is None else hit), best_dense=best_dense)
    sections = {doc: document_sections(index, doc) for doc in dict.fromkeys(h.chunk.document_id for h in ranked)}
    return Evidence(hits=ranked, sections=sections, disagreements=list(disagreements or []),
                    corpus=corpus_profile(index), has_patient=has_patient)


class FakeDecider:
    """Returns a fixed decision; records every (frame, evidence) it was asked to decide."""

    name = "fake"

    def __init__(self, decision: Decision):
        self.decision = decision
        self.calls: list[tuple[Frame, Evidence]] = []

    def decide(self, frame: Frame, evidence: Evidence) -> Decision:
        self.calls.append((frame, evidence))
        return self.decision


@dataclass
class Search:
    query: str
    k: int
    filters: dict | None
    prefer: str | None
    context: str | None


@dataclass
class FakeRetriever:
    """Returns the given hits (the first k) for any query; records each search."""

    found: list[Hit]
    best_dense: float | None = None
    calls: list[Search] = field(default_factory=list)

    def search(self, query: str, k: int, filters: dict | None = None, prefer: str | None = None,
               context: str | None = None) -> Hits:
        self.calls.append(Search(query, k, filters, prefer, context))
        ranked = Hits(self.found[:k])
        ranked.best_dense = self.best_dense
        return ranked


class FakeSimilarity:
    """Cosines by statement text, or by (query, statement) where the query matters (0 for any
    other); records each query."""

    def __init__(self, cosines: dict):
        self.cosines = cosines
        self.queries: list[str] = []

    def similarities(self, query, texts):
        self.queries.append(query)
        return np.array([self.cosines.get((query, t), self.cosines.get(t, 0.0)) for t in texts])
