"""Document metadata as the index stores it: every chunk carries the same normalised fields, each
within a bound (a title, issuer or source longer than any real document's is refused by name,
never stored: it would be repeated in every chunk, citation and document listing)."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

from app.errors import DocumentError
from ingest.dates import parse_date
from ingest.document import LoadedDocument
from ingest.extraction import extract, opening_lines

DOC_TYPES = {"guideline", "policy"}
STATUSES = {"current", "superseded"}

# Characters a field may hold. The longest in the bundled and the real corpus: title 215,
# issuer 74, source 1,146, a topic 57 (15 of them), a code 8 (55 of them).
TEXT_BOUNDS = {"title": 500, "issuer": 300, "source": 4000, "doc_type": 40, "status": 40,
               "effective_date": 40, "last_reviewed": 40, "issue_date": 40, "revision_date": 40,
               "revision": 100, "policy_number": 200, "superseded_by": 1000, "supersedes": 1000}
LIST_BOUNDS = {"topics": (100, 200), "codes": (2000, 40)}  # (items, characters an item)


class MetadataTooLong(DocumentError):
    """A metadata field (title, issuer, source, topics, codes …) over its bound."""

    code = "metadata_too_long"


def _as_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()[:10]
    if isinstance(value, (list, tuple)):
        return "; ".join(_as_text(v) for v in value if v is not None)
    if isinstance(value, dict):
        return "; ".join(f"{k}: {_as_text(v)}" for k, v in value.items())
    return str(value).strip()


def flatten_codes(value) -> list[str]:
    """``codes`` as front matter writes it (a mapping of code systems to lists, or a list) → a flat list."""
    if not value:
        return []
    if isinstance(value, dict):
        items = [c for v in value.values() for c in (v if isinstance(v, (list, tuple)) else [v])]
    elif isinstance(value, (list, tuple)):
        items = list(value)
    else:
        items = str(value).replace(",", " ").split()
    return [str(c).strip().upper() for c in items if str(c).strip()]


_STRONG = (
    ("guideline", re.compile(r"Preventive Services Task Force|\bUSPSTF\b|Guideline Title|recommendation statement|"
                             r"practice guideline|clinical guideline|consensus statement", re.I)),
    ("policy", re.compile(r"policy manual|operations manual|coverage policy|medical policy|medical necessity criteria|"
                          r"coverage determination", re.I)),
)
_WEAK = (
    ("guideline", re.compile(r"\bguidelines?\b|\brecommends?\b|\brecommendations?\b", re.I)),
    ("policy", re.compile(r"\bpolicy\b|medically necessary|\bnot covered\b|\bexclusions?\b|prior authori[sz]ation", re.I)),
)


def infer_doc_type(doc: LoadedDocument) -> str:
    """For a document without ``doc_type`` in its front matter: 'guideline' or 'policy' from the
    words of its title and opening (a USPSTF recommendation statement, a TRICARE policy manual
    section), else 'document'. Naming cues (a task force, a policy manual) decide first."""
    title = _as_text(doc.metadata.get("title"))
    text = title + "\n" + " ".join(b.text for b in doc.blocks[:40])[:4000]
    for cues in (_STRONG, _WEAK):
        counts = {kind: len(pattern.findall(text)) for kind, pattern in cues}
        if counts["guideline"] != counts["policy"]:
            return max(counts, key=counts.get)
    return "document"


def check_bounds(meta: dict, name: str) -> None:
    """Refuse a document whose metadata, as it would be stored, is over a bound."""
    for key, limit in TEXT_BOUNDS.items():
        size = len(_as_text(meta.get(key)))
        if size > limit:
            raise MetadataTooLong(f"{name}: the {key} is {size:,} characters; the limit is {limit:,}")
    for key, (max_items, max_chars) in LIST_BOUNDS.items():
        items = _as_list(key, meta.get(key))
        if len(items) > max_items:
            raise MetadataTooLong(f"{name}: {len(items):,} {key}; the limit is {max_items:,}")
        longest = max(map(len, items), default=0)
        if longest > max_chars:
            raise MetadataTooLong(f"{name}: one of the {key} is {longest:,} characters; the limit is {max_chars:,}")


def _as_list(key: str, value) -> list[str]:
    if key == "codes":
        return flatten_codes(value)
    return [str(t) for t in value or []] if isinstance(value, list) else []


# Where a field's value may come from, strongest first: what the document declares (front matter,
# HTML <meta>), then the folder's sidecar manifest, then what is read off the document (its PDF
# metadata, <title> or first heading, first page, first line), then its file name, then a default.
SOURCES = ("front-matter", "html-meta", "manifest", "pdf-metadata", "html-title", "first-heading", "first-page",
           "first-line", "filename", "inferred", "default")
TRACKED = ("title", "issuer", "doc_type", "effective_date", "issue_date", "revision", "revision_date",
           "last_reviewed", "policy_number", "status", "source", "superseded_by", "supersedes")
DATE_FIELDS = ("effective_date", "issue_date", "revision_date", "last_reviewed")


def normalise(doc: LoadedDocument, document_id: str, row: dict | None = None) -> dict:
    """The metadata the index stores for ``doc`` (see :func:`resolve`)."""
    return resolve(doc, document_id, row)[0]


def resolve(doc: LoadedDocument, document_id: str, row: dict | None = None) -> tuple[dict, list[str]]:
    """The document's metadata with ``metadata_sources`` (field → where its value came from, or
    ``none``), and warnings for what could not be used: each field is taken from the strongest of
    the document's own metadata, its sidecar-manifest ``row``, and its first page."""
    picked: dict[str, tuple[object, str]] = {}
    warnings: list[str] = []

    def offer(key: str, value, source: str) -> None:
        if key in DATE_FIELDS and _as_text(value):
            date = parse_date(value)
            if date is None:
                warnings.append(f"{source}: {key} {_as_text(value)[:60]!r} is not a date; not taken")
                return
            value = date
        if not _as_text(value):
            return
        if key not in picked or SOURCES.index(source) < SOURCES.index(picked[key][1]):
            picked[key] = (value, source)

    for key in TRACKED:
        offer(key, doc.metadata.get(key), doc.sources.get(key, "front-matter"))
    for key, value in (row or {}).items():
        if key in TRACKED:
            offer(key, value, "manifest")
    found, doubts = extract(opening_lines(doc.opening, [b.text for b in doc.blocks]))
    for key, value in found.items():
        offer(key, value, "first-page")
    warnings += [doubt for key, doubt in doubts.items() if key not in picked]
    if "title" not in picked:
        picked["title"] = (Path(document_id).name, "filename")
        warnings.append(f"no title in the document ({_title_places(doc)}); the file name is used")
    if "doc_type" not in picked:
        inferred = infer_doc_type(doc)
        picked["doc_type"] = (inferred, "inferred" if inferred != "document" else "default")
    picked.setdefault("status", ("current", "default"))

    value = lambda key: _as_text(picked[key][0]) if key in picked else ""
    doc_type, status = value("doc_type").lower(), value("status").lower()
    m = doc.metadata
    meta = {
        "document_id": document_id,
        "title": value("title"),
        "issuer": value("issuer"),
        "doc_type": doc_type if doc_type in DOC_TYPES else (doc_type or "document"),
        "effective_date": value("effective_date"),
        "last_reviewed": value("last_reviewed"),
        "status": status if status in STATUSES else "current",
        "source": value("source"),
        "topics": _as_list("topics", m.get("topics")),
        "codes": flatten_codes(m.get("codes")),
        "issue_date": value("issue_date"),
        "revision": value("revision"),
        "revision_date": value("revision_date"),
        "policy_number": value("policy_number"),
        # versions: the document id of the successor, or of the versions this one replaced ("a; b")
        "superseded_by": value("superseded_by"),
        "supersedes": value("supersedes"),
    }
    meta["metadata_sources"] = {key: picked[key][1] if key in picked else "none" for key in TRACKED}
    return meta, warnings


def _title_places(doc: LoadedDocument) -> str:
    suffix = doc.path.suffix.lower()
    if suffix == ".pdf":
        return "none in its PDF metadata, none on its first page"
    if suffix in (".html", ".htm"):
        return "no <title>, no <h1>"
    if suffix in (".md", ".markdown"):
        return "no title in front matter, no # heading"
    return "no first line short enough to be one"
