"""Loaders: a file in, a document out — its metadata and its text as blocks, each block knowing
its heading path and (for PDFs) its page.

One loader per format (PDF, Markdown, HTML, plain text); :func:`load_document` picks by
extension and turns every way a file can be unreadable into a named ``DocumentError``.
"""

from __future__ import annotations

import hashlib
import logging
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import yaml

from app.errors import DocumentError, EmptyDocument, EncryptedPDF, FileTooLarge, UnreadableDocument, UnsupportedFileType
from ingest import structure

logging.getLogger("pypdf").setLevel(logging.ERROR)  # damaged files are reported by us, once


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


# ---------------------------------------------------------------- helpers


def _decode_text(data: bytes, path: Path) -> str:
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


_MD_LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
_MD_EMPH = re.compile(r"(\*\*|__|(?<![\w*])\*(?!\s)|`)")


def _clean_inline(text: str) -> str:
    text = _MD_LINK.sub(r"\1", text)
    text = _MD_EMPH.sub("", text)
    text = text.replace("&nbsp;", " ")
    return re.sub(r"[ \t]+", " ", text).strip()


# ---------------------------------------------------------------- Markdown

_FRONT = re.compile(r"\A---\s*\n(.*?)\n---\s*(?:\n|\Z)", re.S)
_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
_LIST = re.compile(r"^(\s*)([-*+]|\d+[.)])\s+(.*)$")


def parse_front_matter(text: str, name: str) -> tuple[dict, str]:
    match = _FRONT.match(text)
    if not match:
        return {}, text
    try:
        meta = yaml.safe_load(match.group(1)) or {}
    except yaml.YAMLError as exc:
        raise UnreadableDocument(f"{name}: front matter is not valid YAML ({exc.__class__.__name__})") from None
    if not isinstance(meta, dict):
        raise UnreadableDocument(f"{name}: front matter must be a mapping of fields")
    return meta, text[match.end():]


def _is_sentence(heading: str) -> bool:
    """A heading that is really a statement: several words ending a sentence (or leading into a
    list), or too long for a title. Some exporters (the NGC summaries) set each evidence
    statement as a level-5 heading; read as a heading it would be lost from the passage text."""
    words = heading.split()
    return len(words) > 24 or (len(words) >= 8 and heading.rstrip().endswith((".", ":", ";")))


