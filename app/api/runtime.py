"""The loaded engine the routes answer from. The embedder is built once at start; after an
upload or delete the routes swap in a fresh ``Engine`` over the new index generation, built
with the same embedder (the model is never reloaded).

Answers run on a pool of ``api.answer_workers`` threads under a deadline of
``api.request_timeout_s`` (time waiting for a worker included). Past it the request gets a 503
``answer_timeout`` at once and its route thread is free; the engine, which cannot be interrupted
from outside, is stopped at its next checkpoint (after understanding, retrieval, the decision and composing)
and otherwise finishes in the background with its answer discarded."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor, TimeoutError as FutureTimeout
from typing import Callable

from app.api.bounds import Bounds
from app.api.logs import emit
from app.backends import make_embeddings
from app.engine import Engine
from app.errors import AppError
from app.schemas import Answer
from app.settings import Settings

BuildEngine = Callable[..., Engine]  # (settings, embeddings=...) -> Engine


class AnswerTimedOut(AppError):
    status, code = 503, "answer_timeout"
    headers = {"Retry-After": "5"}


class Runtime:
    def __init__(self, settings: Settings, build_engine: BuildEngine = Engine.from_settings):
        self.settings = settings
        self.build_engine = build_engine
        self.bounds = Bounds.from_settings(settings.api)
        self.timeout_s = settings.api.request_timeout_s
        self.embeddings = None
        self.engine: Engine | None = None
        self.error: AppError | None = None
        self.writing = threading.Lock()  # one document change at a time in this process
        self.answering = ThreadPoolExecutor(settings.api.answer_workers, thread_name_prefix="answer")

    def start(self) -> None:
        self.embeddings = make_embeddings(self.settings)
        self.reload()

    def reload(self) -> None:
        """Open the committed index generation; without one, stay up and say why on use."""
        try:
            self.engine, self.error = self.build_engine(self.settings, embeddings=self.embeddings), None
        except AppError as exc:
            if self.engine is None:
                self.error = exc
            else:
                raise

    def current(self) -> Engine:
        if self.engine is None:
            raise self.error or AppError("the engine is not loaded")
        return self.engine

    def ask(self, question: str, patient: str | None = None, filters: dict | None = None,
            k: int | None = None, progress=None, *, payer: str | None = None, as_of=None) -> Answer:
        """The engine's answer, within the limits on its input and on its time."""
        self.bounds.answerable(question, patient)
        engine = self.current()
        deadline = time.monotonic() + self.timeout_s

        def checkpoint(stage: str) -> None:  # called by the engine after each of its stages
            if time.monotonic() > deadline:
                raise self._timed_out()

        scope = {key: value for key, value in (("payer", payer), ("as_of", as_of)) if value}  # named only when given
        future = self.answering.submit(engine.ask, question, patient, filters, k, progress=progress,
                                       checkpoint=checkpoint, **scope)
        try:
            return future.result(timeout=self.timeout_s)
        except FutureTimeout:
            queued = future.cancel()  # still waiting for a worker: it never starts
            emit("answer_timeout", seconds=self.timeout_s, queued=queued)
            raise self._timed_out() from None

    def _timed_out(self) -> AnswerTimedOut:
        return AnswerTimedOut(f"the answer took longer than {self.timeout_s:g} s (api.request_timeout_s); "
                              "the service is busy or the question is unusually hard: try again shortly")
