"""The OpenAI-compatible API (``/v1/models``, ``/v1/chat/completions``), so chat front ends and
the ``openai`` client work unchanged. The model is ``criterion``; the reply is the determination
rendered as Markdown with numbered citations and a reference list.

The endpoint is stateless, as OpenAI's is: the user messages are replayed through the same
follow-up reading as ``/v1/chat``, and the last one is answered. A user or system message that
starts with ``Patient:`` adds patient facts instead of asking. The messages are held to the
conversation limits (app/api/bounds.py) before any of them is replayed."""

from __future__ import annotations

import json
import re
import secrets
import time
from dataclasses import replace
from typing import Iterator

from fastapi import APIRouter, Depends, Request
from fastapi.responses import StreamingResponse

from app.api.access import Principal, caller
from app.api.bounds import Bounds
from app.api.conversation import Conversation, follow
from app.api.slots import NO_CORPUS, Slots
from app.api.models import (Completion, CompletionChoice, CompletionMessage, CompletionRequest, ModelCard, ModelList,
                            Usage, SOMETHING)
from app.errors import AppError, NotFound
from app.engine.compose.markdown import to_markdown

router = APIRouter(tags=["OpenAI-compatible"])
MODEL = "criterion"
CREATED = 1767225600  # 2026-01-01, a fixed "created" for the model card
PATIENT_PREFIX = "patient:"
CHUNK_EVENT = {"type": "object", "required": ["data"], "properties": {
    "data": {"type": "string", "description": "A chat.completion.chunk as JSON; the last event is `[DONE]`."}}}


_EDGES = re.compile(r"^[\s\x00-\x1f\x7f]+|[\s\x00-\x1f\x7f]+$")  # spaces and control characters
_SOMETHING = re.compile(SOMETHING)


class NoQuestion(AppError):
    status, code = 422, "no_question"


@router.get("/v1/models", response_model=ModelList, summary="The one model: criterion")
def models(who: Principal = Depends(caller)) -> ModelList:
    return ModelList(data=[ModelCard(id=MODEL, created=CREATED)])


@router.post("/v1/chat/completions", response_model=Completion,
             responses={200: {"content": {"text/event-stream": {"schema": CHUNK_EVENT}}}},
             summary="OpenAI-compatible chat completion (stream true/false)")
def completions(body: CompletionRequest, request: Request, who: Principal = Depends(caller)):
    if body.model != MODEL:
        raise NotFound(f"model {body.model!r} does not exist; the model is {MODEL!r}", code="model_not_found")
    state = request.app.state
    conversation = conversation_of(body, state.bounds, state.chats.slots())
    answer = state.runtime.ask(conversation.question, conversation.patient_text)
    state.recorder.answered(who, "completion", conversation.question, conversation.patient_text, answer)
    text = to_markdown(answer)
    completion_id, created = "chatcmpl-" + secrets.token_hex(12), int(time.time())
    if body.stream:
        return StreamingResponse(chunks(completion_id, created, text), media_type="text/event-stream",
                                 headers={"Cache-Control": "no-store"})
    prompt = sum(len(m.text().split()) for m in body.messages)
    completion = len(text.split())
    return Completion(id=completion_id, created=created, model=MODEL,
                      choices=[CompletionChoice(message=CompletionMessage(content=text))],
                      usage=Usage(prompt_tokens=prompt, completion_tokens=completion, total_tokens=prompt + completion),
                      citations=answer.citations, verdict=answer.verdict)


def conversation_of(body: CompletionRequest, bounds: Bounds, slots: Slots = NO_CORPUS) -> Conversation:
    """The conversation the messages hold, once they are known to be within ``bounds``; follow-ups
    read with the index's ``slots`` (its conditions and interventions), as ``/v1/chat`` reads them."""
    bounds.message_count(len(body.messages))
    read: list[tuple[str, str]] = []  # ("patient" | "question", text), in order
    for message in body.messages:
        if message.role not in ("user", "system", "developer"):
            continue
        text = _EDGES.sub("", message.text())
        if text[:len(PATIENT_PREFIX)].lower() == PATIENT_PREFIX:
            read.append(("patient", text[len(PATIENT_PREFIX):].strip()))
        elif message.role == "user" and _SOMETHING.search(text):
            read.append(("question", text))
    bounds.conversation_read([t for kind, t in read if kind == "question"], [t for kind, t in read if kind == "patient"])
    conversation = Conversation()
    for kind, text in read:
        if kind == "question":
            conversation = follow(conversation, text, slots=slots)
        elif text and text not in conversation.patient:
            conversation = replace(conversation, patient=conversation.patient + (text,))
    if not conversation.question:
        raise NoQuestion("the messages hold no user question to answer")
    return conversation


def chunks(completion_id: str, created: int, text: str) -> Iterator[str]:
    """OpenAI's streaming format: a role delta, content deltas line by line, a stop, ``[DONE]``."""
    def chunk(delta: dict, finish: str | None = None) -> str:
        body = {"id": completion_id, "object": "chat.completion.chunk", "created": created, "model": MODEL,
                "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}
        return f"data: {json.dumps(body)}\n\n"

    yield chunk({"role": "assistant", "content": ""})
    for line in text.splitlines(keepends=True):
        yield chunk({"content": line})
    yield chunk({}, "stop")
    yield "data: [DONE]\n\n"
