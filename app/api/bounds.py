"""How much text a request may bring, checked in one place before any work is done with it.

The same limits hold whichever endpoint the text arrives through (``/v1/ask``, ``/v1/chat``,
``/v1/chat/stream``, ``/v1/chat/completions``, including ``Patient:`` messages):

- a question or a chat message: ``api.max_question_chars``
- patient context, as one field and as the facts a conversation accumulates: ``api.max_patient_chars``
- a conversation: ``api.max_conversation_chars`` of text read (the user and patient messages of a
  completions request, or everything a chat session has been sent), and ``api.max_messages``
  messages in a completions request.

Conversations are checked before a single message is replayed; follow-up resolution is then
bounded by its inputs (``app/api/conversation.py``), and what reaches the engine is checked
once more (:meth:`Bounds.answerable`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

from app.errors import AppError
from app.settings import APISettings


class InputTooLarge(AppError):
    """Text over one of the limits above; the code and the message name the limit."""

    status, code = 422, "input_too_large"


@dataclass(frozen=True)
class Bounds:
    question_chars: int = 4000
    patient_chars: int = 20_000
    conversation_chars: int = 40_000
    messages: int = 100

    @classmethod
    def from_settings(cls, api: APISettings) -> "Bounds":
        return cls(api.max_question_chars, api.max_patient_chars, api.max_conversation_chars, api.max_messages)

    def question(self, text: str, what: str = "the question") -> None:
        _within(len(text), self.question_chars, "question_too_long", what, "api.max_question_chars")

    def patient(self, text: str | None, what: str = "the patient context") -> None:
        _within(len(text or ""), self.patient_chars, "patient_too_long", what, "api.max_patient_chars")

    def ask(self, question: str, patient: str | None) -> None:
        """One question (``/v1/ask``)."""
        self.question(question)
        self.patient(patient)

    def turn(self, read_so_far: int, message: str, patient: str | None) -> None:
        """One more turn of a chat session that has been sent ``read_so_far`` characters."""
        self.question(message, "the message")
        self.patient(patient)
        total = read_so_far + len(message) + len(patient or "")
        _within(total, self.conversation_chars, "conversation_too_long", "this conversation",
                "api.max_conversation_chars", advice="start a new conversation")

    def message_count(self, count: int) -> None:
        """A completions request of ``count`` messages (any role)."""
        _within(count, self.messages, "too_many_messages", "the request", "api.max_messages", unit="messages",
                advice="send fewer earlier turns")

    def conversation_read(self, questions: Iterable[str], patients: Iterable[str]) -> None:
        """The user questions and ``Patient:`` facts of a completions request, before any is replayed."""
        total = 0
        for text in questions:
            self.question(text, "a user message")
            total += len(text)
        for text in patients:
            self.patient(text, "a Patient: message")
            total += len(text)
        _within(total, self.conversation_chars, "conversation_too_long", "the conversation's user and patient text",
                "api.max_conversation_chars", advice="send fewer earlier turns")

    def answerable(self, question: str, patient: str | None) -> None:
        """What is about to be handed to the engine: the resolved question and all patient facts."""
        self.question(question, "the resolved question")
        self.patient(patient, "the conversation's patient facts")


def _within(size: int, limit: int, code: str, what: str, setting: str, *, unit: str = "characters",
            advice: str = "") -> None:
    if size > limit:
        tail = f"; {advice}" if advice else ""
        raise InputTooLarge(f"{what} is {size:,} {unit}; the limit is {limit:,} ({setting}){tail}", code=code)
