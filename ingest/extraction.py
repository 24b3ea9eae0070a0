"""What a document says about itself on its first page (a PDF's first page; for Markdown, HTML and
text, its opening blocks): the issuer or payer, the policy or manual number, and the effective,
issue, revision and review dates, each only where the page states it.

Dates are taken from labelled lines ("Effective Date: 01/01/2025", "Revision: C-24, October 31,
2024"), never from dates in running text (a literature search "conducted in April 2019" is not
the date of a recommendation). A label followed by something that is not a date is reported."""

from __future__ import annotations

import re

from ingest.dates import find_date

OPENING_LINES = 40  # lines of a PDF's first page read
OPENING_BLOCKS = 12  # blocks of another format's opening read
OPENING_CHARS = 4000

# Issuers recognised by name on the first page, each with the name recorded. The earliest mention
# wins: a payer's policy names itself in its header before it cites anyone else.
KNOWN_ISSUERS: tuple[tuple[str, re.Pattern], ...] = tuple((name, re.compile(pattern)) for name, pattern in (
    ("USPSTF", r"U\.\s?S\.\s+Preventive Services Task Force|\bUSPSTF\b"),
    ("TRICARE", r"\bTRICARE\b"),
    ("CMS", r"Centers for Medicare (?:&|and) Medicaid Services"),
    ("Aetna", r"\bAetna\b"),
    ("Cigna", r"\bCigna\b"),
    ("UnitedHealthcare", r"\bUnited ?Healthcare\b|\bUHC\b"),
    ("Humana", r"\bHumana\b"),
    ("Anthem", r"\bAnthem\b"),
    ("Blue Cross Blue Shield", r"\bBlue Cross (?:and )?Blue Shield\b|\bBCBS\b"),
    ("Kaiser Permanente", r"\bKaiser Permanente\b"),
    ("Molina Healthcare", r"\bMolina Healthcare\b"),
    ("Highmark", r"\bHighmark\b"),
    ("Centene", r"\bCentene\b"),
))

# field ← labels. A label counts when a colon follows it or it begins its line (a table's
# "Effective Date 01/01/2025"); only the first form is reported when no date follows.
_LABELS: tuple[tuple[str, re.Pattern], ...] = tuple(
    (name, re.compile(rf"(?:^|(?<=\s))(?P<label>{labels})\s*(?P<colon>[:#])?\s*", re.I)) for name, labels in (
        ("issue_date", r"original effective date|issue date|date issued|date of issue|publication date|date published"),
        ("effective_date", r"(?<!original )effective date|effective(?= *:)|date effective"),
        ("revision_date", r"revision date|revised date|date revised|last revised|last revision date|revised(?= *:)"),
        ("revision", r"revision(?! date)|version"),
        ("last_reviewed", r"(?<!next )(?:last )?review(?:ed)? date|last reviewed|date reviewed"),
    ))
_LABELLED_ISSUER = re.compile(r"^\s*(?:issuer|payer|health plan|published by|issued by)\s*:\s*(?P<v>[^|]{2,100}?)\s*$", re.I)
_POLICY_NUMBER = re.compile(
    r"\b(?:(?:medical |coverage |clinical |reimbursement )?policy (?:number|no\.?|#|id)|"
    r"document (?:number|no\.?)|policy bulletin (?:number|no\.?))\s*[:#]?\s*"
    r"(?P<v>(?=[A-Z.\-_/]*\d)[A-Z0-9][A-Z0-9.\-_/]{1,30})", re.I)
_MANUAL = re.compile(r"\bManual\s+(?P<v>\d[\w.]*-?[A-Z]?)\b")
_CHAPTER = re.compile(r"^\s*Chapter\s+(?P<v>[\w.]{1,10})\s*$", re.I)
_SECTION = re.compile(r"^\s*Section\s+(?P<v>[\w.]{1,10})\s*$", re.I)
_REVISION_ID = re.compile(r"^\s*(?P<v>[A-Z]{0,3}-?\d[\w.\-]{0,12})\s*[,;]?\s*", re.I)


def opening_lines(lines: list[str] | None, blocks: list[str]) -> list[str]:
    """The text metadata is read from: a PDF's first-page lines, or the first blocks of another format."""
    source = lines[:OPENING_LINES] if lines else blocks[:OPENING_BLOCKS]
    out, used = [], 0
    for line in source:
        if used >= OPENING_CHARS:
            break
        out.append(line[:OPENING_CHARS - used])
        used += len(out[-1])
    return out


def extract(lines: list[str]) -> tuple[dict[str, str], dict[str, str]]:
    """Fields the opening states, and warnings by field (a labelled date that is not a date)."""
    found: dict[str, str] = {}
    warnings: dict[str, str] = {}
    issuer = _issuer(lines)
    if issuer:
        found["issuer"] = issuer
    number = _policy_number(lines)
    if number:
        found["policy_number"] = number
    for line in lines:
        for name, label in _LABELS:
            for m in label.finditer(line):
                if not (m.group("colon") or not line[:m.start("label")].strip()):
                    continue  # a word in running text, not a label
                rest = line[m.end():m.end() + 80]
                if name == "revision":
                    _revision(rest, found)
                    continue
                date = find_date(rest[:40])
                if date:
                    found.setdefault(name, date)
                elif m.group("colon") and name not in found and name not in warnings:
                    warnings[name] = f"first page: {m.group('label')} {_show(rest)} is not a date; not taken"
    for name in found:
        warnings.pop(name, None)
    if "effective_date" not in found:  # this version took effect when it was revised, else issued
        effective = found.get("revision_date") or found.get("issue_date")
        if effective:
            found["effective_date"] = effective
    return found, warnings


def _issuer(lines: list[str]) -> str | None:
    for line in lines:
        m = _LABELLED_ISSUER.match(line)
        if m:
            return m.group("v").strip()
    text = "\n".join(lines)
    hits = [(m.start(), name) for name, pattern in KNOWN_ISSUERS if (m := pattern.search(text))]
    return min(hits)[1] if hits else None


def _policy_number(lines: list[str]) -> str | None:
    for line in lines:
        m = _POLICY_NUMBER.search(line)
        if m:
            return m.group("v").rstrip(".")
    for i, line in enumerate(lines[:5]):  # "TRICARE Policy Manual 6010.63-M" … "Chapter 6" "Section 3.1"
        m = _MANUAL.search(line)
        if m:
            parts = [m.group("v")]
            for pattern, word in ((_CHAPTER, "Chapter"), (_SECTION, "Section")):
                hit = next((p.group("v") for later in lines[i + 1:i + 8] if (p := pattern.match(later))), None)
                if hit:
                    parts.append(f"{word} {hit}")
            return ", ".join(parts)
    return None


def _revision(rest: str, found: dict[str, str]) -> None:
    """ "C-24, October 31, 2024" → revision C-24 dated 2024-10-31; "10/31/2024" → the date alone."""
    date = find_date(rest[:40])
    if date:
        found.setdefault("revision_date", date)
    m = _REVISION_ID.match(rest)
    if m and find_date(m.group("v")) is None and "revision" not in found:
        found["revision"] = m.group("v")


def _show(text: str) -> str:
    text = text.strip()
    return repr(text if len(text) <= 40 else text[:37] + "...")
