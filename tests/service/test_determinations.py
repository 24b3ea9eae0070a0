"""POST /v1/determinations and `criterion ask --letter`: the seed question's determination letter
as HTML, PDF, JSON and a FHIR ClaimResponse, over the bundled immune globulin policy; bad
requests are 4xx in the one error shape."""

from __future__ import annotations

import io
import json
import re
import shutil
from pathlib import Path

import pytest
import yaml
from fastapi.testclient import TestClient
from pypdf import PdfReader
from typer.testing import CliRunner

from app.cli import app as cli
from app.service import create_app
from ingest.sync import sync
from service_kit import PAP, SEED, SEED_PATIENT, bearer, service_settings

POLICY = Path(__file__).resolve().parents[2] / "corpus" / "policies" / "immune-globulin.md"
META = yaml.safe_load(POLICY.read_text(encoding="utf-8").split("---")[1])
H = bearer("clinician")


@pytest.fixture
def corpus(tmp_path) -> Path:
    folder = tmp_path / "corpus" / "policies"
    folder.mkdir(parents=True)
    shutil.copy(POLICY, folder / "immune-globulin.md")
    (folder / "pap.md").write_text(PAP)
    return tmp_path / "corpus"


@pytest.fixture
def letters(tmp_path, corpus):
    settings = service_settings(tmp_path / "data")
    sync([corpus], settings)
    with TestClient(create_app(settings)) as client:
        yield client


def ask_letter(client, form: str, **extra):
    return client.post("/v1/determinations", json={"question": SEED, "patient": SEED_PATIENT, "format": form, **extra},
                       headers=H)


def test_the_seed_letter_as_html_names_the_policy_version_date_codes_and_criteria(letters):
    r = ask_letter(letters, "html", member={"name": "Jane Q. Public", "identifier": "M-123"})
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/html")
    assert r.headers["cache-control"] == "no-store"
    text = " ".join(re.sub(r"<[^>]+>", " ", re.sub(r"(?s)<style>.*?</style>", "", r.text)).split())
    assert META["title"] in text and f"Effective date {META['effective_date']}" in text
    assert f"Version effective {META['effective_date']}" in text
    assert all(code in text for code in META["codes"]["hcpcs"])
    assert "Jane Q. Public" in text and "M-123" in text
    assert "Criteria" in text and "Not met" in text and "Decision support only" in text
    assert re.search(r'<a class="cite" href="#ref-\d+">\[\d+\]</a>', r.text)


def test_the_seed_letter_as_pdf_opens_with_pypdf_and_holds_the_same_text(letters):
    html = ask_letter(letters, "html").text
    r = ask_letter(letters, "pdf")
    assert r.status_code == 200 and r.headers["content-type"] == "application/pdf"
    assert r.headers["content-disposition"].startswith('inline; filename="CRIT-')
    pdf = re.sub(r"\s+", "", "".join(p.extract_text() for p in PdfReader(io.BytesIO(r.content)).pages))
    for needle in (re.sub(r"\s+", "", META["title"]), f"Effectivedate{META['effective_date']}", "J1459", "J1599", "G70.01",
                   "reauthorizationisfornomorethan6months", "Decisionsupportonly"):
        assert needle in pdf
    letter = ask_letter(letters, "json").json()
    for row in letter["criteria"]:  # every criterion, in both, with its citation markers
        assert re.sub(r"\s+", "", row["text"]) in pdf and row["text"] in html
        assert all(f"[{n}]" in pdf for n in row["citations"])


