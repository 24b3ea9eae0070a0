"""Lists in a document's text, however they survived extraction: Markdown's indented '- ' items,
and in text from PDFs and HTML, numbering ('1.', 'a)', '(i)', '3.9.1'), bullets ('•', '–', '*')
and indentation. A section's lines are read back from its chunks (the lines a chunk repeats from
the one before are read once), each with the chunk and offset it came from, and nested into items.

Where no indentation survives, depth comes from the markers themselves: a marker style not yet
open starts a deeper level, a style already open returns to its level (so '1.' → 'a.' → 'i.' →
'b.' nests as it reads). Every step is a single pass over the lines, with no pattern that can
backtrack."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Iterable, Union

from app.chunks import Chunk
from app.engine.text.sentences import SENTENCE_END
from ingest.list_markers import inline_items, marker

_MAX_OVERLAP_LINES = 12  # a chunk repeats at most its overlap's worth of the previous chunk's lines
MAX_DEPTH = 12  # lists nest no deeper: an item below it is read as its parent's sibling
LIST_PHRASES_ANY = ("any of the following", "one or more of", "at least one of", "one of the following",
                    "either of the following", "any one of", "any of these", "any of:", "following indication",
                    "or more of the following", "at least two of", "at least three of")
LIST_PHRASES_ALL = ("all of the following", "each of the following", "all the following", "all of these",
                    "both of the following", "all of:", "following criteria", "following requirements",
                    "following conditions", "must meet", "must be met", "are met:")


@dataclass
class Line:
    """One line of a section: its words without the list marker, where they are in which chunk."""

    text: str
    chunk_id: str
    start: int  # offset of ``text`` in the chunk's text
    indent: int = 0
    style: str | None = None  # the marker's style ('bullet•', 'num.', '(alpha)', 'dotted3' …); None: prose
    alt: str | None = None  # another reading of an ambiguous marker ('i.' is roman or the letter after 'h.')

    @property
    def end(self) -> int:
        return self.start + len(self.text)


@dataclass
class Item:
    line: Line
    children: list["Item"] = field(default_factory=list)
    more: list[Line] = field(default_factory=list)  # lines that continue it (a wrapped PDF line)

    @property
    def text(self) -> str:
        return " ".join([self.line.text, *(m.text for m in self.more)])


Entry = Union[Line, Item]  # a section reads as prose lines and (top-level) list items, in order


def lead_phrase(text: str) -> str | None:
    """'any' or 'all' when the text announces a list by its wording, else None. 'covered for the
    following' lists alternatives (each a covered indication)."""
    low = text.lower()
    if any(p in low for p in LIST_PHRASES_ANY) or " ANY " in text or " ANY:" in text:
        return "any"
    if any(p in low for p in LIST_PHRASES_ALL) or " ALL " in text or " ALL:" in text:
        return "all"
    if "for the following" in low:
        return "any"
    return None


def _ends_as_lead(text: str) -> bool:
    stripped = text.rstrip().lower()
    return stripped.endswith(":") or stripped.endswith("the following")


def is_lead(text: str) -> bool:
    """A line that opens a list: it ends with a colon or with 'the following', or names the list
    ('ALL of the following')."""
    return _ends_as_lead(text) or lead_phrase(text) is not None and "following" in text.lower()


def _split_lead(text: str) -> int | None:
    """Where a trailing lead sentence starts in a line that says something else first (a PDF's
    'GENE: ALK … Coverage Guidelines: … is covered for the following indications:' glued to the
    item before it), else None."""
    last = None
    for m in SENTENCE_END.finditer(text):
        last = m.end()
    if last is not None and _ends_as_lead(text) and lead_phrase(text[last:]) is not None:
        return last
    return None


def read_line(raw: str, chunk_id: str, offset: int) -> list[Line]:
    """The lines one raw line of a chunk holds: itself, split where numbered items start inside
    it and where a trailing lead sentence starts."""
    cuts = [0, *inline_items(raw), len(raw)]
    if len(cuts) == 2:
        return _read_one(raw, chunk_id, offset)
    out: list[Line] = []
    for a, b in zip(cuts, cuts[1:]):
        out.extend(_read_one(raw[a:b].rstrip(), chunk_id, offset + a))
    return out


def _read_one(raw: str, chunk_id: str, offset: int) -> list[Line]:
    indent, style, alt, at = marker(raw)
    words = raw[at:].rstrip()
    if not words.strip():
        return []
    lines = [Line(words, chunk_id, offset + at, indent, style, alt)]
    cut = _split_lead(words)
    if cut is not None:
        head = words[:cut].rstrip()
        lines = [Line(head, chunk_id, offset + at, indent, style, alt), Line(words[cut:], chunk_id, offset + at + cut)]
    return lines


