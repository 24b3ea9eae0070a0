"""Routes for questions: ``/v1/ask`` (one question) and ``/v1/chat`` (a conversation, also as
Server-Sent Events on ``/v1/chat/stream`` or with ``Accept: text/event-stream``)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import StreamingResponse

from app.api.access import Principal, caller
from app.api.models import AskRequest, ChatRequest, ChatResponse, SessionView
from app.schemas import Answer

router = APIRouter(tags=["questions"])

SSE_EVENT = {"type": "object", "required": ["event", "data"], "properties": {
    "event": {"type": "string", "enum": ["retrieving", "composing", "answer", "error"]},
    "data": {"type": "string", "description": "JSON: for `answer` a ChatResponse, for `error` an ErrorBody."}}}
SSE_RESPONSE = {200: {"description": "Server-Sent Events: `retrieving`, `composing`, then `answer` "
                                     "(its data is a ChatResponse) or `error`.",
                      "content": {"text/event-stream": {"schema": SSE_EVENT}}}}
SSE_HEADERS = {"Cache-Control": "no-store", "X-Accel-Buffering": "no"}


@router.post("/v1/ask", response_model=Answer, summary="Answer one question with a cited determination")
def ask(body: AskRequest, request: Request, who: Principal = Depends(caller)) -> Answer:
    state = request.app.state
    state.bounds.ask(body.question, body.patient)
    filters = body.filters.model_dump(exclude_none=True) if body.filters else None
    answer = state.runtime.ask(body.question, body.patient, filters, body.k, payer=body.payer, as_of=body.as_of)
    state.recorder.answered(who, "ask", body.question, body.patient, answer)
    return answer


@router.post("/v1/chat", response_model=ChatResponse,
             responses={200: {"content": {"text/event-stream": {"schema": SSE_EVENT}}}},
             summary="One turn of a conversation; follow-ups are resolved against it")
def chat(body: ChatRequest, request: Request, who: Principal = Depends(caller)):
    chats = request.app.state.chats
    if "text/event-stream" in request.headers.get("accept", ""):
        return StreamingResponse(chats.events(who, chats.begin(who, body)), media_type="text/event-stream",
                                 headers=SSE_HEADERS)
    return chats.answer(who, body)


@router.post("/v1/chat/stream", response_class=StreamingResponse, responses=SSE_RESPONSE,
             summary="One turn of a conversation, as Server-Sent Events")
def chat_stream(body: ChatRequest, request: Request, who: Principal = Depends(caller)) -> StreamingResponse:
    chats = request.app.state.chats
    return StreamingResponse(chats.events(who, chats.begin(who, body)), media_type="text/event-stream",
                             headers=SSE_HEADERS)


@router.get("/v1/chat/{session_id}", response_model=SessionView, summary="A conversation's state")
def chat_session(session_id: str, request: Request, who: Principal = Depends(caller)) -> SessionView:
    store = request.app.state.chats.store
    session = store.get(session_id, who.name)
    return SessionView(session_id=session.id, question=session.conversation.question,
                       patient=list(session.conversation.patient), turns=session.turns,
                       expires_at=session.updated + store.ttl)


@router.delete("/v1/chat/{session_id}", status_code=204, summary="Delete a conversation")
def delete_chat(session_id: str, request: Request, who: Principal = Depends(caller)) -> None:
    request.app.state.chats.store.delete(session_id, who.name)
