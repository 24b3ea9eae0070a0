"""The engine: question in, cited determination out, along a straight line of stages —
read → retrieve → gather → decide (gate, then the decider) → compose → verify. Built once
(embedder loaded, index opened) by an entry point and shared by the CLI, the API and the evals."""

from __future__ import annotations

import time
from typing import Callable

from app.backends import (embedder_stamp, make_chroma_client, make_composer, make_decider, make_dense_search,
                          make_embeddings, make_gate, make_similarity, make_vector_store)
from app.engine.compose.citations import verify
from app.engine.compose.extractive import compose
from app.engine.compose.passages import citable_passages
from app.engine.decide import Decider
from app.engine.decide.confidence import ConfidenceModel, always_review, features
from app.engine.decide.gate import Gate, is_everyday_word
from app.engine.gather import corpus_profile, gather
from app.engine.read import understand
from app.engine.read.negation import scopes as negation_scopes
from app.engine.retrieve.hybrid import Retriever
from app.engine.retrieve.index import Index, open_index
from app.engine.text.statements import split_chunk
from app.errors import BadRequest
from app.schemas import Answer
from app.settings import Settings


class Engine:
    """Built by ``from_settings`` (every part from the settings, through ``app.backends``); tests
    build it directly with their own parts. A retriever not given is the settings' retriever over
    LangChain's VectorStore API (``retrieval.dense_query`` is applied by ``from_settings``)."""

    def __init__(self, settings: Settings, index: Index, embeddings, composer=None, *,
                 decider: Decider | None = None, gate: Gate | None = None, retriever: Retriever | None = None,
                 confidence: ConfidenceModel | bool | None = None):
        self.settings = settings
        self.index = index
        self.embeddings = embeddings
        self.retriever = retriever or Retriever.from_settings(index, embeddings, settings.retrieval)
        self.corpus = corpus_profile(index)
        similarity = make_similarity(settings, embeddings) if gate is None or decider is None else None
        if similarity is not None:  # the recommendations' vectors embedded at ingest (none in an older index)
            similarity.preload(index.record_vectors)
        self.gate = gate or make_gate(settings, similarity)
        self.decider = decider or make_decider(settings, similarity)
        self.composer = composer  # optional LLM composer; None = extractive
        self.confidence = ConfidenceModel.load() if confidence is None else confidence or None

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
        negation_scopes("No warm-up.")  # load the ConText pipeline now, not on the first question
        is_everyday_word("warm-up")  # and wordfreq's English list (~0.15 s)
        for chunk in index.chunks.values():  # and every chunk's statements, split and tagged once
            split_chunk(chunk)
        dense = make_dense_search(settings, client, index.collection, index.vector_store)
        dense.warm()  # and the vectors of an exact search (about 1 s at 15,000 chunks)
        retriever = Retriever.from_settings(index, embeddings, settings.retrieval, dense=dense)
        return cls(settings, index, embeddings, make_composer(settings), retriever=retriever)

    def trace(self, question: str, patient: str | None = None) -> tuple:
        """(frame, evidence, decision) for a question, without composing: what the confidence model
        is fitted on (``evals.calibrate``)."""
        frame = understand(question, patient)
        hits = self.retriever.search(question, self.settings.retrieval.k, None, prefer=frame.source_type,
                                     context=patient)
        evidence = gather(frame, hits, self.index, self.corpus, has_patient=bool(patient and patient.strip()))
        return frame, evidence, self.gate.refuse(frame, evidence) or self.decider.decide(frame, evidence)

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
        evidence = gather(frame, hits, self.index, self.corpus, has_patient=bool(patient and patient.strip()))
        decision = self.gate.refuse(frame, evidence) or self.decider.decide(frame, evidence)
        signals = features(frame, evidence, decision) if self.confidence else {}
        confidence = self.confidence.predict(signals) if self.confidence else None
        step("decided")
        passages = citable_passages(decision, evidence)
        answer = compose(question, frame, decision, passages)
        step("composed")
        if self.composer is not None and decision.verdict != "cannot_answer":
            answer = self.composer.compose(question, patient, passages, fallback=answer)
        answer = verify(answer, {h.chunk.chunk_id: h.chunk for h in passages})
        if confidence is not None:
            threshold = self.settings.decision.review_threshold
            answer.confidence = round(confidence, 3)
            why = []
            if confidence < threshold:
                why.append(f"confidence {confidence:.2f} is below the review threshold {threshold:.2f}")
            if always_review(signals):
                why.append("the verdict stands only on the wording of a statement, or beside a quote that "
                           "takes the opposite stance")
            answer.needs_review = bool(why)
            if why:
                answer.flags.insert(0, "needs human review: " + "; ".join(why))
        timings["composing"] = (time.perf_counter() - t1) * 1000
        timings["total"] = (time.perf_counter() - t0) * 1000
        answer.timings_ms = {k2: round(v, 2) for k2, v in timings.items()}
        return answer
