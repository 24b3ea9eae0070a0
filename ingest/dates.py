"""Dates as documents and manifests write them, read into ISO form at the precision they give:
``2024-10-31``, ``2017-09`` ("2017 Sep"), ``2014`` ("2014"). A day or month the source does not
state is never made up; text that is not a date is ``None`` (the caller reports it)."""

from __future__ import annotations

import datetime as dt
import re

MONTHS = {name: n for n, names in enumerate(
    [("january", "jan"), ("february", "feb"), ("march", "mar"), ("april", "apr"), ("may",), ("june", "jun"),
     ("july", "jul"), ("august", "aug"), ("september", "sep", "sept"), ("october", "oct"),
     ("november", "nov"), ("december", "dec")], start=1) for name in names}
_MONTH = r"(?:" + "|".join(sorted(MONTHS, key=len, reverse=True)) + r")\.?"

# Each form a date takes, as a pattern with named parts; tried in order, the whole text must match.
_FORMS = [re.compile(p, re.I) for p in (
    r"(?P<y>\d{4})-(?P<m>\d{1,2})(?:-(?P<d>\d{1,2}))?",            # 2024-10-31, 2024-10
    r"(?P<y>\d{4})/(?P<m>\d{1,2})/(?P<d>\d{1,2})",                 # 2024/10/31
    r"(?P<m>\d{1,2})/(?P<d>\d{1,2})/(?P<y>\d{4})",                 # 10/31/2024 (US order)
    r"(?P<m>\d{1,2})/(?P<y>\d{4})",                                # 10/2024
    rf"(?P<mn>{_MONTH})\s+(?P<d>\d{{1,2}})(?:st|nd|rd|th)?,?\s+(?P<y>\d{{4}})",  # October 31, 2024
    rf"(?P<d>\d{{1,2}})\s+(?P<mn>{_MONTH}),?\s+(?P<y>\d{{4}})",     # 31 October 2024
    rf"(?P<mn>{_MONTH}),?\s+(?P<y>\d{{4}})",                        # October 2024
    rf"(?P<y>\d{{4}})\s+(?P<mn>{_MONTH})(?:\s+(?P<d>\d{{1,2}}))?",  # 2014 Dec 16, 2017 Sep (NGC)
    r"(?P<y>\d{4})",                                               # 2014
)]
FIRST_YEAR, LAST_YEAR = 1900, 2100

# A date inside running text (a first page's "Revision: C-24, October 31, 2024"): the same forms,
# unanchored, longest first, so "October 31, 2024" is not read as "2024".
DATE_IN_TEXT = re.compile(
    r"\b(?:\d{4}-\d{1,2}-\d{1,2}|\d{4}/\d{1,2}/\d{1,2}|\d{1,2}/\d{1,2}/\d{4}|"
    rf"{_MONTH}\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+\d{{4}}|\d{{1,2}}\s+{_MONTH},?\s+\d{{4}}|{_MONTH},?\s+\d{{4}}|"
    rf"\d{{4}}\s+{_MONTH}(?:\s+\d{{1,2}}\b)?|\d{{4}}-\d{{1,2}}|\d{{1,2}}/\d{{4}}|\d{{4}})\b",
    re.I,
)
_REVISED = re.compile(r"^(?P<first>.*?)\s*\(\s*revised\s+(?P<revised>[^)]*)\)\s*$", re.I)


def parse_date(value) -> str | None:
    """``value`` (text, or a date YAML already parsed) as an ISO date at the precision it states,
    or ``None`` when it is not a date this reads (a two-digit year, an impossible day, words)."""
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if not isinstance(value, (str, int)) or isinstance(value, bool):
        return None
    text = re.sub(r"\s+", " ", str(value)).strip().rstrip(".")
    for form in _FORMS:
        m = form.fullmatch(text)
        if m:
            parts = m.groupdict()
            month = MONTHS[parts["mn"].lower().rstrip(".")] if parts.get("mn") else parts.get("m")
            return _iso(int(parts["y"]), int(month) if month else None, int(parts["d"]) if parts.get("d") else None)
    return None


def _iso(year: int, month: int | None, day: int | None) -> str | None:
    if not FIRST_YEAR <= year <= LAST_YEAR:
        return None
    if month is None:
        return f"{year:04d}"
    if not 1 <= month <= 12:
        return None
    if day is None:
        return f"{year:04d}-{month:02d}"
    try:
        return dt.date(year, month, day).isoformat()
    except ValueError:
        return None


def parse_release(value) -> tuple[str, str | None] | None:
    """A release date with an optional revision, as the NGC manifest writes it:
    ``"1996 (revised 2014 Dec 16)"`` → ``("1996", "2014-12-16")``; ``"2013 Jul 1"`` →
    ``("2013-07-01", None)``; ``None`` when either part is not a date."""
    m = _REVISED.match(str(value).strip()) if isinstance(value, str) else None
    if not m:
        first = parse_date(value)
        return (first, None) if first else None
    first, revised = parse_date(m.group("first")), parse_date(m.group("revised"))
    return (first, revised) if first and revised else None


def find_date(text: str) -> str | None:
    """The first date written in ``text`` (ISO), or ``None``."""
    for m in DATE_IN_TEXT.finditer(text):
        found = parse_date(m.group(0))
        if found:
            return found
    return None
