"""The statements of the retrieved passages closest to the question, best first, skipping those
whose population excludes the patient."""

from __future__ import annotations

from app.chunks import SECTION_SEP
from app.engine.decide.rules.population import population_fits
from app.engine.read import Frame
from app.engine.records import Hit
from app.engine.text.statements import Sentence, split_chunk
from app.engine.text.tokens import overlap

DOC_RANK_PENALTY = 0.1  # per document ahead in retrieval order: the top document's statements come first


def best_sentences(frame: Frame, hits: list[Hit], limit: int = 6, doc: str | None = None) -> list[Sentence]:
    words = frame.query_words()
    scored = []
    doc_rank = {d: i for i, d in enumerate(dict.fromkeys(h.chunk.document_id for h in hits))}
    for rank, hit in enumerate(hits):
        if doc and hit.chunk.document_id != doc:
            continue
        heading = hit.chunk.section.split(SECTION_SEP)[-1] if hit.chunk.section else ""
        if not population_fits(heading, frame):
            continue  # a section for another population
        for s in split_chunk(hit.chunk):
            if not population_fits(s.text, frame):
                continue
            score = overlap(words, s.text) + overlap(words, hit.chunk.section) * 0.3 - rank * 0.02 \
                - DOC_RANK_PENALTY * doc_rank[hit.chunk.document_id]
            scored.append((score, s))
    scored.sort(key=lambda x: -x[0])
    return [s for score, s in scored[:limit] if score > 0]
