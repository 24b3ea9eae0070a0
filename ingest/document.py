"""What a loader returns: a document's metadata and its text as blocks, each block knowing its
heading path and (for PDFs) its page; and the decoding every text format shares."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from app.errors import UnreadableDocument

MAX_HEADING_CHARS = 500  # a longer "heading" is text: it would be repeated in every chunk of its section


@dataclass
class Block:
    text: str
    section: tuple[str, ...] = ()
    page: int | None = None


@dataclass
class LoadedDocument:
    path: Path
    sha256: str
    metadata: dict = field(default_factory=dict)
    blocks: list[Block] = field(default_factory=list)
    pages: int = 0
    sources: dict[str, str] = field(default_factory=dict)  # metadata field → where the loader found it
    opening: list[str] = field(default_factory=list)  # a PDF's first-page lines, read for metadata


def decode_text(data: bytes, path: Path) -> str:
    if b"\x00" in data[:8192]:
        raise UnreadableDocument(f"{path.name}: binary content, not text (NUL bytes found)")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise UnreadableDocument(
            f"{path.name}: not valid UTF-8 (byte 0x{data[exc.start]:02x} at offset {exc.start}); "
            "re-save the file as UTF-8"
        ) from None
    control = sum(1 for ch in text[:8192] if ord(ch) < 32 and ch not in "\n\r\t\f")
    if control > 8:
        raise UnreadableDocument(f"{path.name}: binary content, not text ({control} control characters)")
    return text.replace("\r\n", "\n").replace("\r", "\n")
