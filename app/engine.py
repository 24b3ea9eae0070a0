"""The engine: question in, cited determination out. Built once (embedder loaded, index opened)
by an entry point and shared by the CLI, the API and the evals."""

from __future__ import annotations

import time
from typing import Callable

from app.answering import compose
from app.backends import embedder_stamp, make_chroma_client, make_embeddings, make_vector_store
from app.citations import verify
from app.decision import decide, disagreements
from app.statements import split_chunk
from app.errors import BadRequest
from app.index import Index, open_index
from app.retrieval import Hit, Retriever
from app.schemas import Answer
from app.settings import Settings
from app.understanding import understand



class Engine:
    def __init__(self, settings: Settings, index: Index, embeddings, composer=None):
        self.settings = settings
        self.index = index
        self.embeddings = embeddings
        self.retriever = Retriever.from_settings(index, embeddings, settings.retrieval)
        self.composer = composer  # optional LLM composer; None = extractive

    @classmethod
    def from_settings(cls, settings: Settings, embeddings=None) -> "Engine":
        embeddings = embeddings or make_embeddings(settings)
        if settings.embedding.backend == "sentence-transformers":  # the onnx backend never loads torch
            import torch

            torch.set_num_threads(settings.embedding.query_threads)
        stamp = embedder_stamp(settings)
        client = make_chroma_client(settings)
        index = open_index(
            settings.index_path, stamp=stamp,
            vector_store_factory=lambda name: make_vector_store(settings, embeddings, client, stamp=stamp, collection=name),
        )
        from app.context import read
        from app.decision import is_everyday_word

        read("No warm-up.")  # load the ConText pipeline now, not on the first question
        is_everyday_word("warm-up")  # and wordfreq's English list (~0.15 s)
        index.word_idf  # noqa: B018 — and the corpus word weights
        index.term_groups  # noqa: B018 — and which named terms the documents mention
        for chunk in index.chunks.values():  # and every chunk's statements, split and tagged once
            split_chunk(chunk)
        composer = None
        if settings.llm.composer == "llm":
            from app.llm_composer import LLMComposer
            from app.backends import make_llm

            composer = LLMComposer(make_llm(settings), timeout_s=settings.llm.timeout_s)
        return cls(settings, index, embeddings, composer)

    def ask(self, question: str, patient: str | None = None, filters: dict | None = None, k: int | None = None,
            progress: Callable[[str, dict], None] | None = None,
            checkpoint: Callable[[str], None] | None = None) -> Answer:
        """The cited determination. ``progress(event, data)`` is told when composing starts
        (after retrieval), so a stream can report it as it happens. ``checkpoint(stage)`` is called
        after each stage (understood, retrieved, decided, composed); it may raise to stop the
        answer there, which is how a request deadline frees its worker."""
        step = checkpoint or (lambda stage: None)
        if not isinstance(question, str) or not question.strip():
            raise BadRequest("question must be a non-empty string", code="empty_question")
        limit = self.settings.api.max_question_chars  # one limit for the CLI, the API and the evals
        if len(question) > limit:
            raise BadRequest(f"question is {len(question)} characters; the limit is {limit}", code="question_too_long")
        if patient is not None and not isinstance(patient, str):
            raise BadRequest("patient must be text", code="bad_patient")
        timings: dict[str, float] = {}
        t0 = time.perf_counter()
        frame = understand(question, patient)
        step("understood")
        hits = self.retriever.search(question, k or self.settings.retrieval.k, filters, prefer=frame.source_type,
                                     context=patient)
        t1 = time.perf_counter()
        timings["retrieval"] = (t1 - t0) * 1000
        step("retrieved")
        if progress is not None:
            progress("composing", {"passages": len(hits), "retrieval_ms": round(timings["retrieval"], 2)})
        min_sim = None if self.settings.embedding.backend == "fake" else self.settings.retrieval.min_similarity
        decision = decide(frame, hits, self.index, has_patient=bool(patient and patient.strip()), min_similarity=min_sim)
        step("decided")
        known = {h.chunk.chunk_id for h in hits}
        extra = decision.cited_chunks() + ([] if decision.verdict == "cannot_answer" else disagreements(frame, hits, self.index))
        for chunk in extra:
            if chunk.chunk_id not in known:
                known.add(chunk.chunk_id)
                hits.append(Hit(chunk, 0.0))
        answer = compose(question, frame, decision, hits)
        step("composed")
        if self.composer is not None and decision.verdict != "cannot_answer":
            answer = self.composer.compose(question, patient, hits, fallback=answer)
        retrieved = {h.chunk.chunk_id: h.chunk for h in hits}
        answer = verify(answer, retrieved)
        timings["composing"] = (time.perf_counter() - t1) * 1000
        timings["total"] = (time.perf_counter() - t0) * 1000
        answer.timings_ms = {k2: round(v, 2) for k2, v in timings.items()}
        return answer