def _overlap(before: list[str], now: list[str]) -> int:
    """How many of ``now``'s first lines repeat ``before``'s last ones (a chunk's overlap)."""
    for k in range(min(_MAX_OVERLAP_LINES, len(before), len(now) - 1), 0, -1):
        if before[-k:] == now[:k]:
            return k
    return 0


def section_lines(chunks: Iterable[Chunk]) -> list[tuple[Chunk, list[Line]]]:
    """Each run of consecutive chunks of one section (its first chunk) and its lines, in order."""
    out: list[tuple[Chunk, list[Line]]] = []
    previous: list[str] = []
    for chunk in chunks:
        raw = chunk.text.split("\n")
        if out and out[-1][0].section == chunk.section:
            lines, skip = out[-1][1], _overlap(previous, raw)
        else:
            lines, skip = [], 0
            out.append((chunk, lines))
        offset = 0
        for i, text in enumerate(raw):
            if i >= skip:
                lines.extend(read_line(text, chunk.chunk_id, offset))
            offset += len(text) + 1
        previous = raw
    return out


def _continues(item: Item, line: Line) -> bool:
    """A prose line that carries on the item above it (a line wrapped across a page)."""
    last = (item.more[-1] if item.more else item.line).text.rstrip()
    first = line.text[:1]
    return first.islower() or first == "(" or (not last.endswith((".", ":", ";", "!", "?", ")")) and last[-1:].isalpha()
                                               and not is_lead(line.text) and first.isalpha() and item.children == [])


def nest(lines: list[Line]) -> list[Entry]:
    """Prose lines and top-level items, each item holding the items nested under it."""
    entries: list[Entry] = []
    stack: list[tuple[int, str, Item]] = []
    for line in lines:
        if line.style is None:
            if stack and _continues(stack[-1][2], line):
                stack[-1][2].more.append(line)
                continue
            entries.append(line)
            stack.clear()
            continue
        while stack and stack[-1][0] > line.indent:
            stack.pop()
        style = line.style
        if style.startswith("dotted"):  # '3.5' names its own depth: it closes whatever is open below 3
            depth = int(style[6:])
            while stack and not (stack[-1][1].startswith("dotted") and int(stack[-1][1][6:]) < depth):
                stack.pop()
        same = len(stack)  # the entries open at this indent are on top, one per style
        while same and stack[same - 1][0] == line.indent:
            same -= 1
        open_styles = [s for _, s, _ in stack[same:]]
        if line.alt and line.alt in open_styles and style not in open_styles:
            style = line.alt
        if style in open_styles:
            del stack[same + open_styles.index(style):]
        if len(stack) >= MAX_DEPTH:
            stack.pop()
        item = Item(line)
        if stack:
            stack[-1][2].children.append(item)
        else:
            entries.append(item)
        stack.append((line.indent, style, item))
    return entries


def meaningful(text: str) -> bool:
    """A statement worth a record: a dozen characters with a word in them (not '- END -')."""
    return len(text.strip()) >= 12 and re.search(r"[A-Za-z]{3}", text) is not None


@dataclass
class Block:
    kind: str  # 'list' (a lead, or none, and its items), 'announced' (a lead and prose lines), 'prose'
    lead: Line | None = None
    items: list[Item] = field(default_factory=list)
    lines: list[Line] = field(default_factory=list)


def blocks(entries: list[Entry]) -> list[Block]:
    out: list[Block] = []
    i = 0
    while i < len(entries):
        entry = entries[i]
        i += 1
        if isinstance(entry, Item):
            if out and out[-1].kind == "list" and out[-1].lines == []:
                out[-1].items.append(entry)
            else:
                out.append(Block("list", items=[entry]))
            continue
        if is_lead(entry.text) and i < len(entries) and isinstance(entries[i], Item):
            out.append(Block("list", lead=entry))
            continue
        if entry.text.rstrip().endswith(":") and lead_phrase(entry.text) and "following" in entry.text.lower():
            block = Block("announced", lead=entry)
            while i < len(entries) and isinstance(entries[i], Line) and not is_lead(entries[i].text):
                block.lines.append(entries[i])
                i += 1
            out.append(block if block.lines else Block("prose", lines=[entry]))
            continue
        out.append(Block("prose", lines=[entry]))
    return out


def sentences(line: Line) -> list[Line]:
    """A prose line's sentences, each still an exact span of its chunk."""
    out, start = [], 0
    for m in SENTENCE_END.finditer(line.text):
        out.append(Line(line.text[start:m.start()], line.chunk_id, line.start + start))
        start = m.end()
    out.append(Line(line.text[start:], line.chunk_id, line.start + start))
    return [s for s in out if s.text.strip()]
