"""Where sentences end, for the two readers of a text: ingest, which splits an over-long block into
sentences to fit the embedder (a boundary needs a capital or digit after it, so "e.g. the" stays
whole), and the engine, which quotes statements (every '. ', '; ', '? ', '! ' or line break, never
inside a number such as 0.4 g/kg). One module, so a change to either rule is made in one place;
they differ because chunk boundaries and quoted statements are different units."""

from __future__ import annotations

import re

SENTENCE_END = re.compile(r"(?<=[.!?;])\s+(?=[(\"'“]?[A-Z0-9])")  # ingest: between sentences
STATEMENT_BOUNDARY = re.compile(r"(?<=[.!?;])\s+|\n")  # engine: between quotable statements


def split_sentences(text: str) -> list[str]:
    """A block's sentences, as ingest sizes chunks."""
    return [s for s in SENTENCE_END.split(text) if s.strip()]


# Between the sentences a quote is made of: a '.', '!' or '?' before a capital or digit — not a ';',
# and not after "et al.", "e.g.", "i.e.", "vs.", "cf.", "No." or "Dr."
QUOTE_SENTENCE_END = re.compile(r"(?<!\bal\.)(?<!\be\.g\.)(?<!\bi\.e\.)(?<!\bvs\.)(?<!\bcf\.)(?<!\bNo\.)(?<!\bDr\.)"
                                r"(?<=[.!?])\s+(?=[(\"'“]?[A-Z0-9])")
MAX_QUOTE = 600  # characters: a 'sentence' longer than this (a paragraph of '; ' clauses) is not quoted whole
_LINE_MARK = re.compile(r"\s*(?:(?:[-*+]|\d{1,3}[.)])\s+)?")  # a list item's bullet or number


def sentence_around(text: str, start: int, end: int) -> tuple[int, int]:
    """The span of the sentence in ``text`` that holds ``text[start:end]``: from the end of the
    sentence before it (or the start of its line, after a list item's bullet) to the end of its
    own sentence (or of its line). A span that is a whole sentence, or whose sentence is over
    ``MAX_QUOTE`` characters, comes back unchanged."""
    line_start = text.rfind("\n", 0, start) + 1
    line_end = text.find("\n", end)
    line_end = len(text) if line_end < 0 else line_end
    begin = _LINE_MARK.match(text, line_start).end()
    finish = line_end
    for m in QUOTE_SENTENCE_END.finditer(text, line_start, line_end):
        if m.end() <= start:
            begin = m.end()
        elif m.start() >= end:
            finish = m.start()
            break
    finish = len(text[:finish].rstrip())
    begin, finish = min(begin, start), max(finish, end)
    return (begin, finish) if finish - begin <= max(MAX_QUOTE, end - start) else (start, end)
