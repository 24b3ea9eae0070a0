"""What the record says about each word: affirmed, negated ("no respiratory compromise"), in a
relative ("mother had medullary thyroid carcinoma") or hypothetical ("if plasma exchange is
unavailable"). medspaCy's ConText does the work on a blank spaCy pipeline (offline); every
content word is a target, so ConText's field-made cue lexicon and scope rules apply to all."""

from __future__ import annotations

import importlib.abc
import sys
import types
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache

from app.engine.text.tokens import stems

EXTRA_RULES = [  # cues the default lexicon lacks, in the forms the records use
    ("never", "NEGATED_EXISTENCE", "FORWARD"),
    ("has not", "NEGATED_EXISTENCE", "FORWARD"),
    ("have not", "NEGATED_EXISTENCE", "FORWARD"),
    ("has never", "NEGATED_EXISTENCE", "FORWARD"),
    ("did not", "NEGATED_EXISTENCE", "FORWARD"),
    ("not yet", "NEGATED_EXISTENCE", "FORWARD"),
    ("declines", "NEGATED_EXISTENCE", "FORWARD"),
    ("does not plan", "NEGATED_EXISTENCE", "FORWARD"),
]


CLAUSE_ENDS = [".", "!", "?", ";", ","]


@dataclass(frozen=True)
class Scopes:
    affirmed: frozenset[str]
    negated: frozenset[str]
    family: frozenset[str]
    hypothetical: frozenset[str]


class _WithoutTorch(importlib.abc.MetaPathFinder):
    """While spaCy loads, torch cannot be imported: thinc imports it whenever it is installed, and a
    blank pipeline with ConText never uses it."""

    def find_spec(self, name, path=None, target=None):
        if name == "torch" or name.startswith("torch."):
            raise ImportError(f"{name} is not imported while spaCy loads (app.engine.read.negation)")
        return None


class _Deferred(types.ModuleType):
    """Stands in for a module a dependency imports and never uses here: medspaCy imports QuickUMLS,
    which imports nltk (and with it scipy.stats and scikit-learn). The real module is imported the
    first time anything reads from the stand-in."""

    def __getattr__(self, name):
        if sys.modules.get(self.__name__) is self:
            sys.modules.pop(self.__name__, None)
        return getattr(importlib.import_module(self.__name__), name)


@contextmanager
def _only_what_context_needs():
    """Import spaCy and medspaCy without torch (when it is not loaded already: the onnx embedder)
    and without nltk; together more than half of the ConText pipeline's load time. Afterwards
    both import as usual."""
    if "spacy" in sys.modules:
        yield
        return
    finder = _WithoutTorch() if "torch" not in sys.modules else None
    stand_in = _Deferred("nltk") if "nltk" not in sys.modules else None
    if finder:
        sys.meta_path.insert(0, finder)
    if stand_in:
        sys.modules["nltk"] = stand_in
    try:
        yield
    finally:
        if finder:
            sys.meta_path.remove(finder)
        if stand_in and sys.modules.get("nltk") is stand_in:
            del sys.modules["nltk"]


@lru_cache(maxsize=1)
def _pipeline():
    with _only_what_context_needs():
        import spacy
        from medspacy.context import ConTextRule  # noqa: F401  (registers the component)
        from spacy.tokens import Span

    nlp = spacy.blank("en")
    # clauses are the unit of scope: "no anti-MAG antibodies, baseline INCAT 3" negates the
    # antibodies, not the INCAT score (ConText scopes end at the sentence, here the clause)
    nlp.add_pipe("sentencizer", config={"punct_chars": CLAUSE_ENDS})

    if not spacy.Language.has_factory("criterion_word_targets"):
        @spacy.Language.component("criterion_word_targets")
        def word_targets(doc):
            doc.ents = [Span(doc, t.i, t.i + 1, label="WORD") for t in doc
                        if (t.is_alpha or any(c.isdigit() for c in t.text)) and not t.is_stop and len(t) > 1]
            return doc

    nlp.add_pipe("criterion_word_targets")
    context = nlp.add_pipe("medspacy_context", config={"rules": "default"})
    context.add([ConTextRule(literal, category, direction=direction) for literal, category, direction in EXTRA_RULES])
    return nlp


@lru_cache(maxsize=4096)
def scopes(text: str) -> Scopes:
    affirmed, negated, family, hypothetical = set(), set(), set(), set()
    for ent in _pipeline()(text).ents:
        words = stems(ent.text)
        if ent._.is_negated:
            negated |= words
        elif ent._.is_family:
            family |= words
        elif ent._.is_hypothetical:
            hypothetical |= words
        else:
            affirmed |= words
    return Scopes(frozenset(affirmed), frozenset(negated), frozenset(family), frozenset(hypothetical))
