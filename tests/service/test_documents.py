"""Documents over HTTP: list and show; a maintainer uploads (checked by content, stored under a
sanitised name, ingested incrementally, answered from at once) and deletes. Bad uploads get a 4xx
with the reason and leave the index answering exactly as before."""

from __future__ import annotations

import pytest
from hostile_documents import ALIAS_BOMB
from fastapi.testclient import TestClient

import chromium
from app.api.uploads import UploadFolder
from app.service import create_app
from pdfs import encrypt_pdf, make_pdf
from service_kit import CPAP, SEED, SEED_PATIENT, bearer

M = bearer("maintainer")
KNEE = b"""---
title: Knee arthroscopy
doc_type: policy
---
# Knee arthroscopy

## Policy

Arthroscopic debridement of the knee is not covered for osteoarthritis of the knee.
"""
KNEE_Q = "Is arthroscopic debridement covered for knee osteoarthritis?"


def snapshot(client) -> dict:
    """What a user can observe of the index: its documents, its generation, and two answers."""
    ask = lambda q, p=None: {k: v for k, v in client.post("/v1/ask", json={"question": q, "patient": p},
                                                          headers=M).json().items() if k != "timings_ms"}
    return {"documents": client.get("/v1/documents", headers=M).json(),
            "generation": client.get("/readyz").json()["generation"],
            "seed": ask(SEED, SEED_PATIENT), "cpap": ask(CPAP)}


def test_list_and_show_documents(client):
    listing = client.get("/v1/documents", headers=bearer("clinician")).json()
    assert listing["count"] == 2
    assert [d["id"] for d in listing["documents"]] == ["policies/immune-globulin", "policies/pap"]
    ivig = listing["documents"][0]
    assert ivig == {"id": "policies/immune-globulin", "title": "Immune globulin", "issuer": "Test plan",
                    "doc_type": "policy", "effective_date": "2026-01-01", "status": "current", "chunks": 3,
                    "uploaded": False}
    detail = client.get("/v1/documents/policies/immune-globulin", headers=bearer("clinician")).json()
    assert [s["name"] for s in detail["sections"]] == [
        "Immune globulin > Myasthenia gravis: acute exacerbation", "Immune globulin > Myasthenia gravis: maintenance",
        "Immune globulin > CIDP"]


def test_documents_show_issuer_date_and_where_each_came_from_and_filter_by_issuer(tmp_path):
    from ingest.sync import sync
    from service_kit import service_settings, write_corpus

    settings = service_settings(tmp_path / "data")
    corpus = write_corpus(tmp_path / "corpus")
    (corpus / "payers").mkdir()
    (corpus / "payers" / "hbot.pdf").write_bytes(make_pdf([["Acme Health Plan", "Effective Date: 03/01/2025",
                                                            "1.0 POLICY", "Hyperbaric oxygen is covered for Wagner grade 3 ulcers."]],
                                                           title="Hyperbaric oxygen"))
    (corpus / "payers" / "knee.md").write_bytes(KNEE.replace(b"doc_type: policy", b"doc_type: policy\n"
                                                             b"issuer: American College of Physicians; Acme Health"))
    (corpus / "payers" / "manifest.csv").write_text("file,issuer,revision\nhbot.pdf,Acme Health,R-3\n")
    assert sync([corpus], settings).ok
    with TestClient(create_app(settings)) as c:
        listing = c.get("/v1/documents", headers=bearer("clinician")).json()["documents"]
        hbot = next(d for d in listing if d["id"] == "payers/hbot")
        assert (hbot["issuer"], hbot["effective_date"], hbot["status"]) == ("Acme Health", "2025-03-01", "current")
        for wanted in ("acme health", "ACME HEALTH", " Acme  Health "):
            only = c.get("/v1/documents", params={"issuer": wanted}, headers=bearer("clinician")).json()
            assert [d["id"] for d in only["documents"]] == ["payers/hbot", "payers/knee"] and only["count"] == 2
        assert c.get("/v1/documents", params={"issuer": "test plan"}, headers=M).json()["count"] == 2
        assert c.get("/v1/documents", params={"issuer": "Acme"}, headers=M).json() == {"count": 0, "documents": []}
        assert c.get("/v1/documents", params={"issuer": "x" * 301}, headers=M).status_code == 422
        detail = c.get("/v1/documents/payers/hbot", headers=M).json()
        assert detail["revision"] == "R-3" and detail["metadata_sources"]["issuer"] == "manifest"
        assert detail["metadata_sources"]["effective_date"] == "first-page"
        assert detail["metadata_sources"]["title"] == "pdf-metadata" and detail["metadata_warnings"] == []
        ivig = c.get("/v1/documents/policies/immune-globulin", headers=M).json()
        assert ivig["metadata_sources"]["issuer"] == "front-matter" and ivig["metadata_sources"]["policy_number"] == "none"


