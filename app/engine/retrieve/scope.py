"""Which documents may decide a question: the versions in force on the date of service, and the
policies of the plan the question names.

Versions. A document says when it took effect (``effective_date``) and, once replaced, its
``status`` is ``superseded`` and ``superseded_by`` names its successor. On a date of service
(``as_of``), a document is in force when it had taken effect by then and its successor had not;
a document with no effective date is never excluded by date. Without a date of service the
current versions decide (a superseded one may still be quoted, as history).

Issuers. When the plan named is the issuer of some policy in the index, only that issuer's
policies — and every document that is not a policy (guidelines inform any plan's decision) —
may decide."""

from __future__ import annotations

import datetime as dt
import re

_ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


def parse_day(value) -> dt.date | None:
    """A date of service as given (a date, or ISO text 'YYYY-MM-DD'); None when empty."""
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if not isinstance(value, str) or not _ISO_DAY.fullmatch(value.strip()):
        raise ValueError(f"not a date written YYYY-MM-DD: {str(value)[:40]!r}")
    return dt.date.fromisoformat(value.strip())


def _day(meta: dict, key: str = "effective_date") -> dt.date | None:
    try:
        return parse_day(meta.get(key) or None)
    except ValueError:
        return None


def successors(documents: dict[str, dict]) -> dict[str, str]:
    """Document id → the id of the document in the index that replaced it (its own
    ``superseded_by``, or another's ``supersedes``, which may name several: "a; b")."""
    out: dict[str, str] = {}
    for doc_id, meta in documents.items():
        for old in str(meta.get("supersedes") or "").split(";"):
            if old.strip() in documents:
                out.setdefault(old.strip(), doc_id)
    for doc_id, meta in documents.items():
        if (meta.get("superseded_by") or "") in documents:
            out[doc_id] = meta["superseded_by"]
    return out


def successor(documents: dict[str, dict], document_id: str) -> str | None:
    """The document that replaced ``document_id``, when the index holds it."""
    return successors(documents).get(document_id)


def in_force(documents: dict[str, dict], document_id: str, as_of: dt.date, after: dict[str, str] | None = None) -> bool:
    """Whether ``document_id`` had taken effect by ``as_of`` and its successor had not (``after``:
    :func:`successors`, computed once by a caller checking many documents)."""
    meta = documents.get(document_id) or {}
    took_effect = _day(meta)
    if took_effect is not None and took_effect > as_of:
        return False
    later = (successors(documents) if after is None else after).get(document_id)
    if later is not None:
        replaced_on = _day(documents[later])
        if replaced_on is not None and replaced_on <= as_of:
            return False
    return True


def eligible(documents: dict[str, dict], *, issuer: str | None = None, as_of: dt.date | None = None) -> set[str] | None:
    """The ids of the documents that may decide, or None when every document may."""
    if issuer is None and as_of is None:
        return None
    after = successors(documents) if as_of is not None else {}
    keep = set()
    for doc_id, meta in documents.items():
        if as_of is not None and not in_force(documents, doc_id, as_of, after):
            continue
        if issuer is not None and meta.get("doc_type") == "policy" and (meta.get("issuer") or "") != issuer:
            continue
        keep.add(doc_id)
    return keep


def restrict(filters: dict | None, allowed: set[str] | None) -> dict | None:
    """``filters`` narrowed to the ``allowed`` documents (a caller's own document list is kept,
    intersected)."""
    if allowed is None:
        return filters
    out = dict(filters or {})
    asked = out.get("document_ids")
    if asked:
        asked = [asked] if isinstance(asked, str) else list(asked)
        out["document_ids"] = [d for d in asked if d in allowed] or ["\u0000none"]
    else:
        out["document_ids"] = sorted(allowed) or ["\u0000none"]
    return out


def version_note(documents: dict[str, dict], document_id: str, as_of: dt.date | None) -> str | None:
    """What the answer says about the version that decided it."""
    meta = documents.get(document_id) or {}
    title = meta.get("title") or document_id
    effective = meta.get("effective_date") or ""
    since = f" (effective {effective})" if effective else ""
    after = successor(documents, document_id)
    replaced = ""
    if after is not None:
        later = documents[after]
        when = f" on {later['effective_date']}" if later.get("effective_date") else ""
        replaced = f"; it was superseded{when} by {later.get('title') or after}"
    if as_of is not None:
        return f"Decided under {title}{since}, the version in force on {as_of.isoformat()}{replaced}."
    if meta.get("status") == "superseded":
        return f"Decided under {title}{since}, a superseded version{replaced}."
    return None
