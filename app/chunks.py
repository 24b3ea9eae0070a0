"""What the index holds: a chunk of a document with its provenance."""

from __future__ import annotations

import hashlib

from pydantic import BaseModel, Field

SECTION_SEP = " > "  # between the headings of a section path: "Coverage > Myasthenia gravis"


class Chunk(BaseModel):
    chunk_id: str
    document_id: str = Field(description="Path relative to the ingested root, POSIX, no extension.")
    text: str
    title: str
    section: str = Field("", description="Heading path, ' > ' separated.")
    page_start: int | None = None
    page_end: int | None = None
    issuer: str = ""
    doc_type: str = ""
    effective_date: str = ""
    status: str = "current"
    source: str = ""
    source_sha256: str = ""
    ordinal: int = Field(0, description="Position of the chunk within its document.")
    codes: list[str] = Field(default_factory=list)

    def chroma_metadata(self) -> dict:
        """Flat metadata for Chroma (scalars only; None is dropped)."""
        meta = self.model_dump(exclude={"text", "codes"})
        meta["codes"] = " ".join(self.codes)
        return {k: v for k, v in meta.items() if v is not None}


def make_chunk_id(document_id: str, section: str, text: str, seen: set[str]) -> str:
    """Stable id from the document and the chunk's content, so unchanged files keep their ids
    (and an edit re-embeds only the chunks it touched). A repeat of the same text in the same
    section gets a numbered suffix; ``seen`` holds the ids already given in this document."""
    digest = hashlib.sha256(f"{document_id}\x1f{section}\x1f{text}".encode()).hexdigest()
    base = f"{document_id}#{digest[:16]}"
    chunk_id, n = base, 1
    while chunk_id in seen:
        n += 1
        chunk_id = f"{base}-{n}"
    seen.add(chunk_id)
    return chunk_id
