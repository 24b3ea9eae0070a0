"""Structure in unmarked text (PDF pages, plain text): running headers and footers, page-number
lines, hyphenated line breaks, and the numbered headings coverage policies use
(``2.0 POLICY``, ``3.0 EXCLUSIONS``, ``I. Medical Necessity``, "Experimental and investigational")."""

from __future__ import annotations

import re
from collections import Counter
from string import ascii_letters as _ASCII_LETTERS

_PAGE_NUMBER = re.compile(
    r"^\s*(?:-\s*)?(?:page\s*)?\d{1,4}(?:\s*(?:of|/)\s*\d{1,4})?(?:\s*-)?\s*$", re.I
)
_NUMBERED_HEADING = re.compile(r"^(\d{1,2}(?:\.\d{1,2})*)\.?\s+([A-Z][A-Z0-9 ,&/()'’\-]{2,80})$")
_ROMAN_HEADING = re.compile(r"^([IVX]{1,5})\.\s+([A-Z][^.]{2,70})$")
_NAMED_HEADING = re.compile(
    r"^(policy|description|background|coverage (?:criteria|policy|indications)|medical necessity(?: criteria)?|"
    r"indications(?: and limitations of coverage)?|limitations(?: and exclusions)?|exclusions?|"
    r"experimental(?:,| and| or|/)? investigational(?:,? (?:and|or) unproven)?|not medically necessary|"
    r"continuation(?: of therapy| criteria)?|codes|coding|references|definitions|summary|rationale|"
    r"policy history|revision history|effective dates?)\s*:?$",
    re.I,
)
_NEW_BLOCK = re.compile(r"^\s*(?:\d{1,2}(?:\.\d{1,2})+\.?\s|[•●▪◦■\-*]\s|\(?[a-z0-9]{1,3}\)\s|[A-Z]\.\s|Note:)")


def _shape(line: str) -> str:
    return re.sub(r"\d+", "#", line.strip().lower())


def strip_running_lines(pages: list[list[str]], window: int = 4) -> list[list[str]]:
    """Drop page-number lines, and lines near the top or bottom of a page that recur (digits
    ignored) on at least half the pages — running headers, footers, print stamps."""
    if len(pages) >= 2:
        counts: Counter[str] = Counter()
        for lines in pages:
            content = [line for line in lines if line.strip()]
            edge = content[:window] + content[-window:]
            counts.update({_shape(line) for line in edge})
        threshold = max(2, (len(pages) + 1) // 2)
        running = {shape for shape, n in counts.items() if n >= threshold and shape}
    else:
        running = set()
    cleaned = []
    for lines in pages:
        content = [line for line in lines if line.strip()]
        edge_ids = {id(line) for line in content[:window] + content[-window:]}
        kept = [
            line
            for line in lines
            if not _PAGE_NUMBER.match(line) and not (id(line) in edge_ids and _shape(line) in running)
        ]
        cleaned.append(kept)
    return cleaned


def heading_of(line: str) -> tuple[int, str] | None:
    """(level, title) when a line of unmarked text is a policy-style heading."""
    text = line.strip()
    if not text or len(text) > 90:
        return None
    m = _NUMBERED_HEADING.match(text)
    if m and any(ch.isalpha() for ch in m.group(2)):
        parts = [p for p in m.group(1).split(".") if p]
        level = 1 if len(parts) <= 1 or all(p == "0" for p in parts[1:]) else len(parts)
        return level, f"{m.group(1)} {m.group(2).strip()}"
    m = _ROMAN_HEADING.match(text)
    if m:
        return 1, text
    if _NAMED_HEADING.match(text):
        return 1, text.rstrip(":")
    return None


def join_lines(lines: list[str]) -> str:
    """Join wrapped lines; a word hyphenated across a line break is joined back. Built as a list
    of pieces, looking only at the last two characters written, so a long block stays linear
    (appending to one growing string, and searching it for its ending, was quadratic)."""
    pieces: list[str] = []
    tail = ""  # the last two characters written
    for line in lines:
        line = line.strip()
        if not line:
            continue
        if not pieces:
            pieces.append(line)
            tail = line[-2:]
        elif len(tail) == 2 and tail[1] == "-" and tail[0] in _ASCII_LETTERS and line[:1].islower():
            pieces[-1] = pieces[-1][:-1]  # "treat-" + "ment": the hyphen goes
            pieces.append(line)
            tail = (tail[0] + line)[-2:]
        elif tail.endswith("-") and tail[-2:-1].isalpha():
            pieces.append(line)  # "non-" + "FDA": keep the hyphen, drop the break
            tail = (tail + line)[-2:]
        else:
            pieces.append(" ")
            pieces.append(line)
            tail = (" " + line)[-2:]
    return re.sub(r"\s+", " ", "".join(pieces)).strip()


def text_lines_to_blocks(pages: list[list[str]], blocks: list, block_cls, *, paged: bool = True) -> None:
    """Turn lines into blocks: a block ends at a blank line, a heading, a numbered or bulleted
    item, or (PDF) the end of a page; headings set the section path."""
    headings: list[tuple[int, str]] = []
    for page_no, lines in enumerate(pages, start=1):
        current: list[str] = []

        def flush() -> None:
            text = join_lines(current)
            current.clear()
            if text:
                blocks.append(block_cls(text, tuple(h for _, h in headings), page_no if paged else None))

        for line in lines:
            if not line.strip():
                flush()
                continue
            heading = heading_of(line)
            if heading:
                flush()
                level, title = heading
                while headings and headings[-1][0] >= level:
                    headings.pop()
                headings.append((level, title))
                continue
            if _NEW_BLOCK.match(line):
                flush()
            current.append(line)
        flush()


def guess_title(pages: list[list[str]]) -> str | None:
    for lines in pages[:1]:
        for line in lines[:12]:
            text = line.strip()
            if 8 <= len(text) <= 120 and not heading_of(text) and not re.match(r"^[\d\W]+$", text):
                return text
    return None
