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
