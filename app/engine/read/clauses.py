"""The record read as statements of fact: clauses (at sentence ends, semicolons, and before
'no …', 'not …', 'but', 'without', 'who has not'), each with whether ConText puts it under a
negation — so a criterion can be matched to the fact that speaks to it by meaning, and a fact
the record denies ("no clinician has diagnosed autism spectrum disorder") can fail it."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from app.engine.read.negation import scopes

_BREAK = re.compile(r"(?<=[.;!?])\s+|\n|;\s*|,\s+(?=(?:no|not|never|without|and no|but)\b)|"
                    r"\s+(?=(?:but|without|who has not|who have not|and has not)\b)", re.I)
MIN_WORDS = 3


@dataclass(frozen=True)
class Clause:
    text: str
    negated: bool  # most of its words stand in a negation's scope (ConText), at least one does


@lru_cache(maxsize=4096)
def clauses(text: str) -> tuple[Clause, ...]:
    out = []
    for piece in _BREAK.split(text):
        piece = (piece or "").strip(" .;,")
        if len(piece.split()) < MIN_WORDS:
            continue
        s = scopes(piece)
        out.append(Clause(piece, bool(s.negated) and len(s.negated) >= len(s.affirmed)))
    return tuple(out)


def is_negative(text: str) -> bool:
    """A statement that itself denies something ('The patient has no history of seizures')."""
    return bool(scopes(text).negated)
