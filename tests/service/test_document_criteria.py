"""What ingest compiled from a document, over HTTP: ``GET /v1/documents/{id}/criteria`` shows the
criteria trees, exclusions and limits with each record's quote and chunk id, to any signed-in
role, as the document routes do; an unknown id is a 404 in the house error shape."""

from __future__ import annotations

from fastapi.testclient import TestClient

from app.engine.compiled import CRITERIA_FILE
from app.engine.retrieve.index import current_generation
from app.service import create_app
from service_kit import bearer


def test_a_documents_compiled_criteria(client):
    response = client.get("/v1/documents/policies/immune-globulin/criteria", headers=bearer("clinician"))
    assert response.status_code == 200
    body = response.json()
    assert body["document_id"] == "policies/immune-globulin" and body["title"] == "Immune globulin"
    assert body["compiled"] is True and body["compiler"]
    titles = [i["title"] for i in body["indications"]]
    assert titles[0] == "Myasthenia gravis: acute exacerbation" and "CIDP" in titles
    acute = body["indications"][0]
    assert acute["criteria"]["op"] == "all_of" and len(acute["criteria"]["items"]) == 3
    assert acute["criteria"]["items"][1]["kind"] == "documentation"  # under the care of a neurologist
    dose = acute["criteria"]["items"][2]["predicate"]
    assert dose["type"] == "regimen" and (dose["doses"][0]["value"], dose["doses"][0]["unit"]) == (2.0, "g/kg")
    # 'not covered except … when ALL of the following are met': the exclusion, and the exception's criteria
    assert any("not covered except" in e["text"] for e in body["exclusions"])
    assert all(r["quote"] and r["chunk_id"].startswith("policies/immune-globulin#")
                          for r in body["indications"] + body["exclusions"])


def test_criteria_of_an_unknown_document_is_a_404_and_the_route_needs_a_key(client):
    missing = client.get("/v1/documents/policies/nope/criteria", headers=bearer("clinician"))
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "document_not_found" and "nope" in missing.json()["error"]["message"]
    assert client.get("/v1/documents/policies/pap/criteria").status_code == 401


def test_the_document_route_still_shows_the_document(client):
    detail = client.get("/v1/documents/policies/pap", headers=bearer("reviewer"))
    assert detail.status_code == 200 and detail.json()["id"] == "policies/pap"


def test_an_index_built_before_criteria_says_so(settings):
    (current_generation(settings.index_path) / CRITERIA_FILE).unlink()
    with TestClient(create_app(settings)) as client:
        body = client.get("/v1/documents/policies/pap/criteria", headers=bearer("maintainer")).json()
    assert body["compiled"] is False and body["indications"] == [] and body["document_id"] == "policies/pap"