def load_markdown(path: Path, data: bytes) -> LoadedDocument:
    text = _decode_text(data, path)
    meta, body = parse_front_matter(text, path.name)
    doc = LoadedDocument(path, "", metadata=dict(meta))
    headings: list[tuple[int, str]] = []
    para: list[str] = []
    in_fence = False

    def section() -> tuple[str, ...]:
        return tuple(h for _, h in headings)

    def flush() -> None:
        joined = " ".join(p.strip() for p in para if p.strip())
        para.clear()
        cleaned = _clean_inline(joined.lstrip("> ").replace(" > ", " "))
        if cleaned:
            doc.blocks.append(Block(cleaned, section()))

    for line in body.split("\n"):
        if line.strip().startswith("```"):
            in_fence = not in_fence
            flush()
            continue
        if in_fence:
            para.append(line)
            continue
        heading = _HEADING.match(line)
        if heading:
            flush()
            level, title = len(heading.group(1)), _clean_inline(heading.group(2))
            while headings and headings[-1][0] >= level:
                headings.pop()
            if _is_sentence(title):  # a statement set as a heading ("##### ISB is not recommended.") is text
                doc.blocks.append(Block(title, section()))
            elif title:
                headings.append((level, title))
                if "title" not in doc.metadata and level == 1:
                    doc.metadata["title"] = title
            continue
        if not line.strip():
            flush()
            continue
        item = _LIST.match(line)
        if item or line.lstrip().startswith("|"):
            flush()
            if item:  # list items keep a "- " marker, indented by depth, so all-of/any-of nesting survives
                cleaned = _clean_inline(item.group(3))
                if cleaned:
                    doc.blocks.append(Block("  " * (len(item.group(1).expandtabs(4)) // 2) + "- " + cleaned, section()))
                continue
            row = " | ".join(c.strip() for c in line.strip().strip("|").split("|"))
            if set(row.replace("|", "").strip()) <= set("-: "):
                continue  # a table's separator row
            para.append(row)
            flush()
            continue
        para.append(line)
    flush()
    return doc


# ---------------------------------------------------------------- HTML

_HTML_HEADINGS = {f"h{i}": i for i in range(1, 7)}
_HTML_BLOCKS = {
    "p", "div", "li", "ul", "ol", "table", "tr", "td", "th", "dl", "dt", "dd", "pre", "blockquote",
    "section", "article", "main", "header", "footer", "aside", "caption", "figcaption", "form", "body",
}
_HTML_DROP = ["script", "style", "noscript", "template", "svg", "nav", "iframe", "object", "head"]


def load_html(path: Path, data: bytes) -> LoadedDocument:
    from bs4 import BeautifulSoup, NavigableString, Tag

    text = _decode_text(data, path)
    soup = BeautifulSoup(text, "lxml")
    title_tag = soup.find("title")
    meta: dict = {}
    if title_tag and title_tag.get_text(strip=True):
        meta["title"] = title_tag.get_text(" ", strip=True)
    for m in soup.find_all("meta"):
        name, content = (m.get("name") or "").lower(), m.get("content")
        if name in ("issuer", "doc_type", "effective_date", "status", "source", "author") and content:
            meta["issuer" if name == "author" else name] = content
    for tag in soup(_HTML_DROP):
        tag.decompose()
    doc = LoadedDocument(path, "", metadata=meta)
    headings: list[tuple[int, str]] = []
    buf: list[str] = []

    def flush() -> None:
        raw = "".join(buf)
        buf.clear()
        for piece in re.split(r"\n\s*\n", raw):
            cleaned = re.sub(r"\s+", " ", piece).strip()
            if cleaned:
                doc.blocks.append(Block(cleaned, tuple(h for _, h in headings)))

    def walk(node) -> None:
        for child in node.children:
            if isinstance(child, NavigableString):
                if child.__class__.__name__ in ("Comment", "Doctype", "Declaration", "ProcessingInstruction"):
                    continue
                buf.append(str(child))
            elif isinstance(child, Tag):
                name = child.name.lower()
                if name in _HTML_HEADINGS:
                    flush()
                    level, title = _HTML_HEADINGS[name], child.get_text(" ", strip=True)
                    while headings and headings[-1][0] >= level:
                        headings.pop()
                    if title:
                        headings.append((level, re.sub(r"\s+", " ", title)))
                        doc.metadata.setdefault("title", headings[-1][1]) if level == 1 else None
                elif name == "br":
                    buf.append("\n\n")
                elif name in _HTML_BLOCKS:
                    flush()
                    walk(child)
                    flush()
                else:
                    walk(child)

    walk(soup.body or soup)
    flush()
    return doc


# ---------------------------------------------------------------- PDF


def load_pdf(path: Path, data: bytes) -> LoadedDocument:
    from io import BytesIO

    from pypdf import PdfReader
    from pypdf.errors import DependencyError, FileNotDecryptedError, PdfReadError

    try:
        reader = PdfReader(BytesIO(data))
        if reader.is_encrypted:
            try:
                ok = reader.decrypt("")
            except (NotImplementedError, DependencyError) as exc:
                raise EncryptedPDF(f"{path.name}: encrypted with an unsupported method ({exc})") from None
            if not ok:
                raise EncryptedPDF(f"{path.name}: encrypted and needs a password to open")
        raw_pages = [page.extract_text() or "" for page in reader.pages]
        info = reader.metadata
    except DocumentError:
        raise
    except FileNotDecryptedError:
        raise EncryptedPDF(f"{path.name}: encrypted and needs a password to open") from None
    except (PdfReadError, ValueError, KeyError, TypeError, AttributeError, IndexError, OSError) as exc:
        raise UnreadableDocument(f"{path.name}: not a readable PDF ({exc.__class__.__name__}: {exc})") from None
    except Exception as exc:  # pypdf raises a wide variety on damaged files
        raise UnreadableDocument(f"{path.name}: not a readable PDF ({exc.__class__.__name__}: {exc})") from None
    if not raw_pages:
        raise EmptyDocument(f"{path.name}: the PDF has no pages")
    if not any(p.strip() for p in raw_pages):
        raise UnreadableDocument(
            f"{path.name}: no extractable text in {len(raw_pages)} page(s) (scanned or image-only PDF; run OCR first)"
        )
    meta: dict = {}
    if info is not None and info.title and str(info.title).strip():
        meta["title"] = str(info.title).strip()
    doc = LoadedDocument(path, "", metadata=meta, pages=len(raw_pages))
    pages = structure.strip_running_lines([p.split("\n") for p in raw_pages])
    structure.text_lines_to_blocks(pages, doc.blocks, Block)
    if "title" not in doc.metadata:
        doc.metadata["title"] = structure.guess_title(pages) or path.stem
    return doc


# ---------------------------------------------------------------- plain text


def load_text(path: Path, data: bytes) -> LoadedDocument:
    text = _decode_text(data, path)
    doc = LoadedDocument(path, "")
    structure.text_lines_to_blocks([text.split("\n")], doc.blocks, Block, paged=False)
    first = next((line.strip() for line in text.split("\n") if line.strip()), "")
    doc.metadata["title"] = first[:120] if 0 < len(first) <= 120 else path.stem
    return doc


LOADERS: dict[str, Callable[[Path, bytes], LoadedDocument]] = {
    ".pdf": load_pdf,
    ".md": load_markdown,
    ".markdown": load_markdown,
    ".html": load_html,
    ".htm": load_html,
    ".txt": load_text,
}


def load_document(path: Path, *, max_bytes: int, data: bytes | None = None) -> LoadedDocument:
    """Read and parse one file; every failure is a ``DocumentError`` naming the file and the reason."""
    loader = LOADERS.get(path.suffix.lower())
    if loader is None:
        raise UnsupportedFileType(f"{path.name}: unsupported file type {path.suffix or '(none)'!r}")
    if data is None:
        size = path.stat().st_size
        if size > max_bytes:
            raise FileTooLarge(f"{path.name}: {size / 1e6:.1f} MB is over the {max_bytes / 1e6:.1f} MB limit")
        data = path.read_bytes()
    elif len(data) > max_bytes:
        raise FileTooLarge(f"{path.name}: {len(data) / 1e6:.1f} MB is over the {max_bytes / 1e6:.1f} MB limit")
    if not data.strip():
        raise EmptyDocument(f"{path.name}: the file is empty")
    if loader is not load_pdf and data[:5] == b"%PDF-":
        raise UnreadableDocument(f"{path.name}: a PDF named {path.suffix}")
    doc = loader(path, data)
    doc.sha256 = hashlib.sha256(data).hexdigest()
    if not any(b.text.strip() for b in doc.blocks):
        raise EmptyDocument(f"{path.name}: no text found")
    return doc
