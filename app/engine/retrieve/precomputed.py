"""What a server would otherwise compute from every chunk when it starts, computed at ingest and
stored with the generation (``precomputed.json``):

- each chunk's statements: the span and stance of every sentence (``app/engine/text/statements.py``);
- each chunk's synonym groups, the terms of ``data/synonyms.yaml`` it names (``Index.term_groups``);
- every word's inverse document frequency over the generation (``Index.word_idf``).

On the real corpus (15,193 chunks) these took about 20 s of a server's start. The file is stamped
with a digest of the code and vocabularies that compute them (``app/engine/text/``): a generation
written by other code, or without the file (an index built before it existed), is computed at start
as before, and the next sync writes the file again without embedding anything."""

from __future__ import annotations

import hashlib
import json
import logging
import math
import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Iterable

from app.chunks import Chunk
from app.engine.text.statements import statement_spans
from app.engine.text.tokens import stems
from app.engine.text.vocabulary import canonical, synonym_terms

PRECOMPUTED_FILE = "precomputed.json"
_TEXT_PACKAGE = Path(__file__).resolve().parent.parent / "text"
log = logging.getLogger("criterion.index")

Spans = list[tuple[int, int, str]]  # (start, length, stance) of each statement of a chunk


@lru_cache(maxsize=1)
def stamp() -> str:
    """A digest of every file that decides what is computed here: the text package's code and data."""
    digest = hashlib.sha256()
    for path in sorted(p for p in _TEXT_PACKAGE.rglob("*") if p.is_file() and p.suffix in (".py", ".yaml")):
        digest.update(path.relative_to(_TEXT_PACKAGE).as_posix().encode())
        digest.update(path.read_bytes())
    digest.update(Path(__file__).read_bytes())
    return digest.hexdigest()[:16]


@dataclass
class ChunkNotes:
    """One chunk's share: its statements and the synonym groups it names."""

    statements: Spans
    groups: list[str]


def notes_of(chunk: Chunk) -> ChunkNotes:
    text = f"{chunk.title} {chunk.section} {chunk.text}"
    return ChunkNotes(statement_spans(chunk), sorted({canonical(t) for t in synonym_terms(text)}))


def word_idf(chunks: Iterable[Chunk]) -> dict[str, float]:
    """Inverse document frequency of every (stemmed) word over the chunks: how much finding a word says."""
    df: dict[str, int] = {}
    n = 0
    for chunk in chunks:
        n += 1
        for word in stems(f"{chunk.title} {chunk.section} {chunk.text}"):
            df[word] = df.get(word, 0) + 1
    n = max(1, n)
    return {word: math.log(1 + n / d) for word, d in df.items()}


@dataclass
class Precomputed:
    statements: dict[str, Spans]  # by chunk id
    groups: dict[str, list[str]]  # by chunk id
    word_idf: dict[str, float]

    @property
    def term_groups(self) -> frozenset[str]:
        return frozenset(g for names in self.groups.values() for g in names)


def build(chunks: list[Chunk], known: dict[str, ChunkNotes]) -> Precomputed:
    """The generation's notes: ``known`` (computed while reading, or kept from the last commit) and
    the rest computed now."""
    notes = {c.chunk_id: known.get(c.chunk_id) or notes_of(c) for c in chunks}
    return Precomputed({cid: n.statements for cid, n in notes.items()}, {cid: n.groups for cid, n in notes.items()},
                       word_idf(chunks))


def write(path: Path, pre: Precomputed) -> None:
    with open(path, "w", encoding="utf-8") as fh:
        json.dump({"stamp": stamp(), "statements": pre.statements, "groups": pre.groups, "word_idf": pre.word_idf},
                  fh, separators=(",", ":"))
        fh.flush()
        os.fsync(fh.fileno())


def read(generation: Path, chunk_ids: Iterable[str] | None = None) -> Precomputed | None:
    """The generation's notes, or None: no file, unreadable, written by other code (another
    stamp), or not covering every chunk the generation lists."""
    path = generation / PRECOMPUTED_FILE
    if not path.exists():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if data.get("stamp") != stamp():
            log.info("%s was written by other code: computed at start instead", path)
            return None
        pre = Precomputed({k: [tuple(s) for s in v] for k, v in data["statements"].items()},
                          data["groups"], data["word_idf"])
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        log.warning("%s is unreadable: computed at start instead", path)
        return None
    if chunk_ids is not None and not all(cid in pre.statements and cid in pre.groups for cid in chunk_ids):
        return None
    return pre


def kept_notes(pre: Precomputed | None) -> dict[str, ChunkNotes]:
    """A previous generation's notes by chunk id, for a sync to keep those of unchanged chunks."""
    if pre is None:
        return {}
    return {cid: ChunkNotes(list(spans), list(pre.groups.get(cid, []))) for cid, spans in pre.statements.items()
            if cid in pre.groups}
