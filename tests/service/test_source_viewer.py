"""The source viewer: its API, ``GET /v1/documents/{id}/section?name=…`` — a section's text from
the index's chunks (in order, each overlap kept once) with the document's provenance; hostile or
unknown ids and names are a 404 or 422 in the one error shape, never a file read or a 500 — and,
in headless Chromium, a citation opening its section with the quote highlighted."""

from __future__ import annotations

import httpx
import pytest
from fastapi.testclient import TestClient

import chromium
from app.api.sections import carried
from app.service import create_app
from ingest.sync import sync
from service_kit import SEED, SEED_PATIENT, bearer, service_settings, write_corpus
from web_kit import ARTIFACTS, ask, browsing

C = bearer("clinician")
MAINTENANCE = "Immune globulin > Myasthenia gravis: maintenance"
ITEMS = [f"- Step {n}: the reviewer checks item number {n} of the list." for n in range(1, 13)]
LONG = "---\ntitle: Long list\nissuer: Test plan\neffective_date: 2026-02-01\n---\n# Long list\n\n## Steps\n\n" \
       + "\n".join(ITEMS) + "\n\n## After\n\nNothing else.\n"


def section(client, document_id: str, name: str | None, **headers):
    params = {} if name is None else {"name": name}
    return client.get(f"/v1/documents/{document_id}/section", params=params, headers=headers or C)


def test_a_cited_section_with_its_document(client):
    body = section(client, "policies/immune-globulin", MAINTENANCE).json()
    assert body["name"] == MAINTENANCE
    assert body["text"].startswith("Maintenance IVIG for myasthenia gravis is not covered except")
    assert "- The MG-ADL total score is 6 or more." in body["text"]
    assert {k: body["document"][k] for k in ("id", "title", "issuer", "effective_date", "status", "doc_type")} == {
        "id": "policies/immune-globulin", "title": "Immune globulin", "issuer": "Test plan",
        "effective_date": "2026-01-01", "status": "current", "doc_type": "policy"}
    assert body["previous"] == "Immune globulin > Myasthenia gravis: acute exacerbation"
    assert body["next"] == "Immune globulin > CIDP"
    # every chunk of the section sits at its span, so a quote from it can be found there
    ask = client.post("/v1/ask", json={"question": "Is maintenance IVIG covered for myasthenia gravis?"}, headers=C)
    cited = [c for c in ask.json()["citations"] if c["section"] == MAINTENANCE]
    assert cited
    spans = {c["chunk_id"]: (c["start"], c["end"]) for c in body["chunks"]}
    for citation in cited:
        start, end = spans[citation["chunk_id"]]
        assert citation["quote"] in body["text"][start:end]


def test_overlapping_chunks_read_once_through(tmp_path):
    settings = service_settings(tmp_path / "data")
    settings = settings.model_copy(update={"chunking": settings.chunking.model_copy(
        update={"max_tokens": 48, "overlap_tokens": 24})})
    corpus = write_corpus(tmp_path / "corpus")
    (corpus / "policies" / "long-list.md").write_text(LONG)
    sync([corpus], settings)
    with TestClient(create_app(settings)) as client:
        body = section(client, "policies/long-list", "Long list > Steps").json()
    chunks = body["chunks"]
    assert len(chunks) > 2
    texts = [body["text"][c["start"]:c["end"]] for c in chunks]
    assert any(a.splitlines()[-1] == b.splitlines()[0] for a, b in zip(texts, texts[1:]))  # the index overlaps
    assert body["text"] == "\n".join(ITEMS)  # the section reads once through, in order
    assert [c["start"] for c in chunks] == sorted(c["start"] for c in chunks)


def test_carried_counts_whole_lines_only():
    assert carried("a\nb\nc", "b\nc\nd") == len("b\nc")
    assert carried("a\nxb", "b\nd") == 0  # 'b' ends the text but not as a whole line
    assert carried("a\nb", "c\nd") == 0
    assert carried("", "a") == 0


@pytest.mark.parametrize("document_id", [
    "../../../../etc/passwd", "..%2F..%2Fetc%2Fpasswd", "%2e%2e/%2e%2e/etc/hosts", "policies/immune-globulin/..",
    "policies/../policies/pap", "/etc/passwd", "policies/immune-globulin%00", "C:%5Cwindows%5Cwin.ini",
    "policies/%E2%80%AEpap", "policies/immune-globulin%0A", "<script>alert(1)</script>", "a" * 1000,
])
def test_hostile_document_ids_are_a_404(client, document_id):
    response = section(client, document_id, MAINTENANCE)
    assert response.status_code == 404, response.text
    # (a client may resolve "../" before sending: then it is the section that is not found)
    assert response.json()["error"]["code"] in {"document_not_found", "section_not_found", "not_found"}
    assert len(response.json()["error"]["message"]) < 400  # a long id is not echoed in full
    assert "root:" not in response.text


