"""Words as the engine compares them: one tokenizer for chunks, questions and records (lower-case,
stop words dropped, Snowball-stemmed), used by BM25 and by every word-overlap measure."""

from __future__ import annotations

import re
from functools import lru_cache

_TOKEN = re.compile(r"[a-z0-9]+(?:[.\-][a-z0-9]+)*")
STOPWORDS = frozenset(
    """a an and are as at be been but by can could did do does for from had has have how i if in into is it
    its may me might more most must my no nor not of on or our she should so such than that the their them
    then there these they this those to was we were what when where which while who whom why will with would
    you your he his her him us""".split()
)


@lru_cache(maxsize=1)
def _stemmer():
    import Stemmer

    return Stemmer.Stemmer("english")


def tokenize(text: str) -> list[str]:
    """Lower-case word tokens, stop words dropped, Snowball-stemmed; codes such as J1459, G70.01
    and 90283 stay whole (and also split at the dot, so G70.01 matches G70)."""
    words = []
    for tok in _TOKEN.findall(text.lower()):
        if tok in STOPWORDS:
            continue
        words.append(tok)
        if "." in tok or "-" in tok:
            words.extend(p for p in re.split(r"[.\-]", tok) if p and p not in STOPWORDS)
    return _stemmer().stemWords(words)


@lru_cache(maxsize=65536)
def stems(text: str) -> frozenset[str]:
    """The set of stemmed words of a text (cached: the same sentences are read again and again)."""
    return frozenset(tokenize(text))


def overlap(words: frozenset[str], sentence: str) -> float:
    """Share of ``words`` present in the sentence (stemmed)."""
    if not words:
        return 0.0
    return len(words & stems(sentence)) / len(words)
