"""Structure-aware chunking: chunks never cross a section boundary (so a "covered" block never
shares a chunk with a "not covered" block), and never exceed what the embedder reads, measured
in the embedder's own word pieces."""

from __future__ import annotations

import re
from typing import Callable

from app.chunks import Chunk, make_chunk_id
from ingest.loaders import Block, LoadedDocument

SECTION_SEP = " > "
_SENTENCE_END = re.compile(r"(?<=[.!?;])\s+(?=[(\"'“]?[A-Z0-9])")


def split_sentences(text: str) -> list[str]:
    return [s for s in _SENTENCE_END.split(text) if s.strip()]


def chunk_header(title: str, section: str) -> str:
    """What the embedder and BM25 see before a chunk's text: where the chunk sits."""
    return f"{title} | {section}" if section else title


def _units(block_text: str, tokens: int, budget: int, count: Callable[[list[str]], list[int]]) -> list[tuple[str, int]]:
    """A block as pieces that each fit the budget: the block itself, else its sentences, else
    word windows of a sentence too long for one chunk."""
    if tokens <= budget:
        return [(block_text, tokens)]
    sentences = split_sentences(block_text)
    out: list[tuple[str, int]] = []
    for sentence, n in zip(sentences, count(sentences)):
        if n <= budget:
            out.append((sentence, n))
            continue
        words = sentence.split()
        start = 0
        while start < len(words):
            # grow a window of words until it would pass the budget
            lo, hi = start + 1, len(words)
            while lo < hi:
                mid = (lo + hi + 1) // 2
                if count([" ".join(words[start:mid])])[0] <= budget:
                    lo = mid
                else:
                    hi = mid - 1
            piece = " ".join(words[start:lo])
            out.append((piece, count([piece])[0]))
            start = lo
    return out


def chunk_document(
    doc: LoadedDocument,
    *,
    document_id: str,
    meta: dict,
    max_tokens: int,
    overlap_tokens: int,
    count: Callable[[list[str]], list[int]],
) -> list[Chunk]:
    title = meta["title"]
    groups: list[tuple[tuple[str, ...], list[Block]]] = []
    for block in doc.blocks:
        if groups and groups[-1][0] == block.section:
            groups[-1][1].append(block)
        else:
            groups.append((block.section, [block]))

    headers = [chunk_header(title, SECTION_SEP.join(section)) for section, _ in groups]
    header_tokens = count(headers) if headers else []
    block_tokens = iter(count([b.text for b in doc.blocks]) if doc.blocks else [])
    chunks: list[Chunk] = []
    seen: set[str] = set()

    for (section, blocks), h_tokens in zip(groups, header_tokens):
        section_text = SECTION_SEP.join(section)
        budget = max(8, max_tokens - h_tokens - 1)
        units: list[tuple[str, int, int | None]] = []
        for block in blocks:
            for text, n in _units(block.text, next(block_tokens), budget, count):
                units.append((text, n, block.page))

        current: list[tuple[str, int, int | None]] = []
        used = 0

        def emit() -> None:
            text = "\n".join(u[0] for u in current)
            pages = [u[2] for u in current if u[2] is not None]
            chunks.append(
                Chunk(
                    chunk_id=make_chunk_id(document_id, section_text, text, seen),
                    document_id=document_id,
                    text=text,
                    title=title,
                    section=section_text,
                    page_start=min(pages) if pages else None,
                    page_end=max(pages) if pages else None,
                    issuer=meta.get("issuer", ""),
                    doc_type=meta.get("doc_type", ""),
                    effective_date=meta.get("effective_date", ""),
                    status=meta.get("status", "current"),
                    source=meta.get("source", ""),
                    source_sha256=doc.sha256,
                    ordinal=len(chunks),
                    codes=meta.get("codes", []),
                )
            )

        for unit in units:
            # +1 for the newline joining units
            if current and used + unit[1] + 1 > budget:
                emit()
                carried: list[tuple[str, int, int | None]] = []
                carried_tokens = 0
                for prev in reversed(current):
                    if carried_tokens + prev[1] + 1 > overlap_tokens or carried_tokens + prev[1] + unit[1] + 2 > budget:
                        break
                    carried.insert(0, prev)
                    carried_tokens += prev[1] + 1
                current, used = carried, carried_tokens
            current.append(unit)
            used += unit[1] + 1
        if current:
            emit()
    return chunks
