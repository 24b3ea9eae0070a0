"""Document metadata as the index stores it: every chunk carries the same normalised fields."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from ingest.loaders import LoadedDocument

DOC_TYPES = {"guideline", "policy"}
STATUSES = {"current", "superseded"}


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


def normalise(doc: LoadedDocument, document_id: str) -> dict:
    m = doc.metadata
    doc_type = _as_text(m.get("doc_type")).lower()
    status = _as_text(m.get("status")).lower() or "current"
    return {
        "document_id": document_id,
        "title": _as_text(m.get("title")) or Path(document_id).name,
        "issuer": _as_text(m.get("issuer")),
        "doc_type": doc_type if doc_type in DOC_TYPES else (doc_type or "document"),
        "effective_date": _as_text(m.get("effective_date")),
        "last_reviewed": _as_text(m.get("last_reviewed")),
        "status": status if status in STATUSES else "current",
        "source": _as_text(m.get("source")),
        "topics": [str(t) for t in m.get("topics") or []] if isinstance(m.get("topics"), list) else [],
        "codes": flatten_codes(m.get("codes")),
    }
