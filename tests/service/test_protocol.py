"""HTTP as clients and operators expect it: OPTIONS and 405 name the path's real methods, HEAD
works on every GET route, responses with question, patient or answer text are never cached, too
many wrong keys from one address are a 429 for that address only, and a 500's log line carries
the exception and its traceback."""

from __future__ import annotations

import json
import logging

from fastapi.testclient import TestClient

from app.api.logs import JsonFormatter
from app.service import create_app
from service_kit import CPAP, SEED, bearer, paced

H = bearer("clinician")


def allow(r) -> set[str]:
    return {m.strip() for m in r.headers["allow"].split(",")}


def test_options_lists_the_methods_each_path_accepts(client):
    expected = {"/": {"GET", "HEAD", "OPTIONS"}, "/v1/ask": {"POST", "OPTIONS"}, "/healthz": {"GET", "HEAD", "OPTIONS"},
                "/v1/chat/abc": {"GET", "HEAD", "DELETE", "OPTIONS"},
                "/v1/documents": {"GET", "HEAD", "POST", "OPTIONS"},
                "/v1/documents/policies/pap": {"GET", "HEAD", "DELETE", "OPTIONS"},
                "/static/app.js": {"GET", "HEAD", "OPTIONS"}}
    for path, methods in expected.items():
        r = client.options(path)
        assert r.status_code == 204 and allow(r) == methods, (path, r.status_code, r.headers.get("allow"))
    assert client.options("/nowhere").status_code == 404
    r = client.put("/v1/chat/abc", headers=H)  # a 405 names every method of the path, not the first route's
    assert r.status_code == 405 and allow(r) == {"GET", "HEAD", "DELETE", "OPTIONS"}
    assert r.json()["error"]["code"] == "method_not_allowed"


def test_head_answers_every_get_route_without_a_body(client):
    for path in ("/", "/healthz", "/readyz", "/metrics", "/static/app.js", "/openapi.json"):
        get, head = client.get(path), client.head(path)
        assert head.status_code == get.status_code == 200, path
        assert head.content == b"" and head.headers["content-type"] == get.headers["content-type"], path
    assert client.head("/v1/documents", headers=H).status_code == 200
    assert client.head("/v1/documents").status_code == 401  # the same rules as GET
    assert client.head("/v1/ask").status_code == 405


def test_responses_with_question_patient_or_answer_text_are_never_stored(client):
    asked = client.post("/v1/ask", json={"question": SEED, "patient": "MG-ADL 9"}, headers=H)
    chat = client.post("/v1/chat", json={"message": SEED}, headers=H)
    responses = [asked, chat,
                 client.post("/v1/chat/stream", json={"message": CPAP}, headers=H),
                 client.get(f"/v1/chat/{chat.json()['session_id']}", headers=H),
                 client.post("/v1/chat/completions", json={"model": "criterion", "messages": [
                     {"role": "user", "content": SEED}]}, headers=H),
                 client.post("/v1/chat/completions", json={"model": "criterion", "stream": True, "messages": [
                     {"role": "user", "content": SEED}]}, headers=H),
                 client.post("/v1/ask", json={"question": ""}, headers=H)]
    for r in responses:
        assert r.headers["cache-control"] == "no-store", (r.request.url, r.headers.get("cache-control"))


def test_too_many_wrong_keys_from_one_address_get_a_429_without_locking_out_others(settings):
    limited = settings.model_copy(update={"api": settings.api.model_copy(update={"max_auth_failures": 3})})
    app = create_app(limited)
    wrong = {"Authorization": "Bearer not-a-key"}
    with TestClient(app, client=("203.0.113.7", 50000)) as guesser, TestClient(app, client=("198.51.100.2", 50000)) as other:
        for _ in range(3):
            assert guesser.post("/v1/ask", json={"question": CPAP}, headers=wrong).status_code == 401
        refused = guesser.post("/v1/ask", json={"question": CPAP}, headers=wrong)
        assert refused.status_code == 429 and refused.json()["error"]["code"] == "rate_limited"
        assert 1 <= int(refused.headers["retry-after"]) <= 300
        assert "failed authentications" in refused.json()["error"]["message"]
        assert guesser.post("/v1/ask", json={"question": CPAP}, headers=H).status_code == 429  # a right guess too
        assert other.post("/v1/ask", json={"question": CPAP}, headers=H).status_code == 200  # other addresses: no
        assert other.post("/v1/ask", json={"question": CPAP}, headers=wrong).status_code == 401
        assert guesser.get("/healthz").status_code == 200


def test_an_unexpected_error_is_logged_with_its_type_message_and_traceback(settings, caplog):
    caplog.set_level(logging.INFO, logger="criterion.api")
    with TestClient(create_app(settings, paced(lambda q: 0.0)), raise_server_exceptions=False) as c:
        r = c.post("/v1/ask", json={"question": "Is BROKEN covered?"}, headers=H)
    assert r.status_code == 500 and r.json() == {"error": {"code": "internal_error",
                                                           "message": "an unexpected error occurred; it has been logged"}}
    lines = [json.loads(JsonFormatter().format(rec)) for rec in caplog.records if rec.name == "criterion.api"]
    [logged] = [line for line in lines if line["event"] == "unhandled_error"]
    assert logged["level"] == "error" and logged["route"] == "/v1/ask" and logged["method"] == "POST"
    error = logged["error"]
    assert error["type"] == "RuntimeError" and error["message"] == "the fake engine broke on purpose"
    assert error["traceback"].startswith("Traceback (most recent call last)") and "in ask" in error["traceback"]
    assert "service_kit.py" in error["traceback"]