def test_citations_carry_the_issuer_and_the_effective_date(client):
    answer = client.post("/v1/ask", json={"question": SEED, "patient": SEED_PATIENT}, headers=M).json()
    assert answer["citations"]
    assert {(c["issuer"], c["effective_date"]) for c in answer["citations"]} == {("Test plan", "2026-01-01")}


@pytest.mark.skipif(not chromium.available(), reason=f"needs Debian's chromium at {chromium.CHROMIUM} "
                                                      "(apt-get install chromium; `make test` installs it)")
def test_the_web_page_shows_issuer_and_date_on_each_reference(settings, tmp_path):
    from urllib.parse import urlencode

    from service_kit import served

    local = settings.model_copy(update={"api": settings.api.model_copy(update={"auth": "off", "keys": None})})
    with served(create_app(local)) as url:
        browser = chromium.Browser(tmp_path / "profile")
        try:
            browser.open(f"{url}/#{urlencode({'q': SEED, 'patient': SEED_PATIENT})}")
            browser.wait_for("document.querySelector('#answer .references li') !== null")
            shown = browser.js("[...document.querySelectorAll('.references li .provenance')].map(p => p.textContent)")
            count = browser.js("document.querySelectorAll('.references li').length")
        finally:
            browser.close()
    assert count and shown == ["Test plan · effective 2026-01-01"] * count


def test_upload_is_ingested_and_answered_from(client, settings):
    r = client.post("/v1/documents", files={"file": ("../../etc/Knee Arthroscopy.MD", KNEE, "text/markdown")}, headers=M)
    assert r.status_code == 201, r.text
    assert r.json()["outcome"] == "added"
    doc = r.json()["document"]
    assert doc["id"] == "uploads/knee-arthroscopy" and doc["title"] == "Knee arthroscopy" and doc["uploaded"] is True
    assert [p.name for p in (settings.data_dir / "uploads" / "uploads").iterdir()] == ["knee-arthroscopy.md"]
    assert client.get("/readyz").json()["documents"] == 3
    answer = client.post("/v1/ask", json={"question": KNEE_Q}, headers=M).json()
    assert answer["citations"][0]["document_id"] == "uploads/knee-arthroscopy"

    again = client.post("/v1/documents", files={"file": ("knee-arthroscopy.md", KNEE)}, headers=M)
    assert again.status_code == 201 and again.json()["outcome"] == "unchanged"
    edited = client.post("/v1/documents", files={"file": ("knee-arthroscopy.md", KNEE + b"\nLavage is not covered.\n")},
                         headers=M)
    assert edited.json()["outcome"] == "updated"


def test_upload_a_pdf(client):
    pdf = make_pdf([["Hyperbaric oxygen therapy", "Policy", "Hyperbaric oxygen is covered for diabetic foot ulcers of Wagner grade 3 or higher."]],
                   title="Hyperbaric oxygen")
    r = client.post("/v1/documents", files={"file": ("hbot.pdf", pdf, "application/pdf")}, headers=M)
    assert r.status_code == 201, r.text
    assert r.json()["document"]["pages"] == 1 and r.json()["document"]["sections"][0]["pages"] == [1]
    answer = client.post("/v1/ask", json={"question": "Is hyperbaric oxygen covered for diabetic foot ulcers?"}, headers=M)
    assert answer.json()["citations"][0]["document_id"] == "uploads/hbot"



