"""The loaded engine the routes answer from. The embedder is built once at start; after an
upload or delete the routes swap in a fresh ``Engine`` over the new index generation, built
with the same embedder (the model is never reloaded)."""

from __future__ import annotations

import threading

from app.backends import make_embeddings
from app.engine import Engine
from app.errors import AppError, BadRequest
from app.schemas import Answer
from app.settings import Settings


class QuestionTooLong(BadRequest):
    status, code = 422, "question_too_long"


class Runtime:
    def __init__(self, settings: Settings):
        self.settings = settings
        self.embeddings = None
        self.engine: Engine | None = None
        self.error: AppError | None = None
        self.writing = threading.Lock()  # one document change at a time in this process

    def start(self) -> None:
        self.embeddings = make_embeddings(self.settings)
        self.reload()

    def reload(self) -> None:
        """Open the committed index generation; without one, stay up and say why on use."""
        try:
            self.engine, self.error = Engine.from_settings(self.settings, embeddings=self.embeddings), None
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
            k: int | None = None, progress=None) -> Answer:
        limit = self.settings.api.max_question_chars
        if len(question) > limit:
            raise QuestionTooLong(f"the question is {len(question)} characters; the limit is {limit}")
        return self.current().ask(question, patient, filters, k, progress=progress)
