"""Asking and chatting over HTTP: /v1/ask, /v1/chat (follow-ups, accumulated patient facts,
sessions that survive a restart and can be deleted), /v1/chat/stream (SSE)."""

from __future__ import annotations

import json

from fastapi.testclient import TestClient

from app.service import create_app
from service_kit import CPAP, SEED, SEED_PATIENT, bearer


def sections_cited(answer: dict) -> list[str]:
    return [c["section"] for c in answer["citations"]]


def test_ask_returns_the_engine_answer_with_citations(client):
    r = client.post("/v1/ask", json={"question": CPAP}, headers=bearer("clinician"))
    assert r.status_code == 200
    answer = r.json()
    assert answer["verdict"] == "conditional"  # the question does not state the AHI the policy turns on
    assert answer["citations"] and answer["citations"][0]["document_id"] == "policies/pap"
    assert "AHI" in " ".join(c["quote"] for c in answer["citations"])


def test_ask_honours_filters_and_k(client):
    r = client.post("/v1/ask", json={"question": CPAP, "k": 1, "filters": {"document_ids": ["policies/immune-globulin"]}},
                    headers=bearer("clinician"))
    assert r.status_code == 200
    assert {p["document_id"] for p in r.json()["retrieved"]} == {"policies/immune-globulin"}
    assert len(r.json()["retrieved"]) == 1


def test_a_follow_up_is_resolved_against_the_conversation(client):
    h = bearer("reviewer")
    first = client.post("/v1/chat", json={"message": SEED, "patient": SEED_PATIENT}, headers=h).json()
    assert first["question"] == SEED and first["patient"] == SEED_PATIENT
    assert sections_cited(first["answer"])[0].endswith("Myasthenia gravis: maintenance")

    second = client.post("/v1/chat", json={"session_id": first["session_id"], "message": "what about for CIDP?"},
                         headers=h).json()
    assert second["session_id"] == first["session_id"]
    assert second["question"] == SEED.replace("refractory myasthenia gravis", "CIDP")
    assert sections_cited(second["answer"])[0].endswith("CIDP")
    assert second["patient"] == SEED_PATIENT.split("; ", 1)[1]  # "MG-ADL 9, up from 6" named only MG

    third = client.post("/v1/chat", json={"session_id": first["session_id"],
                                          "message": "and if she had failed azathioprine too?"}, headers=h).json()
    assert third["question"] == second["question"]
    assert third["patient"] == f"{second['patient']}; she had failed azathioprine"
    assert third["answer"]["understood"]["patient"]["sex"] == "female"


def test_sessions_survive_a_restart_and_can_be_deleted(settings):
    h = bearer("reviewer")
    with TestClient(create_app(settings)) as c:
        session = c.post("/v1/chat", json={"message": SEED, "patient": SEED_PATIENT}, headers=h).json()["session_id"]
    with TestClient(create_app(settings)) as c:  # a new process would see the same SQLite file
        r = c.post("/v1/chat", json={"session_id": session, "message": "what about for CIDP?"}, headers=h)
        assert r.status_code == 200 and "CIDP" in r.json()["question"]
        view = c.get(f"/v1/chat/{session}", headers=h).json()
        assert [t["question"] for t in view["turns"]] == [SEED, r.json()["question"]]
        assert view["patient"] == [SEED_PATIENT.split("; ", 1)[1]]  # without "MG-ADL 9, up from 6" (MG only)
        assert c.delete(f"/v1/chat/{session}", headers=h).status_code == 204
        gone = c.post("/v1/chat", json={"session_id": session, "message": "and for GBS?"}, headers=h)
        assert gone.status_code == 404 and gone.json()["error"]["code"] == "session_not_found"
        assert c.delete(f"/v1/chat/{session}", headers=h).status_code == 404


def test_a_session_belongs_to_the_key_that_opened_it(client):
    session = client.post("/v1/chat", json={"message": CPAP}, headers=bearer("reviewer")).json()["session_id"]
    r = client.post("/v1/chat", json={"session_id": session, "message": "what about for snoring?"},
                    headers=bearer("clinician"))
    assert r.status_code == 404
    assert client.get(f"/v1/chat/{session}", headers=bearer("clinician")).status_code == 404


def parse_sse(text: str) -> list[tuple[str, dict]]:
    events = []
    for block in text.strip().split("\n\n"):
        fields = dict(line.split(": ", 1) for line in block.splitlines())
        events.append((fields["event"], json.loads(fields["data"])))
    return events


def test_chat_stream_sends_progress_then_the_answer(client):
    r = client.post("/v1/chat/stream", json={"message": SEED, "patient": SEED_PATIENT}, headers=bearer("reviewer"))
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/event-stream")
    events = parse_sse(r.text)
    assert [name for name, _ in events] == ["retrieving", "composing", "answer"]
    answer = events[-1][1]
    assert answer["question"] == SEED and answer["answer"]["citations"]
    follow = client.post("/v1/chat", json={"session_id": answer["session_id"], "message": "what about for CIDP?"},
                         headers={**bearer("reviewer"), "Accept": "text/event-stream"})
    events = parse_sse(follow.text)
    assert events[0] == ("retrieving", {"session_id": answer["session_id"],
                                        "question": SEED.replace("refractory myasthenia gravis", "CIDP")})
    assert sections_cited(events[-1][1]["answer"])[0].endswith("CIDP")


def test_stream_errors_before_the_stream_starts_are_plain_json(client):
    r = client.post("/v1/chat/stream", json={"session_id": "nope", "message": "what about for CIDP?"},
                    headers=bearer("reviewer"))
    assert r.status_code == 404 and r.json()["error"]["code"] == "session_not_found"