BAD_UPLOADS = [
    ("corrupt.pdf", b"%PDF-1.7\n1 0 obj << /Type /Catalog >>\n garbage \x00\x01\x02 no xref", 422, "unreadable_document", "not a readable PDF"),
    ("tool.pdf", b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 200, 415, "unsupported_file_type", "ELF executable"),
    ("setup.pdf", b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 200, 415, "unsupported_file_type", "Windows executable"),
    ("empty.pdf", b"", 422, "empty_document", "empty (0 bytes)"),
    ("empty.md", b"", 422, "empty_document", "empty (0 bytes)"),
    ("notes.txt", "Politique de couverture: ".encode("latin-1") + b"\xe9t\xe9 \xe0 revoir\n", 422, "unreadable_document", "not valid UTF-8"),
    ("policy.md", make_pdf([["A PDF in disguise"]]), 415, "unsupported_file_type", "a PDF named .md"),
    ("virus.exe", b"MZ\x90\x00", 415, "unsupported_file_type", "unsupported file type '.exe'"),
    ("noext", b"# Title\n\ntext\n", 415, "unsupported_file_type", "unsupported file type '(none)'"),
    ("locked.pdf", encrypt_pdf(make_pdf([["Secret policy text"]]), user_password="pw", owner_password="owner"),
     422, "encrypted_pdf", "password"),
    ("scan.pdf", make_pdf([[]]), 422, "unreadable_document", "no extractable text"),
    ("bomb.md", ALIAS_BOMB, 422, "unsafe_front_matter", "YAML aliases"),
    ("long.md", b"---\nissuer: " + b"i" * 5000 + b"\n---\n# Policy\n\nCovered.\n", 422, "metadata_too_long",
     "the issuer is 5,000 characters"),
    ("deep.html", b"<html><body>" + b"<div>" * 5000 + b"x</body></html>", 422, "unreadable_document", "nested too deeply"),
]


@pytest.mark.parametrize("name,data,status,code,reason", BAD_UPLOADS, ids=[b[0] for b in BAD_UPLOADS])
def test_bad_uploads_get_a_reason_and_change_nothing(client, settings, name, data, status, code, reason):
    before = snapshot(client)
    r = client.post("/v1/documents", files={"file": (name, data)}, headers=M)
    assert r.status_code == status, r.text
    assert r.json()["error"]["code"] == code and reason in r.json()["error"]["message"]
    assert snapshot(client) == before
    assert list((settings.data_dir / "uploads" / "uploads").iterdir()) == []


def test_oversized_uploads_are_refused(settings):
    small = settings.model_copy(update={"api": settings.api.model_copy(update={"max_upload_mb": 0.01})})
    with TestClient(create_app(small)) as c:
        before = snapshot(c)
        just_over = c.post("/v1/documents", files={"file": ("big.md", b"# Big\n\n" + b"word " * 2100)}, headers=M)
        assert just_over.status_code == 413
        assert just_over.json()["error"]["code"] == "file_too_large" and "upload limit" in just_over.json()["error"]["message"]
        far_over = c.post("/v1/documents", files={"file": ("huge.md", b"# Huge\n\n" + b"word " * 40_000)}, headers=M)
        assert far_over.status_code == 413 and far_over.json()["error"]["code"] == "request_too_large"
        assert snapshot(c) == before


def test_delete_an_uploaded_document(client, settings):
    client.post("/v1/documents", files={"file": ("knee.md", KNEE)}, headers=M)
    r = client.delete("/v1/documents/uploads/knee", headers=M)
    assert r.status_code == 200 and r.json() == {"document_id": "uploads/knee", "removed": True}
    assert [d["id"] for d in client.get("/v1/documents", headers=M).json()["documents"]] == [
        "policies/immune-globulin", "policies/pap"]
    assert list((settings.data_dir / "uploads" / "uploads").iterdir()) == []
    answer = client.post("/v1/ask", json={"question": KNEE_Q}, headers=M).json()
    assert all(c["document_id"] != "uploads/knee" for c in answer["citations"])
    assert client.delete("/v1/documents/uploads/knee", headers=M).status_code == 404


