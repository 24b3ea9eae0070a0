"""Access control, limits and the one error shape: keys and roles (401/403), the keys file,
refusing unsafe configurations, body/question limits (413/422), the per-key rate limit (429)."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient

from app.api.access import hash_key, main as keys_main
from app.service import create_app
from service_kit import CPAP, KEYS, bearer, service_settings


def assert_error(r, status: int, code: str | None = None) -> dict:
    assert r.status_code == status, r.text
    body = r.json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message"} and body["error"]["message"]
    if code:
        assert body["error"]["code"] == code
    return body["error"]


def test_every_error_has_one_shape(client):
    h = bearer("clinician")
    assert_error(client.get("/nope"), 404, "not_found")
    assert_error(client.put("/v1/ask", headers=h), 405, "method_not_allowed")
    assert_error(client.post("/v1/ask", json={"question": ""}, headers=h), 422, "invalid_request")
    assert_error(client.post("/v1/ask", content=b"{not json", headers={**h, "Content-Type": "application/json"}), 422)
    assert_error(client.post("/v1/ask", json={"question": CPAP, "filters": {"colour": "red"}}, headers=h), 422)
    missing = assert_error(client.post("/v1/ask", json={"patient": "x"}, headers=h), 422)
    assert "question" in missing["message"]
    assert_error(client.get("/v1/documents/policies/none", headers=h), 404, "document_not_found")


def test_a_key_is_required_and_roles_are_enforced(client):
    r = client.post("/v1/ask", json={"question": CPAP})
    assert_error(r, 401, "unauthorized")
    assert r.headers["www-authenticate"] == "Bearer"
    assert_error(client.post("/v1/ask", json={"question": CPAP}, headers={"Authorization": "Bearer wrong"}), 401)
    assert_error(client.post("/v1/ask", json={"question": CPAP}, headers={"Authorization": f"Basic {KEYS['clinician']}"}), 401)
    for role in ("clinician", "reviewer", "maintainer"):
        assert client.post("/v1/ask", json={"question": CPAP}, headers=bearer(role)).status_code == 200
        assert client.post("/v1/chat", json={"message": CPAP}, headers=bearer(role)).status_code == 200
        assert client.get("/v1/documents", headers=bearer(role)).status_code == 200
    for role in ("clinician", "reviewer"):
        upload = client.post("/v1/documents", files={"file": ("x.md", b"# X\n\nText.\n")}, headers=bearer(role))
        assert_error(upload, 403, "forbidden")
        assert_error(client.delete("/v1/documents/policies/pap", headers=bearer(role)), 403, "forbidden")
    assert client.get("/healthz").status_code == 200  # operations endpoints need no key


def test_keys_come_from_a_file_of_hashes(tmp_path, capsys):
    assert keys_main(["new", "--role", "maintainer", "--name", "ops"]) == 0
    printed = capsys.readouterr().out
    key = printed.split("it is not stored): ")[1].split()[0]
    entry = json.loads(printed.split("keys-file entry: ")[1].splitlines()[0])
    assert key not in json.dumps(entry) and entry["sha256"] == hash_key(key)
    keys_file = tmp_path / "keys.json"
    keys_file.write_text(json.dumps({"keys": [entry]}))
    settings = service_settings(tmp_path / "data", keys=None, keys_file=keys_file)
    with TestClient(create_app(settings)) as c:
        assert_error(c.get("/v1/documents", headers={"Authorization": f"Bearer {key}"}), 503, "index_unavailable")
        assert_error(c.get("/v1/documents", headers=bearer("maintainer")), 401)


def test_unsafe_or_broken_configurations_refuse_to_start(tmp_path):
    with pytest.raises(ValueError, match="auth off"):
        create_app(service_settings(tmp_path, auth="off", host="0.0.0.0"))
    with pytest.raises(ValueError, match="no API keys"):
        create_app(service_settings(tmp_path, keys=None))
    bad = tmp_path / "keys.json"
    bad.write_text('{"keys": [{"name": "x", "role": "admin", "sha256": "abc"}]}')
    with pytest.raises(ValueError, match="keys file"):
        create_app(service_settings(tmp_path, keys=None, keys_file=bad))
    with pytest.raises(ValueError, match="name:role:sha256hex"):
        create_app(service_settings(tmp_path, keys="just-a-key"))


def test_auth_off_on_loopback_serves_without_a_key(settings):
    off = settings.model_copy(update={"api": settings.api.model_copy(update={"auth": "off", "keys": None})})
    with TestClient(create_app(off)) as c:
        assert c.post("/v1/ask", json={"question": CPAP}).status_code == 200


def test_rate_limit_per_key_is_a_429_with_retry_after(settings):
    limited = settings.model_copy(update={"api": settings.api.model_copy(update={"rate_limit_per_minute": 3})})
    with TestClient(create_app(limited)) as c:
        for _ in range(3):
            assert c.post("/v1/ask", json={"question": CPAP}, headers=bearer("clinician")).status_code == 200
        r = c.post("/v1/ask", json={"question": CPAP}, headers=bearer("clinician"))
        assert_error(r, 429, "rate_limited")
        assert 1 <= int(r.headers["retry-after"]) <= 20
        assert c.post("/v1/ask", json={"question": CPAP}, headers=bearer("reviewer")).status_code == 200  # per key


def test_body_and_question_limits(settings):
    small = settings.model_copy(update={"api": settings.api.model_copy(update={"max_body_bytes": 2048,
                                                                               "max_question_chars": 100})})
    with TestClient(create_app(small)) as c:
        h = bearer("clinician")
        big = c.post("/v1/ask", json={"question": CPAP, "patient": "x" * 5000}, headers=h)
        assert_error(big, 413, "request_too_large")
        long = c.post("/v1/ask", json={"question": "Is CPAP covered " + "really " * 20 + "?"}, headers=h)
        assert_error(long, 422, "question_too_long")
        chat = c.post("/v1/chat", json={"message": "Is CPAP covered " + "really " * 20 + "?"}, headers=h)
        assert_error(chat, 422, "question_too_long")
        body = b'{"question": "Is CPAP covered?", "patient": "' + b"x" * 5000 + b'"}'
        streamed = c.post("/v1/ask", content=iter([body[:1500], body[1500:]]),  # chunked: no Content-Length,
                          headers={**h, "Content-Type": "application/json"})  # so it is counted as it arrives
        assert_error(streamed, 413, "request_too_large")
    with TestClient(create_app(settings)) as c:
        too_long = c.post("/v1/ask", json={"question": "a" * 4001}, headers=bearer("clinician"))
        assert "api.max_question_chars" in assert_error(too_long, 422, "question_too_long")["message"]
