"""What operators see: health, readiness, Prometheus metrics, JSON logs that never hold question
or patient text, the append-only audit trail, and the OpenAPI description."""

from __future__ import annotations

import json
import logging

from app.api.logs import JsonFormatter
from service_kit import CPAP, SEED, SEED_PATIENT, bearer


def test_health_and_readiness(client):
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz").json()
    assert ready["status"] == "ready" and ready["documents"] == 2 and ready["chunks"] == 4
    assert ready["embedder"] == "fake:384" and ready["generation"] == ready["latest_generation"]


def test_metrics_count_requests_answers_and_ingests(client):
    client.post("/v1/ask", json={"question": CPAP}, headers=bearer("clinician"))
    client.post("/v1/ask", json={"question": CPAP}, headers=bearer("clinician"))
    client.get("/v1/documents/policies/pap", headers=bearer("clinician"))
    client.post("/v1/documents", files={"file": ("k.md", b"# K\n\nKnee arthroscopy is not covered.\n")},
                headers=bearer("maintainer"))
    client.post("/v1/documents", files={"file": ("k.pdf", b"\x7fELF")}, headers=bearer("maintainer"))
    text = client.get("/metrics").text
    assert 'criterion_http_requests_total{method="POST",route="/v1/ask",status="200"} 2.0' in text
    assert 'criterion_http_requests_total{method="GET",route="/v1/documents/{document_id:path}",status="200"} 1.0' in text
    assert 'criterion_http_request_duration_seconds_count{route="/v1/ask"} 2.0' in text
    assert 'criterion_answers_total{verdict="conditional"} 2.0' in text
    assert 'criterion_ingest_documents_total{outcome="added"} 1.0' in text
    assert 'criterion_uploads_rejected_total{reason="unsupported_file_type"} 1.0' in text


def test_logs_and_audit_never_hold_the_question_or_patient_text(client, settings, caplog):
    caplog.set_level(logging.INFO, logger="criterion.api")
    client.post("/v1/ask", json={"question": SEED, "patient": SEED_PATIENT}, headers=bearer("clinician"))
    chat = client.post("/v1/chat", json={"message": SEED, "patient": SEED_PATIENT}, headers=bearer("reviewer")).json()
    client.post("/v1/chat", json={"session_id": chat["session_id"], "message": "and if she had failed azathioprine too?"},
                headers=bearer("reviewer"))
    client.post("/v1/chat/completions", json={"model": "criterion", "messages": [{"role": "user", "content": SEED}]},
                headers=bearer("clinician"))
    lines = [JsonFormatter().format(r) for r in caplog.records if r.name == "criterion.api"]
    audit = (settings.data_dir / "audit.jsonl").read_text()
    for secret in ("myasthenia", "MG-ADL", "mycophenolate", "azathioprine", "IVIG"):
        assert all(secret not in line for line in lines), secret
        assert secret not in audit, secret
    answers = [json.loads(line) for line in lines if json.loads(line)["event"] == "answer"]
    assert len(answers) == 4
    first = answers[0]
    assert first["question"] == {"hmac": first["question"]["hmac"], "chars": len(SEED)}
    assert first["patient"]["chars"] == len(SEED_PATIENT) and first["who"] == "clinician-user"
    assert answers[0]["question"]["hmac"] == answers[1]["question"]["hmac"]  # same text, same fingerprint
    requests = [json.loads(line) for line in lines if json.loads(line)["event"] == "request"]
    assert {"method", "route", "status", "ms", "who"} <= set(requests[0])
    assert {(r["route"], r["who"]) for r in requests} >= {("/v1/ask", "clinician-user"), ("/v1/chat", "reviewer-user")}

    entries = [json.loads(line) for line in audit.splitlines()]
    assert [(e["who"], e["role"], e["action"]) for e in entries] == [
        ("clinician-user", "clinician", "ask"), ("reviewer-user", "reviewer", "chat"),
        ("reviewer-user", "reviewer", "chat"), ("clinician-user", "clinician", "completion")]
    assert entries[0]["documents"] == ["policies/immune-globulin"] and entries[0]["verdict"]
    assert entries[1]["session_id"] == chat["session_id"] and entries[0]["at"].endswith("Z")


def test_the_audit_trail_is_append_only_across_restarts(settings):
    from fastapi.testclient import TestClient

    from app.service import create_app

    for _ in range(2):
        with TestClient(create_app(settings)) as c:
            c.post("/v1/ask", json={"question": CPAP}, headers=bearer("clinician"))
            c.post("/v1/documents", files={"file": ("k.md", b"# K\n\nKnee arthroscopy is not covered.\n")},
                   headers=bearer("maintainer"))
    entries = [json.loads(line) for line in (settings.data_dir / "audit.jsonl").read_text().splitlines()]
    assert [e["action"] for e in entries] == ["ask", "upload", "ask", "upload"]
    assert entries[1]["added"] == ["uploads/k"] and "added" not in entries[3]  # the second upload changed nothing


def test_openapi_and_docs_are_served(client):
    spec = client.get("/openapi.json").json()
    assert {"/v1/ask", "/v1/chat", "/v1/chat/stream", "/v1/chat/completions", "/v1/documents",
            "/v1/documents/{document_id}", "/healthz", "/readyz", "/metrics"} <= set(spec["paths"])
    error = spec["paths"]["/v1/ask"]["post"]["responses"]["422"]["content"]["application/json"]["schema"]
    assert error == {"$ref": "#/components/schemas/ErrorBody"}
    assert client.get("/docs").status_code == 200
