"""The service's entry point: ``create_app(settings)`` serves health, readiness and ask with the one
error shape, and refuses configurations that would be unsafe. (tests/service/ covers the rest.)"""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from app.service import create_app
from ingest.sync import sync


def local(settings):
    """Auth off, which create_app allows on loopback only (``make run``)."""
    return settings.model_copy(update={"api": settings.api.model_copy(update={"auth": "off"})})


@pytest.fixture
def client(tmp_path, fake_settings):
    corpus = tmp_path / "c"
    corpus.mkdir()
    (corpus / "pap.md").write_text("# PAP\n\n## Policy\n\nCPAP is covered for obstructive sleep apnea with AHI of 15 or more.\n")
    sync([corpus], fake_settings)
    with TestClient(create_app(local(fake_settings))) as c:
        yield c


def test_health_ready_and_ask(client):
    assert client.get("/healthz").json() == {"status": "ok"}
    assert client.get("/readyz").json()["documents"] == 1
    answer = client.post("/v1/ask", json={"question": "Is CPAP covered for obstructive sleep apnea?"}).json()
    assert answer["citations"]


@pytest.mark.xfail(strict=True, raises=AssertionError, reason=(
    "the README's verdict convention makes this 'conditional' (the decision turns on the AHI, which the "
    "question does not state), but the engine answers 'yes': pap.md has no front matter, so its doc_type is "
    "'document', not 'policy', and the guideline path reads 'CPAP is covered ... with AHI of 15 or more' as a "
    "positive stance without checking the AHI threshold"))
def test_a_coverage_question_without_its_deciding_fact_is_conditional(client):
    answer = client.post("/v1/ask", json={"question": "Is CPAP covered for obstructive sleep apnea?"}).json()
    assert answer["verdict"] == "conditional"


def test_errors_share_one_shape(client):
    empty = client.post("/v1/ask", json={"question": ""})
    assert empty.status_code == 422 and empty.json()["error"]["code"] == "invalid_request"
    missing = client.get("/nope")
    assert missing.status_code == 404 and set(missing.json()["error"]) == {"code", "message"}


def test_no_index_is_a_clear_503(fake_settings):
    with TestClient(create_app(local(fake_settings))) as c:
        r = c.post("/v1/ask", json={"question": "Is CPAP covered?"})
        assert r.status_code == 503 and "criterion ingest" in r.json()["error"]["message"]
        assert c.get("/readyz").status_code == 503


def test_auth_off_refuses_a_public_interface(fake_settings):
    settings = fake_settings.model_copy(update={"api": fake_settings.api.model_copy(update={"auth": "off", "host": "0.0.0.0"})})
    with pytest.raises(ValueError, match="auth off"):
        create_app(settings)


def test_auth_on_without_keys_refuses_to_start(fake_settings):
    with pytest.raises(ValueError, match="no API keys are configured"):
        create_app(fake_settings)


def test_openapi_docs_are_served_without_a_cdn(client):
    page = client.get("/docs")
    assert page.status_code == 200 and "/docs-assets/swagger-ui-bundle.js" in page.text and "cdn" not in page.text.lower()
    assert client.get("/docs-assets/swagger-ui-bundle.js").status_code == 200
