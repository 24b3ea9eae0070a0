"""A chat turn: read the message against the session's conversation, ask the engine the
resolved question with the accumulated patient facts, store the turn, record it."""

from __future__ import annotations

import json
import queue
import threading
import logging
from dataclasses import dataclass, replace
from typing import Iterator

from app.api.access import Principal
from app.api.audit import Recorder
from app.api.conversation import Conversation, follow
from app.api.logs import emit
from app.api.models import ChatRequest, ChatResponse
from app.api.runtime import Runtime
from app.api.sessions import Session, SessionStore
from app.api.slots import NO_CORPUS, Slots
from app.errors import AppError

MAX_TURNS_KEPT = 50


@dataclass
class PendingTurn:
    session: Session
    conversation: Conversation
    message_chars: int

    @property
    def question(self) -> str:
        return self.conversation.question or ""

    @property
    def patient(self) -> str | None:
        return self.conversation.patient_text

    @property
    def scope(self) -> dict:
        """The plan and the date of service the conversation was given."""
        return {"payer": self.conversation.payer, "as_of": self.conversation.as_of}


class Chats:
    def __init__(self, store: SessionStore, runtime: Runtime, recorder: Recorder):
        self.store = store
        self.runtime = runtime
        self.recorder = recorder
        self._slots: tuple[object, Slots] = (None, NO_CORPUS)  # (the index they were learned from, slots)

    def slots(self) -> Slots:
        """Which terms are conditions and which interventions, learned from the loaded index
        (again after an upload swaps it in); none while no index is loaded."""
        index = getattr(self.runtime.engine, "index", None)
        if index is None:
            return NO_CORPUS
        if self._slots[0] is not index:
            self._slots = (index, Slots.from_index(index))
        return self._slots[1]

    def begin(self, who: Principal, body: ChatRequest) -> PendingTurn:
        """The turn read against its session, refused (before a stream starts) if over a limit."""
        bounds = self.runtime.bounds
        session = self.store.get(body.session_id, who.name) if body.session_id else self.store.new(who.name)
        bounds.turn(session.conversation.chars, body.message, body.patient)
        conversation = follow(session.conversation, body.message, body.patient, self.slots())
        if body.payer:
            conversation = replace(conversation, payer=body.payer)
        if body.as_of:
            conversation = replace(conversation, as_of=body.as_of.isoformat())
        bounds.answerable(conversation.question or "", conversation.patient_text)
        return PendingTurn(session, conversation, len(body.message))

    def finish(self, who: Principal, turn: PendingTurn, answer) -> ChatResponse:
        session = turn.session
        session.conversation = turn.conversation
        session.turns = (session.turns + [{"message_chars": turn.message_chars, "question": turn.question,
                                           "verdict": answer.verdict, "at": self.store.clock()}])[-MAX_TURNS_KEPT:]
        self.store.save(session)
        self.recorder.answered(who, "chat", turn.question, turn.patient, answer, session_id=session.id)
        return ChatResponse(session_id=session.id, question=turn.question, patient=turn.patient, answer=answer)

    def answer(self, who: Principal, body: ChatRequest) -> ChatResponse:
        turn = self.begin(who, body)
        return self.finish(who, turn, self.runtime.ask(turn.question, turn.patient, **turn.scope))

    def events(self, who: Principal, turn: PendingTurn) -> Iterator[str]:
        """Server-Sent Events: ``retrieving``, ``composing``, then ``answer`` (or ``error``)."""
        yield sse("retrieving", {"session_id": turn.session.id, "question": turn.question})
        events: queue.Queue = queue.Queue()

        def work() -> None:  # the engine reports "composing" as it starts composing
            try:
                events.put(("answer", self.runtime.ask(
                    turn.question, turn.patient, progress=lambda name, data: events.put((name, data)), **turn.scope)))
            except Exception as exc:  # handed to the stream below
                events.put(("failed", exc))

        threading.Thread(target=work, daemon=True).start()
        try:
            while True:
                name, payload = events.get()
                if name == "failed":
                    raise payload
                if name == "answer":
                    break
                yield sse(name, payload)
            response = self.finish(who, turn, payload)
        except AppError as exc:
            yield sse("error", exc.body())
            return
        except Exception:  # the stream has started: report in-band, log the cause
            emit("stream_failed", logging.ERROR, exc_info=True)
            yield sse("error", {"error": {"code": "internal_error", "message": "the answer could not be produced"}})
            return
        yield sse("answer", response.model_dump(mode="json"))


def sse(event: str, data: dict) -> str:
    return f"event: {event}\ndata: {json.dumps(data)}\n\n"
