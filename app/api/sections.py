"""A section of a document as a reader sees it (``GET /v1/documents/{id}/section?name=…``): the
text of its chunks in document order, each chunk's overlap with the one before removed so the
section reads once through, where each chunk sits in that text (so a client can highlight a
citation's quote inside the chunk it came from), and the document's provenance."""

from __future__ import annotations

from pydantic import BaseModel, Field

from app.api.models import DocumentSummary
from app.chunks import Chunk
from app.errors import AppError, NotFound


class SectionNameRequired(AppError):
    status, code = 422, "invalid_request"


class SectionChunk(BaseModel):
    chunk_id: str
    start: int = Field(description="Where the chunk's text begins in the section's `text` (characters).")
    end: int = Field(description="Where it ends (exclusive).")
    page_start: int | None = None
    page_end: int | None = None


class SectionDocument(DocumentSummary):
    source: str = Field("", description="What the document summarises or derives from (citations, links).")
    last_reviewed: str = ""
    policy_number: str = ""
    revision: str = ""


class SectionText(BaseModel):
    document: SectionDocument
    name: str = Field(description="The section's heading path, ' > ' separated, as citations name it.")
    text: str = Field(description="The section's text, from the index's chunks in order, overlaps removed.")
    pages: list[int] = Field(default_factory=list, description="The pages its chunks span (PDF documents).")
    chunks: list[SectionChunk]
    previous: str | None = Field(None, description="The section before it in the document, if any.")
    next: str | None = Field(None, description="The section after it, if any.")


def carried(before: str, chunk: str) -> int:
    """How many leading characters of ``chunk`` repeat the end of ``before``: the longest run of
    whole lines that ends the one and begins the other (what chunking carries over as overlap)."""
    best, cut = 0, chunk.find("\n")
    while True:
        head = chunk if cut < 0 else chunk[:cut]
        if head and before.endswith(head) and (len(before) == len(head) or before[-len(head) - 1] == "\n"):
            best = len(head)
        if cut < 0:
            return best
        cut = chunk.find("\n", cut + 1)


def join(chunks: list[Chunk]) -> tuple[str, list[SectionChunk]]:
    """The chunks' texts as one text, each overlap kept once, and each chunk's span in it."""
    text, spans = "", []
    for chunk in chunks:
        if not text:
            start, text = 0, chunk.text
        else:
            overlap = carried(text, chunk.text)
            start = len(text) - overlap if overlap else len(text) + 1
            text = text + chunk.text[overlap:] if overlap else f"{text}\n{chunk.text}"
        spans.append(SectionChunk(chunk_id=chunk.chunk_id, start=start, end=start + len(chunk.text),
                                  page_start=chunk.page_start, page_end=chunk.page_end))
    return text, spans


def section_text(index, document_id: str, name: str, summary: DocumentSummary) -> SectionText:
    """The section ``name`` of ``document_id`` in ``index`` (404 section_not_found when it has none)."""
    entry = index.documents[document_id]
    chunks = [index.chunks[chunk_id] for chunk_id in index.document_chunks.get(document_id, [])]
    names = list(dict.fromkeys(chunk.section for chunk in chunks))
    if name not in names:
        shown = name if len(name) <= 200 else name[:200] + "…"
        raise NotFound(f"{document_id!r} has no section {shown!r}; GET /v1/documents/{{id}} lists its "
                       f"{len(names)} sections", code="section_not_found")
    mine = sorted((c for c in chunks if c.section == name), key=lambda c: c.ordinal)
    text, spans = join(mine)
    pages = sorted({page for c in mine if c.page_start is not None
                    for page in range(c.page_start, (c.page_end or c.page_start) + 1)})
    at = names.index(name)
    document = SectionDocument(**summary.model_dump(), source=entry.get("source", ""),
                               last_reviewed=entry.get("last_reviewed", ""),
                               policy_number=entry.get("policy_number", ""), revision=entry.get("revision", ""))
    return SectionText(document=document, name=name, text=text, pages=pages, chunks=spans,
                       previous=names[at - 1] if at else None, next=names[at + 1] if at + 1 < len(names) else None)
