"""The Markdown loader: YAML front matter → metadata, headings → section path, paragraphs, list
items (indented by depth, so all-of / any-of nesting survives) and table rows → blocks.

Every step is linear in the text: headings and links are read by scanning, not by patterns
that backtrack (a heading line of spaces, or a paragraph of ``[`` characters, once took minutes)."""

from __future__ import annotations

import re
from pathlib import Path

from ingest.document import MAX_HEADING_CHARS, Block, LoadedDocument, decode_text
from ingest.frontmatter import parse_front_matter

_MD_EMPH = re.compile(r"(\*\*|__|(?<![\w*])\*(?!\s)|`)")
_LIST = re.compile(r"^(\s*)([-*+]|\d+[.)])\s+(.*)$")


def heading(line: str) -> tuple[int, str] | None:
    """``'## Title ##'`` → ``(2, 'Title')``: one to six ``#``, whitespace, the title without the
    closing ``#`` run and the whitespace around it; ``None`` for any other line."""
    level = len(line) - len(line.lstrip("#"))
    if not 1 <= level <= 6 or level == len(line) or not line[level].isspace():
        return None
    return level, line[level:].strip().rstrip("#").rstrip()


def strip_links(text: str) -> str:
    """``[words](target)`` and ``![words](target)`` → ``words``: the first ``]`` after a ``[``
    must be followed by ``(`` and then a ``)``. One pass over the text."""
    out: list[str] = []
    last = 0  # text before ``last`` is already written
    open_at = text.find("[")
    while open_at != -1:
        close = text.find("]", open_at + 1)
        if close == -1:
            break  # no later "[" has a "]" either
        if text[close + 1:close + 2] != "(":
            open_at = text.find("[", close + 1)  # every "[" before ``close`` meets this same "]"
            continue
        end = text.find(")", close + 2)
        if end == -1:
            break  # nor will any later link find a ")"
        start = open_at - 1 if open_at > last and text[open_at - 1] == "!" else open_at
        out.append(text[last:start])
        out.append(text[open_at + 1:close])
        last = end + 1
        open_at = text.find("[", last)
    out.append(text[last:])
    return "".join(out)


def clean_inline(text: str) -> str:
    text = strip_links(text)
    text = _MD_EMPH.sub("", text)
    text = text.replace("&nbsp;", " ")
    return re.sub(r"[ \t]+", " ", text).strip()


def _is_sentence(heading: str) -> bool:
    """A heading that is really a statement: several words ending a sentence (or leading into a
    list), or too long for a title. Some exporters (the NGC summaries) set each evidence
    statement as a level-5 heading; read as a heading it would be lost from the passage text."""
    words = heading.split()
    return (len(words) > 24 or len(heading) > MAX_HEADING_CHARS
            or (len(words) >= 8 and heading.rstrip().endswith((".", ":", ";"))))


def load_markdown(path: Path, data: bytes) -> LoadedDocument:
    text = decode_text(data, path)
    meta, body = parse_front_matter(text, path.name)
    doc = LoadedDocument(path, "", metadata=dict(meta), sources={str(key): "front-matter" for key in meta})
    headings: list[tuple[int, str]] = []
    para: list[str] = []
    in_fence = False

    def section() -> tuple[str, ...]:
        return tuple(h for _, h in headings)

    def flush() -> None:
        joined = " ".join(p.strip() for p in para if p.strip())
        para.clear()
        cleaned = clean_inline(joined.lstrip("> ").replace(" > ", " "))
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
        marked = heading(line)
        if marked:
            flush()
            level, title = marked[0], clean_inline(marked[1])
            while headings and headings[-1][0] >= level:
                headings.pop()
            if _is_sentence(title):  # a statement set as a heading ("##### ISB is not recommended.") is text
                doc.blocks.append(Block(title, section()))
            elif title:
                headings.append((level, title))
                if "title" not in doc.metadata and level == 1:
                    doc.metadata["title"] = title
                    doc.sources["title"] = "first-heading"
            continue
        if not line.strip():
            flush()
            continue
        item = _LIST.match(line)
        if item or line.lstrip().startswith("|"):
            flush()
            if item:  # list items keep a "- " marker, indented by depth, so all-of/any-of nesting survives
                cleaned = clean_inline(item.group(3))
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
