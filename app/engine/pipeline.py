"""The engine: question in, cited determination out, along a straight line of stages —
read → retrieve → gather → decide (gate, then the decider) → compose → verify. Built once
(embedder loaded, index opened) by an entry point and shared by the CLI, the API and the evals."""

from __future__ import annotations

import time
from typing import Callable

from app.backends import (embedder_stamp, make_chroma_client, make_composer, make_decider, make_dense_search,
                          make_embeddings, make_gate, make_similarity, make_vector_store)
from app.engine.compose.citations import verify
from app.engine.compose.provenance import decided_under, state
from app.engine.compose.extractive import compose
from app.engine.compose.passages import citable_passages
from app.engine.decide import Decider
from app.engine.decide.confidence import ConfidenceModel, features, review_reasons
from app.engine.decide.gate import Gate, is_everyday_word
from app.engine.gather import corpus_profile, gather
from app.engine.read import understand
from app.engine.read.payer import PayerReader, PlanNamed
from app.engine.read.negation import scopes as negation_scopes
from app.engine.retrieve.hybrid import Retriever
from app.engine.retrieve.index import Index, open_index
from app.engine.retrieve.scope import eligible, parse_day, restrict
from app.engine.text.statements import remember, split_chunk
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
        issuers = {m.get("issuer", "") for m in index.documents.values() if m.get("doc_type") == "policy"} - {""}
        self.payers = PayerReader(issuers)
        self.reference_issuer = settings.retrieval.reference_issuer if settings.retrieval.reference_issuer in issuers else None
        self.similarity = similarity

    @classmethod
    def from_settings(cls, settings: Settings, embeddings=None, *, warm: bool = True) -> "Engine":
        """``warm=False`` (one question, as ``criterion ask``) leaves the ConText pipeline, the word list,
        the statements and the dense vectors to be loaded when first used: the same answers, no work
        done for chunks the question never reads."""
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
        dense = make_dense_search(settings, client, index.collection, index.vector_store)
        if index.precomputed is not None:  # the statements ingest split and tagged (about 50 ms for 15,000 chunks)
            remember((c, index.precomputed.statements[c.chunk_id]) for c in index.chunks.values())
        if warm:
            negation_scopes("No warm-up.")  # load the ConText pipeline now, not on the first question
            is_everyday_word("warm-up")  # and wordfreq's English list (~0.15 s)
            if index.precomputed is None:  # every chunk's statements, split and tagged once
                for chunk in index.chunks.values():
                    split_chunk(chunk)
            dense.warm()  # and the vectors of an exact search (about 1 s at 15,000 chunks)
        retriever = Retriever.from_settings(index, embeddings, settings.retrieval, dense=dense)
        return cls(settings, index, embeddings, make_composer(settings), retriever=retriever)

    def trace(self, question: str, patient: str | None = None, payer: str | None = None, as_of=None) -> tuple:
        """(frame, evidence, decision) for a question, without composing: what the confidence model
        is fitted on (``evals.calibrate``)."""
        frame = understand(question, patient)
        plan = self.payers.named(question, patient, payer)
        _, evidence, decision = self._decide(frame, question, patient, None, self.settings.retrieval.k, plan,
                                             _as_of(as_of))
        return frame, evidence, decision

    def _search(self, frame, question, patient, filters, k, *, issuer=None, as_of=None):
        allowed = eligible(self.index.documents, issuer=issuer, as_of=as_of)
        scoped = restrict(filters, allowed)
        if as_of is not None and not (scoped or {}).get("status"):
            scoped = {**(scoped or {}), "status": ["current", "superseded"]}  # the date decides, not the status
        return self.retriever.search(question, k, scoped, prefer=frame.source_type, context=patient)

    def _scoped_hits(self, frame, question, patient, filters, k, plan: PlanNamed | None, as_of):
        """The hits within the scope: the versions in force, then the named plan's policies when one
        is about the question (``_covers``), else the reference issuer's
        (``retrieval.reference_issuer``), else the best of any issuer's."""
        hits = self._search(frame, question, patient, filters, k, as_of=as_of)
        issuers = {h.chunk.issuer for h in hits if h.chunk.doc_type == "policy"}
        wanted = [plan.issuer] if plan is not None and plan.issuer else []
        if issuers:  # a reference issuer only narrows a choice among policies found
            wanted.append(self.reference_issuer)
        for issuer in dict.fromkeys(i for i in wanted if i):
            if issuers == {issuer}:
                break  # only that issuer's policies were found: nothing to narrow
            own = self._search(frame, question, patient, filters, k, issuer=issuer, as_of=as_of)
            if self._covers(own, hits, issuer):
                return own
        return hits

    def _decide(self, frame, question, patient, filters, k, plan: PlanNamed | None, as_of):
        """Retrieve within the scope, gather and decide; a decision resting on a superseded version
        without a date of service is taken again from the current versions."""
        has_patient = bool(patient and patient.strip())
        for scope in (filters, {**(filters or {}), "status": "current"}):
            hits = self._scoped_hits(frame, question, patient, scope, k, plan, as_of)
            evidence = gather(frame, hits, self.index, self.corpus, has_patient=has_patient)
            decision = self.gate.refuse(frame, evidence) or self.decider.decide(frame, evidence)
            primary = self.index.documents.get(decision.primary_document or "") or {}
            if as_of is not None or primary.get("status") != "superseded" or (filters or {}).get("status"):
                break
        return hits, evidence, decision

    def _covers(self, own, hits, issuer: str) -> bool:
        """Whether ``issuer``'s best policy in ``own`` is about what the best policy of any issuer in
        ``hits`` is about: its passage nearly as close to the question (``ISSUER_MARGIN``), or, within
        ``ISSUER_WIDE_MARGIN``, its title close in meaning to the title of one of the top 3 policies found (a plan's CGRP policy
        and another's, worded apart; never a plan's lumbar MRI policy for an epidural question)."""
        mine, best = _best_policy(own, issuer), _best_policy(hits)
        if mine == float("-inf"):
            return False
        if mine >= best - ISSUER_MARGIN:
            return True
        if self.similarity is None or mine < best - ISSUER_WIDE_MARGIN:
            return False
        mine_title = next(h.chunk.title for h in own if h.chunk.doc_type == "policy" and h.chunk.issuer == issuer)
        found = list(dict.fromkeys(h.chunk.title for h in hits if h.chunk.doc_type == "policy"))[:3]
        return float(max(self.similarity.similarities(mine_title, found))) >= SAME_SERVICE_TITLE

    def ask(self, question: str, patient: str | None = None, filters: dict | None = None, k: int | None = None,
            progress: Callable[[str, dict], None] | None = None,
            checkpoint: Callable[[str], None] | None = None, *, payer: str | None = None, as_of=None) -> Answer:
        """The cited determination. ``progress(event, data)`` is told when composing starts
        (after retrieval), so a stream can report it as it happens. ``checkpoint(stage)`` is called
        after each stage (understood, retrieved, decided, composed); it may raise to stop the
        answer there, which is how a request deadline frees its worker. ``payer`` names the plan
        whose policy should decide (else the question or the record may name it); ``as_of`` (a date
        or 'YYYY-MM-DD') is the date of service whose policy versions decide."""
        step = checkpoint or (lambda stage: None)
        if not isinstance(question, str) or not question.strip():
            raise BadRequest("question must be a non-empty string", code="empty_question")
        limit = self.settings.api.max_question_chars  # one limit for the CLI, the API and the evals
        if len(question) > limit:
            raise BadRequest(f"question is {len(question)} characters; the limit is {limit}", code="question_too_long")
        if patient is not None and not isinstance(patient, str):
            raise BadRequest("patient must be text", code="bad_patient")
        day = _as_of(as_of)
        timings: dict[str, float] = {}
        t0 = time.perf_counter()
        frame = understand(question, patient)
        plan = self.payers.named(question, patient, payer)
        step("understood")
        hits, evidence, decision = self._decide(frame, question, patient, filters, k or self.settings.retrieval.k,
                                                plan, day)
        t1 = time.perf_counter()
        timings["retrieval"] = (t1 - t0) * 1000
        step("retrieved")
        if progress is not None:
            progress("composing", {"passages": len(hits), "retrieval_ms": round(timings["retrieval"], 2)})
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
            why += review_reasons(signals)
            answer.needs_review = bool(why)
            if why:
                answer.flags.insert(0, "needs human review: " + "; ".join(why))
        answer = state(answer, decided_under(self.index.documents, decision, answer, plan, day))
        timings["composing"] = (time.perf_counter() - t1) * 1000
        timings["total"] = (time.perf_counter() - t0) * 1000
        answer.timings_ms = {k2: round(v, 2) for k2, v in timings.items()}
        return answer


ISSUER_MARGIN = 0.05  # cosine: how far below any issuer's best policy passage the named plan's best may be
ISSUER_WIDE_MARGIN = 0.20  # … or this far, when the two policies' titles are close in meaning
SAME_SERVICE_TITLE = 0.60  # title cosine: one service 0.69–0.92, the nearest other service ≤ 0.49 (evals/issuers corpus)


def _best_policy(hits, issuer: str | None = None) -> float:
    sims = [h.dense_similarity or 0.0 for h in hits if h.chunk.doc_type == "policy" and (issuer is None or h.chunk.issuer == issuer)]
    return max(sims, default=float("-inf"))


def _as_of(value):
    try:
        return parse_day(value)
    except (TypeError, ValueError):
        raise BadRequest(f"as_of must be a date written YYYY-MM-DD, not {str(value)[:40]!r}", code="bad_as_of") from None
