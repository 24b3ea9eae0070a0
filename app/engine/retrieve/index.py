"""An index on disk, as the engine reads it.

Layout of an index directory::

    chroma/                  the embedded Chroma database (store 'chroma-local')
    CURRENT                  names the committed generation
    generations/<gen>/       manifest.json, chunks.jsonl, criteria.jsonl, record_vectors.npz, precomputed.json,
                             bm25/ — one committed state
    .lock                    held by the one process that writes

A writer (``ingest/``) adds vectors to Chroma first, then writes a whole new generation and
switches ``CURRENT`` to it with an atomic rename. A reader only ever sees committed generations,
and ignores any vector Chroma holds that the generation does not list — so an ingest killed
midway leaves the previous index answering exactly as before.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import numpy as np

from app.chunks import Chunk
from app.engine.compiled import CompiledDocument, read_compiled, read_record_vectors
from app.errors import EmbedderMismatch, IndexUnavailable
from app.engine.retrieve.lexical import LexicalIndex
from app.engine.retrieve.precomputed import Precomputed, word_idf
from app.engine.retrieve.precomputed import read as read_precomputed
from app.engine.text.statements import is_disagreement
from app.engine.text.vocabulary import canonical, synonym_terms

CURRENT = "CURRENT"
GENERATIONS = "generations"


def current_generation(index_dir: Path) -> Path | None:
    pointer = index_dir / CURRENT
    if not pointer.exists():
        return None
    gen = index_dir / GENERATIONS / pointer.read_text().strip()
    return gen if (gen / "manifest.json").exists() else None


def read_chunks(generation: Path) -> list[Chunk]:
    with open(generation / "chunks.jsonl", encoding="utf-8") as fh:
        return [Chunk.model_validate_json(line) for line in fh if line.strip()]


@dataclass
class Index:
    """A committed generation loaded for reading: chunks, BM25, and the Chroma collection."""

    path: Path
    manifest: dict
    chunks: dict[str, Chunk]
    order: list[str]
    lexical: LexicalIndex
    vector_store: object = None  # langchain_chroma.Chroma
    document_chunks: dict[str, list[str]] = field(default_factory=dict)

    @property
    def documents(self) -> dict[str, dict]:
        return self.manifest["documents"]

    @property
    def collection(self) -> str:
        return self.manifest["collection"]

    @cached_property
    def compiled(self) -> dict[str, CompiledDocument]:
        """Each document's criteria, compiled at ingest (``criteria.jsonl``); none for an index
        built before they were. Read on first use."""
        return read_compiled(self.path)

    @cached_property
    def record_vectors(self) -> dict:
        """The recommendations' vectors embedded at ingest (``record_vectors.npz``), by text."""
        return read_record_vectors(self.path)

    @cached_property
    def precomputed(self) -> Precomputed | None:
        """Statements, synonym groups and word weights computed at ingest (``precomputed.json``),
        or None when the generation's were written by other code or it has none."""
        return read_precomputed(self.path, self.chunks)

    @cached_property
    def word_idf(self) -> dict[str, float]:
        """Inverse document frequency of every (stemmed) word over this generation's chunks:
        how much finding a word says. Computed once per loaded index, or at ingest."""
        return self.precomputed.word_idf if self.precomputed else word_idf(self.chunks.values())

    @cached_property
    def term_groups(self) -> frozenset[str]:
        """The synonym groups (by canonical name) that some chunk names, in any of their spellings:
        a question about a term no document mentions cannot be answered from this index."""
        if self.precomputed:
            return self.precomputed.term_groups
        found: set[str] = set()
        for chunk in self.chunks.values():
            found.update(canonical(t) for t in synonym_terms(f"{chunk.title} {chunk.section} {chunk.text}"))
        return frozenset(found)

    @cached_property
    def disagreement_chunks(self) -> list:
        """The current documents' 'Where sources disagree' passages, in index order."""
        return [c for c in self.chunks.values() if is_disagreement(c.section) and c.status == "current"]

    def mask(self, *, document_ids=None, doc_type=None, issuer=None, status=None) -> np.ndarray | None:
        """0/1 row mask over ``order`` for metadata filters (None when nothing filters)."""
        if not any((document_ids, doc_type, issuer, status)):
            return None
        ids = set(document_ids or [])
        keep = np.zeros(len(self.order), dtype=np.float32)
        for row, cid in enumerate(self.order):
            c = self.chunks[cid]
            if ids and c.document_id not in ids:
                continue
            if doc_type and c.doc_type not in _as_set(doc_type):
                continue
            if issuer and c.issuer not in _as_set(issuer):
                continue
            if status and c.status not in _as_set(status):
                continue
            keep[row] = 1.0
        return keep


def _as_set(value) -> set[str]:
    return {value} if isinstance(value, str) else set(value)


def open_index(index_dir: Path, *, stamp: str, vector_store_factory=None) -> Index:
    """Load the committed generation; refuse an index built by another embedder.

    ``vector_store_factory(collection_name)`` builds the LangChain vector store (dense search);
    without it the index is lexical-only (used by tools that need no embedder)."""
    gen = current_generation(index_dir)
    if gen is None:
        raise IndexUnavailable(
            f"no index at {index_dir}: run `criterion ingest corpus` (or `make run`) to build one"
        )
    manifest = json.loads((gen / "manifest.json").read_text())
    if manifest.get("embedder") != stamp:
        raise EmbedderMismatch(
            f"the index at {index_dir} was built with embedder {manifest.get('embedder')!r}, but the "
            f"settings select {stamp!r}; re-ingest with `criterion ingest PATH --rebuild` or "
            "switch the embedding settings back"
        )
    chunk_list = read_chunks(gen)
    order = [c.chunk_id for c in chunk_list]
    lexical = LexicalIndex.load(gen / "bm25", order)
    by_doc: dict[str, list[str]] = {}
    for c in chunk_list:
        by_doc.setdefault(c.document_id, []).append(c.chunk_id)
    store = vector_store_factory(manifest["collection"]) if vector_store_factory else None
    return Index(gen, manifest, {c.chunk_id: c for c in chunk_list}, order, lexical, store, by_doc)
