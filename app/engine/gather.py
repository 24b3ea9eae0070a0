"""Gather: every passage beyond the ranked hits that a decision or an answer may need, fetched in
one place before deciding — the whole sections of each document the hits come from (a policy's
indication lists, a guideline's population and age-band statements), their records compiled at
ingest, and the 'where sources disagree' passages about the question's topic from any current document."""

from __future__ import annotations

from app.chunks import Chunk
from app.engine.read import Frame
from app.engine.records import Corpus, Evidence
from app.engine.retrieve.hybrid import Hit, Hits
from app.engine.retrieve.index import Index
from app.engine.text.statements import disagreement_score
from app.engine.text.tokens import overlap
from app.engine.text.vocabulary import POLICY_GENERIC_STEMS

DISAGREEMENT_LIMIT = 2


def corpus_profile(index: Index) -> Corpus:
    """The index's document metadata, word weights and named terms (computed once per index)."""
    return Corpus(documents=index.documents, word_idf=index.word_idf, term_groups=index.term_groups)


def gather(frame: Frame, hits: Hits, index: Index, corpus: Corpus, *, has_patient: bool) -> Evidence:
    sections = {doc: document_sections(index, doc) for doc in dict.fromkeys(h.chunk.document_id for h in hits)}
    compiled = {doc: index.compiled[doc] for doc in sections if doc in index.compiled}
    return Evidence(hits=hits, sections=sections, disagreements=disagreements(frame, hits, index),
                    corpus=corpus, has_patient=has_patient, compiled=compiled)


def document_sections(index: Index, document_id: str) -> dict[str, list[Chunk]]:
    """A document's chunks grouped by section path, in index order."""
    sections: dict[str, list[Chunk]] = {}
    for cid in index.document_chunks.get(document_id, []):
        chunk = index.chunks[cid]
        sections.setdefault(chunk.section, []).append(chunk)
    return sections


def disagreements(frame: Frame, hits: list[Hit], index: Index, limit: int = DISAGREEMENT_LIMIT) -> list[Chunk]:
    """'Where sources disagree' passages about the question's topic, from any indexed document,
    best first: the answer surfaces the disagreement even when retrieval favoured the policy."""
    words = frame.query_words() - POLICY_GENERIC_STEMS
    if not words:
        return []
    retrieved = {h.chunk.document_id for h in hits}
    scored = []
    for chunk in index.disagreement_chunks:
        if overlap(words, chunk.text) < 0.5:
            continue
        score = disagreement_score(words, chunk) + (0.2 if chunk.document_id in retrieved else 0.0)
        if score >= 0.5:
            scored.append((score, chunk))
    # equal scores in document order (not by chunk id, a hash of the text: an edit to a sentence
    # would reorder the passages and change which positions an answer shows)
    scored.sort(key=lambda x: (-x[0], x[1].document_id, x[1].ordinal))
    return [chunk for _, chunk in scored[:limit]]