def test_the_letter_as_json_and_as_a_fhir_claim_response(letters):
    r = ask_letter(letters, "json", requester={"name": "Dr Lee", "identifier": "1234567890"})
    assert r.status_code == 200 and r.headers["content-type"] == "application/json"
    letter = r.json()
    assert letter["verdict"] == "no" and letter["requester"]["identifier"] == "1234567890"
    primary = next(p for p in letter["policies"] if p["primary"])
    assert primary["effective_date"] == str(META["effective_date"]) and primary["title"] == META["title"]
    cited = {c["id"] for c in letter["citations"]}
    assert all(set(row["citations"]) <= cited for row in letter["criteria"])
    fhir = ask_letter(letters, "fhir")
    assert fhir.headers["content-type"] == "application/fhir+json"
    resource = json.loads(fhir.content)
    assert resource["resourceType"] == "ClaimResponse" and resource["requestor"]["display"].startswith("(")
    assert {c["code"] for item in resource["addItem"] for c in item["productOrService"]["coding"]} >= {"J1459", "90283"}


def test_a_letter_for_a_date_of_service_names_the_version_in_force_then(tmp_path, corpus):
    shutil.copy(POLICY.with_name("immune-globulin-2019.md"), corpus / "policies" / "immune-globulin-2019.md")
    settings = service_settings(tmp_path / "data")
    sync([corpus], settings)
    with TestClient(create_app(settings)) as client:
        dated = client.post("/v1/determinations", headers=H, json={
            "question": SEED, "patient": SEED_PATIENT, "format": "json", "as_of": "2020-01-15", "payer": "Cigna"}).json()
        current = client.post("/v1/determinations", headers=H, json={
            "question": SEED, "patient": SEED_PATIENT, "format": "json"}).json()
    lead = next(p for p in dated["policies"] if p["primary"])
    assert (lead["document_id"], lead["effective_date"]) == ("policies/immune-globulin-2019", "2019-07-01")
    assert next(p for p in current["policies"] if p["primary"])["document_id"] == "policies/immune-globulin"


@pytest.mark.parametrize("body, status, code", [
    ({"question": SEED, "format": "docx"}, 422, "invalid_request"),
    ({"question": SEED, "as_of": "2020-02-30"}, 422, "invalid_request"),
    ({"question": SEED, "colour": "red"}, 422, "invalid_request"),
    ({"question": "   "}, 422, "invalid_request"),
    ({"question": SEED, "member": {"name": "x" * 201}}, 422, "invalid_request"),
    ({"question": SEED, "member": {"ssn": "1"}}, 422, "invalid_request"),
    ({"question": "x" * 4001}, 422, "question_too_long"),
    ({"question": SEED, "patient": "x" * 20_001}, 422, "patient_too_long"),
])
def test_bad_requests_are_4xx_in_the_one_error_shape(letters, body, status, code):
    r = letters.post("/v1/determinations", json=body, headers=H)
    assert r.status_code == status and r.json()["error"]["code"] == code, r.text
    assert r.json()["error"]["message"]


def test_a_letter_needs_a_key(letters):
    r = letters.post("/v1/determinations", json={"question": SEED})
    assert r.status_code == 401 and r.json()["error"]["code"] == "unauthorized"


def test_the_openapi_document_names_every_format(letters):
    content = letters.get("/openapi.json").json()["paths"]["/v1/determinations"]["post"]["responses"]["200"]["content"]
    assert {"text/html", "application/pdf", "application/json", "application/fhir+json"} <= set(content)


def test_criterion_ask_letter_writes_the_letter_beside_the_answer(tmp_path, corpus, monkeypatch):
    monkeypatch.setenv("CRITERION_EMBEDDING__BACKEND", "fake")
    index = tmp_path / "ix"
    assert CliRunner().invoke(cli, ["ingest", str(corpus), "--index", str(index)]).exit_code == 0
    out = tmp_path / "letters" / "seed.pdf"
    result = CliRunner().invoke(cli, ["ask", SEED, "--patient", SEED_PATIENT, "--index", str(index), "--letter", str(out)])
    assert result.exit_code == 0, result.output
    assert "Verdict: no" in result.stdout
    text = "".join(p.extract_text() for p in PdfReader(out).pages)
    assert META["title"] in text and "J1459" in text
    bad = CliRunner().invoke(cli, ["ask", SEED, "--index", str(index), "--letter", str(tmp_path / "seed.docx")])
    assert bad.exit_code == 2 and "--letter" in bad.output