@pytest.mark.parametrize("name", ["", "Immune globulin", "immune globulin > cidp", MAINTENANCE + " ", "../" * 20,
                                  "Immune globulin > CIDP\x00", "x" * 2000])
def test_unknown_sections_are_a_404(client, name):
    response = section(client, "policies/immune-globulin", name)
    assert response.status_code == 404, response.text
    error = response.json()["error"]
    assert error["code"] == "section_not_found" and "policies/immune-globulin" in error["message"]
    assert len(error["message"]) < 500


def test_bad_requests_are_a_422_and_the_route_needs_a_key(client):
    for response in (section(client, "policies/immune-globulin", None),
                     section(client, "policies/immune-globulin", "x" * 2001),
                     section(client, "a" * 1001, MAINTENANCE)):
        assert response.status_code == 422, response.text
        assert response.json()["error"]["code"] == "invalid_request"
    missing = client.get("/v1/documents/policies/immune-globulin/section", params={"name": MAINTENANCE})
    assert missing.status_code == 401 and set(missing.json()) == {"error"}


def test_a_document_whose_id_ends_in_section_is_still_shown(tmp_path):
    settings = service_settings(tmp_path / "data")
    corpus = write_corpus(tmp_path / "corpus")
    (corpus / "policies" / "knee").mkdir()
    (corpus / "policies" / "knee" / "section.md").write_text(LONG.replace("Long list", "Knee section"))
    sync([corpus], settings)
    with TestClient(create_app(settings)) as client:
        shown = client.get("/v1/documents/policies/knee/section", headers=C)
        assert shown.status_code == 200 and shown.json()["id"] == "policies/knee/section"
        steps = section(client, "policies/knee/section", "Knee section > Steps")
        assert steps.status_code == 200 and steps.json()["text"] == "\n".join(ITEMS)


@pytest.mark.skipif(not chromium.available(), reason=f"needs Debian's chromium at {chromium.CHROMIUM}")
def test_a_citation_opens_the_source_viewer_with_the_quote_highlighted(settings, tmp_path):
    with browsing(settings, tmp_path / "profile") as (browser, url):
        ask(browser, url, SEED, SEED_PATIENT)
        citations = browser.js("state.answer.citations")
        marker = browser.js("document.querySelector('#answer .summary a.cite').dataset.ref")
        cited = next(c for c in citations if str(c["id"]) == marker)
        browser.js("document.querySelector('#answer .summary a.cite').click()")
        quote = browser.wait_for("document.querySelector('#viewer-quote')?.textContent")
        assert quote == cited["quote"]
        assert browser.js("document.querySelector('.references li.highlight').id") == f"ref-{marker}"  # as before
        viewer = browser.js("document.querySelector('#viewer-body').innerText")
        assert browser.js("document.querySelector('#viewer-title').textContent") == "Immune globulin"
        for shown in ("Test plan", "2026-01-01", "current", "policies/immune-globulin", cited["section"]):
            assert shown in viewer, shown
        text = browser.js("document.querySelector('#viewer .section-text').textContent")
        served = httpx.get(f"{url}/v1/documents/{cited['document_id']}/section", params={"name": cited["section"]})
        assert text == served.json()["text"]
        assert len(text) > len(quote)  # the section around the quote, not the quote alone
        top, bottom, height = browser.js("(() => { const r = document.querySelector('#viewer-quote')"
                                         ".getBoundingClientRect(); return [r.top, r.bottom, innerHeight] })()")
        assert 0 <= top and bottom <= height  # in view
        browser.screenshot(ARTIFACTS / "web-source-viewer.png")

        # the next section, then back: the quote is highlighted again only in its own section
        browser.js("document.querySelector('#viewer nav.steps button:last-child').click()")
        browser.wait_for("document.querySelector('#viewer .section-name')?.textContent === 'Immune globulin > CIDP'")
        assert browser.js("document.querySelector('#viewer-quote')") is None
        browser.js("document.querySelector('#viewer nav.steps button:first-child').click()")
        assert browser.wait_for("document.querySelector('#viewer-quote')?.textContent") == quote
        browser.js("document.dispatchEvent(new KeyboardEvent('keydown', {key: 'Escape'}))")
        assert browser.js("document.querySelector('#viewer').hidden")
