"""Small fake engines for the eval harness tests: same interface as ``app.engine.Engine``
(``ask(question, patient=None, filters=None, k=None) -> Answer`` and ``index.chunks``)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Callable

from app.schemas import Answer, Citation, RetrievedPassage


@dataclass
class FakeChunk:
    chunk_id: str
    document_id: str
    text: str


@dataclass
class FakeIndex:
    chunks: dict[str, FakeChunk]
    manifest: dict = field(default_factory=dict)


def make_answer(question: str, verdict: str, *, retrieved: list[tuple[str, str]] = (),
                citations: list[tuple[str, str, str]] = (), summary: str = "") -> Answer:
    """retrieved: (document_id, chunk_id) in rank order; citations: (document_id, chunk_id, quote)."""
    return Answer(
        question=question, verdict=verdict, summary=summary,
        retrieved=[RetrievedPassage(rank=r, chunk_id=c, document_id=d, title=d, score=1.0 / r)
                   for r, (d, c) in enumerate(retrieved, start=1)],
        citations=[Citation(id=i, document_id=d, chunk_id=c, title=d, quote=q)
                   for i, (d, c, q) in enumerate(citations, start=1)],
    )


class ScriptedEngine:
    """Answers each question with a prepared Answer; raises for questions scripted as errors."""

    def __init__(self, answers: dict[str, Answer | Exception], chunks: dict[str, FakeChunk] | None = None):
        self.answers = answers
        self.index = FakeIndex(chunks or {})
        self.calls: list[tuple[str, str | None]] = []

    def ask(self, question, patient=None, filters=None, k=None) -> Answer:
        self.calls.append((question, patient))
        answer = self.answers[question]
        if isinstance(answer, Exception):
            raise answer
        return answer


# --- a tiny corpus whose every document states its own determination ---------------------

MINI_CORPUS = {
    "policies/ivig": ("no", "Maintenance IVIG for myasthenia gravis is not medically necessary.", ["ivig", "myasthenia"]),
    "policies/cpap": ("yes", "CPAP for obstructive sleep apnea is medically necessary when the AHI is 15 or more.",
                      ["cpap", "apnea"]),
    "guidelines/pots": ("informational", "Propranolol at a low dose may reduce tachycardia in POTS.", ["pots", "propranolol"]),
    "policies/tms": ("yes", "TMS for depression is covered after two failed antidepressants.", ["tms", "depression"]),
}

MINI_CASES_YAML = """
- id: ivig-maintenance
  question: "Is maintenance IVIG for myasthenia gravis covered?"
  expected_verdict: no
  expected_sources: [policies/ivig]
  must_mention: ["not medically necessary"]
  tags: [ivig]
- id: cpap-ahi-30
  question: "Is CPAP covered for sleep apnea with an AHI of 30?"
  patient: "AHI 30 on a home sleep test."
  expected_verdict: yes
  expected_sources: [policies/cpap]
  must_mention: ["AHI|apnea-hypopnea index"]
  tags: [cpap, numeric]
- id: pots-propranolol
  question: "Is propranolol an option for POTS?"
  expected_verdict: informational
  expected_sources: [guidelines/pots]
  tags: [pots]
- id: tms-depression
  question: "Is TMS covered for depression?"
  expected_verdict: yes
  expected_sources: [policies/tms]
  tags: [tms]
- id: liver-transplant
  question: "Is a liver transplant covered for alcoholic hepatitis?"
  expected_verdict: cannot_answer
  expected_sources: []
  tags: [abstention]
"""


def keyword_retriever(question: str) -> list[str]:
    """Documents sharing a keyword with the question, best first."""
    words = set(re.findall(r"[a-z]+", question.lower()))
    hits = {doc: len(words & set(keys)) for doc, (_, _, keys) in MINI_CORPUS.items()}
    return sorted((d for d, n in hits.items() if n), key=lambda d: (-hits[d], d))


def broken_retriever(question: str) -> list[str]:
    """Deliberately broken: returns every document the good retriever would not."""
    good = set(keyword_retriever(question))
    return [d for d in MINI_CORPUS if d not in good]


class MiniEngine:
    """Retrieves from MINI_CORPUS with a pluggable retriever, answers with the top document's
    determination and cites its sentence; abstains when nothing is retrieved."""

    def __init__(self, retriever: Callable[[str], list[str]] = keyword_retriever):
        self.retriever = retriever
        self.index = FakeIndex({f"{d}#0": FakeChunk(f"{d}#0", d, text) for d, (_, text, _) in MINI_CORPUS.items()},
                               manifest={"documents": {d: {"sha256": f"sha-{d}"} for d in MINI_CORPUS}})

    def ask(self, question, patient=None, filters=None, k=None) -> Answer:
        docs = self.retriever(question)
        if not docs:
            return make_answer(question, "cannot_answer", summary="The corpus does not cover this question.")
        top = docs[0]
        verdict, text, _ = MINI_CORPUS[top]
        return make_answer(question, verdict, retrieved=[(d, f"{d}#0") for d in docs],
                           citations=[(top, f"{top}#0", text)], summary=text)


class IndexedEngine:
    """A fake engine over a real index on disk (lexical only, no embedder): ranks chunks by the
    words they share with the question, answers "yes" from the best one and cites its opening."""

    def __init__(self, settings):
        from app.backends import embedder_stamp
        from app.engine.retrieve.index import open_index

        self.settings = settings
        self.index = open_index(settings.index_path, stamp=embedder_stamp(settings))

    def ask(self, question, patient=None, filters=None, k=None) -> Answer:
        words = set(re.findall(r"[a-z]{4,}", question.lower()))
        scored = sorted(((len(words & set(re.findall(r"[a-z]{4,}", c.text.lower()))), cid)
                         for cid, c in self.index.chunks.items()), key=lambda x: (-x[0], x[1]))
        top = [cid for n, cid in scored[:3] if n]
        if not top:
            return make_answer(question, "cannot_answer")
        chunks = [self.index.chunks[cid] for cid in top]
        best = chunks[0]
        return make_answer(question, "yes", retrieved=[(c.document_id, c.chunk_id) for c in chunks],
                           citations=[(best.document_id, best.chunk_id, best.text[:40])], summary=best.text)
