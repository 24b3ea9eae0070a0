"""Loaders: a file in, a document out — its metadata and its text as blocks, each block knowing
its heading path and (for PDFs) its page.

One loader per format (PDF, Markdown in ``ingest/markdown.py``, HTML, plain text);
:func:`load_document` picks by extension, turns every way a file can be unreadable into a named
``DocumentError``, and refuses metadata over its bounds (``ingest/metadata.py``).
"""

from __future__ import annotations

import hashlib
import logging
import re
from pathlib import Path
from typing import Callable

from app.errors import DocumentError, EmptyDocument, EncryptedPDF, FileTooLarge, UnreadableDocument, UnsupportedFileType
from ingest import structure
from ingest.document import MAX_HEADING_CHARS, Block, LoadedDocument, decode_text
from ingest.markdown import load_markdown
from ingest.metadata import check_bounds

__all__ = ["Block", "LoadedDocument", "LOADERS", "load_document"]

logging.getLogger("pypdf").setLevel(logging.ERROR)  # damaged files are reported by us, once


# ---------------------------------------------------------------- HTML

_HTML_HEADINGS = {f"h{i}": i for i in range(1, 7)}
_HTML_BLOCKS = {
    "p", "div", "li", "ul", "ol", "table", "tr", "td", "th", "dl", "dt", "dd", "pre", "blockquote",
    "section", "article", "main", "header", "footer", "aside", "caption", "figcaption", "form", "body",
}
# <meta name=…> → metadata field (``author`` names the issuer)
_HTML_META = {name: name for name in ("issuer", "doc_type", "effective_date", "status", "source", "policy_number",
                                      "revision", "revision_date", "issue_date", "last_reviewed",
                                      "superseded_by", "supersedes")} | {"author": "issuer"}
_HTML_DROP = ["script", "style", "noscript", "template", "svg", "nav", "iframe", "object", "head"]


def load_html(path: Path, data: bytes) -> LoadedDocument:
    from bs4 import BeautifulSoup, NavigableString, Tag

    text = decode_text(data, path)
    soup = BeautifulSoup(text, "lxml")
    title_tag = soup.find("title")
    meta: dict = {}
    sources: dict[str, str] = {}
    if title_tag and title_tag.get_text(strip=True):
        meta["title"], sources["title"] = title_tag.get_text(" ", strip=True), "html-title"
    for m in soup.find_all("meta"):
        name, content = (m.get("name") or "").lower(), m.get("content")
        if name in _HTML_META and content:
            meta[_HTML_META[name]] = content
            sources[_HTML_META[name]] = "html-meta"
    for tag in soup(_HTML_DROP):
        tag.decompose()
    doc = LoadedDocument(path, "", metadata=meta, sources=sources)
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
                    title = re.sub(r"\s+", " ", title)
                    if len(title) > MAX_HEADING_CHARS:  # too long for a section name: it is text
                        doc.blocks.append(Block(title, tuple(h for _, h in headings)))
                    elif title:
                        headings.append((level, title))
                        if level == 1 and "title" not in doc.metadata:
                            doc.metadata["title"], doc.sources["title"] = title, "first-heading"
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
    doc = LoadedDocument(path, "", pages=len(raw_pages), opening=raw_pages[0].split("\n"))
    title = pdf_title(info)
    if title:
        doc.metadata["title"], doc.sources["title"] = title, "pdf-metadata"
    pages = structure.strip_running_lines([p.split("\n") for p in raw_pages])
    structure.text_lines_to_blocks(pages, doc.blocks, Block)
    if "title" not in doc.metadata:
        guessed = structure.guess_title(pages)
        if guessed:  # else the file name, by ingest/metadata.py, which reports it
            doc.metadata["title"], doc.sources["title"] = guessed, "first-page"
    return doc


# Titles a PDF's metadata holds that name the program or file that made it, not the document.
_NOT_A_TITLE = re.compile(r"^(?:untitled|document\d*|microsoft (?:word|powerpoint|excel) - .*|.*\.(?:docx?|pdf|rtf|odt))$", re.I)


def pdf_title(info) -> str | None:
    """The title in a PDF's document information, unless it is a placeholder ("Untitled",
    "Microsoft Word - policy.docx")."""
    title = str(info.title).strip() if info is not None and info.title else ""
    return title if title and not _NOT_A_TITLE.match(title) else None


# ---------------------------------------------------------------- plain text


def load_text(path: Path, data: bytes) -> LoadedDocument:
    text = decode_text(data, path)
    doc = LoadedDocument(path, "")
    structure.text_lines_to_blocks([text.split("\n")], doc.blocks, Block, paged=False)
    first = next((line.strip() for line in text.split("\n") if line.strip()), "")
    if 0 < len(first) <= 120:  # else the file name, by ingest/metadata.py
        doc.metadata["title"], doc.sources["title"] = first, "first-line"
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
    try:
        doc = loader(path, data)
    except RecursionError:  # markup nested a thousand deep: no document is, an attack may be
        raise UnreadableDocument(f"{path.name}: nested too deeply to read") from None
    check_bounds(doc.metadata, path.name)
    doc.sha256 = hashlib.sha256(data).hexdigest()
    if not any(b.text.strip() for b in doc.blocks):
        raise EmptyDocument(f"{path.name}: no text found")
    return doc