def test_documents_from_an_ingested_folder_are_not_deleted_through_the_api(client):
    r = client.delete("/v1/documents/policies/pap", headers=M)
    assert r.status_code == 409 and r.json()["error"]["code"] == "not_uploaded"
    assert "criterion ingest" in r.json()["error"]["message"]
    assert client.get("/v1/documents/policies/pap", headers=M).status_code == 200


def test_the_first_upload_creates_the_index(tmp_path):
    from service_kit import service_settings

    settings = service_settings(tmp_path / "data")
    with TestClient(create_app(settings)) as c:
        assert c.get("/readyz").status_code == 503
        assert c.post("/v1/ask", json={"question": KNEE_Q}, headers=M).status_code == 503
        assert c.post("/v1/documents", files={"file": ("knee.md", KNEE)}, headers=M).status_code == 201
        assert c.get("/readyz").json()["documents"] == 1
        assert c.post("/v1/ask", json={"question": KNEE_Q}, headers=M).json()["citations"]


def test_an_upload_killed_before_its_sync_finished_is_undone(tmp_path):
    """The process dies inside ``placed`` (while the upload's sync runs): at start-up, or before
    the next upload, the placed file goes and the file it replaced comes back."""
    folder = UploadFolder(tmp_path / "uploads")
    with folder.placed("knee.md", b"version 1"):
        pass
    killed = folder.placed("knee.md", b"version 2")
    killed.__enter__()  # never exited: the process was killed in the sync
    assert (folder.files / "knee.md").read_bytes() == b"version 2"

    with UploadFolder(tmp_path / "uploads").placed("hip.md", b"hip") as path:  # the next upload
        assert sorted(p.name for p in folder.files.iterdir() if not p.name.startswith(".")) == ["hip.md", "knee.md"]
        assert (folder.files / "knee.md").read_bytes() == b"version 1" and path.read_bytes() == b"hip"
    assert sorted(p.name for p in folder.files.iterdir()) == ["hip.md", "knee.md"]

    killed_new = folder.placed("new.md", b"new")
    killed_new.__enter__()
    UploadFolder(tmp_path / "uploads").clean_partials()  # start-up
    assert sorted(p.name for p in folder.files.iterdir()) == ["hip.md", "knee.md"]


def test_an_upload_never_takes_a_corpus_document_id(tmp_path):
    """A corpus file and an upload with the same short name are two documents with two ids."""
    from ingest.sync import sync
    from service_kit import service_settings, write_corpus

    settings = service_settings(tmp_path / "data")
    corpus = write_corpus(tmp_path / "corpus")
    (corpus / "knee.md").write_bytes(KNEE)
    sync([corpus], settings)
    with TestClient(create_app(settings)) as c:
        r = c.post("/v1/documents", files={"file": ("knee.md", KNEE + b"\nLavage is not covered.\n")}, headers=M)
        assert r.status_code == 201, r.text
        assert r.json()["document"]["id"] == "uploads/knee" and r.json()["outcome"] == "added"
        listed = {d["id"]: d["uploaded"] for d in c.get("/v1/documents", headers=M).json()["documents"]}
        assert listed["knee"] is False and listed["uploads/knee"] is True
        assert c.delete("/v1/documents/knee", headers=M).json()["error"]["code"] == "not_uploaded"
        assert c.delete("/v1/documents/uploads/knee", headers=M).status_code == 200


def test_uploads_kept_under_their_old_ids_move_into_the_namespace(tmp_path):
    (tmp_path / "uploads").mkdir()
    (tmp_path / "uploads" / "knee.md").write_bytes(KNEE)
    folder = UploadFolder(tmp_path / "uploads")
    assert folder.find("uploads/knee") == tmp_path / "uploads" / "uploads" / "knee.md"
    assert folder.find("knee") is None and folder.document_id("knee.md") == "uploads/knee"
