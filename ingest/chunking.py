"""Structure-aware chunking: chunks never cross a section boundary (so a "covered" block never
shares a chunk with a "not covered" block), and never exceed what the embedder reads, measured
in the embedder's own word pieces."""

from __future__ import annotations

from typing import Callable

from app.chunks import SECTION_SEP, Chunk, make_chunk_id
from app.engine.text.sentences import split_sentences
from ingest.document import Block, LoadedDocument


def chunk_header(title: str, section: str) -> str:
    """What the embedder and BM25 see before a chunk's text: where the chunk sits."""
    return f"{title} | {section}" if section else title


def _units(block_text: str, tokens: int, budget: int, count: Callable[[list[str]], list[int]]) -> list[tuple[str, int]]:
    """A block as pieces that each fit the budget: the block itself, else its sentences, else
    word windows of a sentence too long for one chunk."""
    if tokens <= budget:
        return [(block_text, tokens)]
    sentences = split_sentences(block_text)
    counts = [tokens] if sentences == [block_text] else count(sentences)  # one sentence: the block, counted
    out: list[tuple[str, int]] = []
    for sentence, n in zip(sentences, counts):
        if n <= budget:
            out.append((sentence, n))
            continue
        out.extend(word_windows(sentence.split(), budget, count))
    return out


def word_windows(words: list[str], budget: int, count: Callable[[list[str]], list[int]]) -> list[tuple[str, int]]:
    """Consecutive windows of words, each the longest run (at least one word) that fits the
    budget. Each window's end is predicted from the words' own counts and confirmed by counting
    the window and the window one word longer; where the two disagree with the prediction (a
    tokenizer whose counts do not add up word by word) it is searched for instead."""
    distinct = list(dict.fromkeys(words))
    counts = dict(zip(distinct, count(distinct)))
    per_word = [counts[w] for w in words]
    out: list[tuple[str, int]] = []
    start = 0
    while start < len(words):
        end, used = start + 1, per_word[start]
        while end < len(words) and used + per_word[end] <= budget:
            used += per_word[end]
            end += 1
        candidates = [" ".join(words[start:end])] + ([" ".join(words[start:end + 1])] if end < len(words) else [])
        counted = count(candidates)
        if (end > start + 1 and counted[0] > budget) or (len(counted) > 1 and counted[1] <= budget):
            end = _window_end(words, start, budget, count)
            candidates = [" ".join(words[start:end])]
            counted = count(candidates)
        out.append((candidates[0], counted[0]))
        start = end
    return out


def _window_end(words: list[str], start: int, budget: int, count: Callable[[list[str]], list[int]]) -> int:
    """The end of the longest run of words from ``start`` that fits the budget (at least one
    word). The run is found by doubling its length until it no longer fits, then halving the
    gap, so the words counted are proportional to the run found — never to the rest of the
    sentence (searching the whole sentence made a 100 KB paragraph quadratic)."""
    def fits(end: int) -> bool:
        return count([" ".join(words[start:end])])[0] <= budget

    last = len(words)
    lo, step = start + 1, 1  # ``lo`` is taken whether or not it fits
    if lo >= last:
        return last
    while True:
        probe = min(lo + step, last)
        if not fits(probe):
            hi = probe - 1
            break
        lo = probe
        if lo == last:
            return lo
        step *= 2
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if fits(mid):
            lo = mid
        else:
            hi = mid - 1
    return lo


class ChunkIds:
    """The ids :func:`app.chunks.make_chunk_id` gives, repeats numbered ``-2``, ``-3`` … in
    order, counted rather than probed one by one (a document of one repeated paragraph made
    the probing quadratic). A content id never ends in ``-n``, so counting each id's repeats
    gives the same numbers."""

    def __init__(self, document_id: str):
        self.document_id = document_id
        self.repeats: dict[str, int] = {}

    def __call__(self, section: str, text: str) -> str:
        base = make_chunk_id(self.document_id, section, text, set())
        n = self.repeats[base] = self.repeats.get(base, 0) + 1
        return base if n == 1 else f"{base}-{n}"


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
    chunk_id = ChunkIds(document_id)

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
                    chunk_id=chunk_id(section_text, text),
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
