"""The abstention gate, run before any decider: a question is not answered ('cannot_answer')
when it is not in English, nothing was retrieved, it names a term no document uses, or neither
the words of the top passages nor the nearest vector vouch for its topic — nor, when a patient's
record comes with it, the meaning of the question read with the record (a terse "Mucomyst before
his contrast CT?" says its topic through the record)."""

from __future__ import annotations

import re
from functools import lru_cache

from app.engine.decide.meaning import Similarity
from app.engine.read import Frame
from app.engine.records import Decision, Evidence
from app.engine.text.tokens import stems
from app.engine.text.vocabulary import POLICY_GENERIC_STEMS, canonical, expand

MIN_TOPIC_COVERAGE = 0.5


# above min_similarity by this much, the nearest passage vouches for a question whose own words the
# passages barely use ("Is it time to start an ESA for his anemia?", the topic in the record)
DENSE_SURE_MARGIN = 0.10


EVERYDAY_ZIPF = 4.0  # wordfreq's Zipf scale: 4 = once per 10^5 words of everyday English ("knee", "worth")


EVERYDAY_WEIGHT = 0.25


@lru_cache(maxsize=65536)
def is_everyday_word(word: str) -> bool:
    """A common word of everyday English (by wordfreq's bundled frequency lists)."""
    from wordfreq import zipf_frequency

    return zipf_frequency(word, "en") >= EVERYDAY_ZIPF


def topic_coverage(frame: Frame, evidence: Evidence) -> float:
    """IDF-weighted share of the question's topic words found in the top passages; a word the
    corpus never uses weighs most, so 'gout' missing says more than 'acute' present. A word of
    everyday English ("just found out", "worth a couple of minutes") weighs a quarter: guidelines
    rarely use it, so its IDF is high, yet its absence says nothing about the topic."""
    common = {w for t in frame.topic_words if is_everyday_word(t) for w in stems(t)}
    words = stems(" ".join(frame.topic_words))
    # a bracket's own words ([^()]: linear on "((((…", where [^)] rescanned to the end from every bracket)
    aliases = stems(" ".join(re.findall(r"\(([^()]*)\)", frame.question)))
    if words - aliases:
        words = words - aliases  # "benralizumab (Fasenra)": the brand in brackets is another name, not more topic
    if not words:
        return 0.0
    seen: set[str] = set()
    for hit in evidence.hits[:5]:
        seen |= stems(f"{hit.chunk.title} {hit.chunk.section} {hit.chunk.text}")
    idf = evidence.corpus.word_idf
    top = max(idf.values(), default=1.0) + 1.0

    def weight(w: str) -> float:
        return idf.get(w, top) * (EVERYDAY_WEIGHT if w in common else 1.0)

    return sum(weight(w) for w in words & seen) / sum(weight(w) for w in words)


class Gate:
    """Refuses what the index cannot answer; ``min_similarity`` is None for an embedder whose
    similarities mean nothing (the fake one of the tests), and the dense checks are skipped."""

    def __init__(self, min_similarity: float | None, similarity: Similarity | None = None):
        self.min_similarity = min_similarity
        self.similarity = similarity

    def _record_vouches(self, frame: Frame, evidence: Evidence) -> bool:
        """The question read with the patient's record is as close to one of the top passages as a
        question the nearest vector vouches for alone (``min_similarity + DENSE_SURE_MARGIN``)."""
        if self.similarity is None or self.min_similarity is None or not evidence.has_patient:
            return False
        texts = [h.chunk.text for h in evidence.hits[:5]]
        cosines = self.similarity.similarities(frame.with_record, texts)
        return len(cosines) > 0 and float(max(cosines)) >= self.min_similarity + DENSE_SURE_MARGIN

    def refuse(self, frame: Frame, evidence: Evidence) -> Decision | None:
        """A ``cannot_answer`` decision with its reason, or None when the question may be decided."""
        hits, min_similarity = evidence.hits, self.min_similarity
        if not frame.language_ok:
            return Decision("cannot_answer", "not_english")
        if not hits:
            return Decision("cannot_answer", "not_in_corpus")
        unnamed = [t for t in frame.terms if canonical(t) not in evidence.corpus.term_groups]
        if unnamed:  # "continuous glucose monitor" in no document, under any of its names
            return Decision("cannot_answer", "not_in_corpus")
        named = stems(expand(" ".join(frame.terms))) - POLICY_GENERIC_STEMS  # a known term, in any spelling
        top_words = stems(" ".join(f"{h.chunk.title} {h.chunk.text}" for h in hits[:3]))
        coverage = topic_coverage(frame, evidence)
        # the nearest vector among all dense candidates, not only the kept hits (0 when none was fetched)
        best_sim = None if min_similarity is None else hits.best_dense or 0.0
        dense_unsure = best_sim is None or best_sim < min_similarity + DENSE_SURE_MARGIN
        refuse = coverage < MIN_TOPIC_COVERAGE and not (named & top_words) and dense_unsure
        if best_sim is not None and not refuse:  # the dense side agrees nothing is close (real embedders only)
            # a known term of the question is in the top passages, with some of the rest of its topic
            named_found = bool(named & top_words) and coverage >= 0.3
            refuse = best_sim < min_similarity - 0.07 or (best_sim < min_similarity and coverage < 0.6 and not named_found)
        if refuse and not self._record_vouches(frame, evidence):
            return Decision("cannot_answer", "not_in_corpus")
        return None
