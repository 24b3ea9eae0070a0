"""The records that join the stages: ``Frame`` (read) → ``Hits`` (retrieve) → ``Evidence``
(gather) → ``Decision`` (decide) → ``Answer`` (compose, in ``app.schemas``). A stage reads the
records of the stages above it and nothing else of theirs."""

from __future__ import annotations

from dataclasses import dataclass, field

from app.chunks import Chunk
from app.engine.compiled import CompiledDocument
from app.engine.read import Frame
from app.engine.retrieve.hybrid import Hit, Hits
from app.engine.text.statements import Sentence
from app.schemas import CriterionStatus, Verdict

__all__ = ["Corpus", "CriterionLine", "Decision", "Evaluation", "Evidence", "Frame", "Hit", "Hits", "Verdict"]


@dataclass(frozen=True)
class Corpus:
    """What the index knows about all its documents, without reading them again: document
    metadata (title, topics), word weights (IDF) and which named terms some document uses."""

    documents: dict[str, dict]
    word_idf: dict[str, float]
    term_groups: frozenset[str]


@dataclass
class Evidence:
    """Everything a decider may read: the ranked hits, every section of each document the hits
    come from (so a policy's whole indication list is at hand), the 'where sources disagree'
    passages about the question, and the corpus profile."""

    hits: Hits
    sections: dict[str, dict[str, list[Chunk]]]  # document id → section path → chunks, in index order
    disagreements: list[Chunk]
    corpus: Corpus
    has_patient: bool = False
    compiled: dict[str, CompiledDocument] = field(default_factory=dict)  # document id → its records compiled at ingest

    def document_sections(self, document_id: str) -> dict[str, list[Chunk]]:
        return self.sections.get(document_id, {})


@dataclass
class CriterionLine:
    """One criterion of an indication, as the policy writes it; children make it an any-of list."""

    text: str  # exact text of the line (without the "- " marker)
    children: list["CriterionLine"] = field(default_factory=list)

    @property
    def any_of(self) -> bool:
        return bool(self.children)


@dataclass
class Evaluation:
    status: CriterionStatus
    detail: str = ""


@dataclass
class Decision:
    """A verdict and the statements it stands on, so each verdict can be explained by its sources."""

    verdict: Verdict
    reason: str | None = None
    deciding: list[Sentence] = field(default_factory=list)
    criteria: list[tuple[CriterionLine, Evaluation, Sentence | None]] = field(default_factory=list)
    primary_document: str | None = None
    indication: str | None = None
    basis: str | None = None  # "recommendation": a compiled recommendation record decided it

    def cited_chunks(self) -> list[Chunk]:
        """Chunks the decision quotes (the indication's whole section, the exclusion it applied),
        in order of first use: part of what the answer may cite."""
        seen, out = set(), []
        sentences = list(self.deciding) + [s for _, _, s in self.criteria if s is not None]
        for s in sentences:
            if s.chunk.chunk_id not in seen:
                seen.add(s.chunk.chunk_id)
                out.append(s.chunk)
        return out
