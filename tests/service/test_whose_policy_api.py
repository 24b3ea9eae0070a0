"""Whose policy and which version over HTTP (issue #16): a ``payer`` and an ``as_of`` on /v1/ask
and /v1/chat reach the engine, are kept for the rest of a conversation, and are refused in the one
error shape when they are not a plan name or a date."""

from __future__ import annotations

import pytest

from service_kit import CPAP, bearer


def test_ask_with_a_plan_that_has_no_policy_in_the_corpus_says_so(client):
    r = client.post("/v1/ask", json={"question": CPAP + " AHI 22.", "payer": "Cigna"}, headers=bearer("clinician"))
    assert r.status_code == 200
    answer = r.json()
    under = answer["decided_under"]
    assert under["plan_named"] == "Cigna" and under["plan_in_corpus"] is False
    assert under["document_id"] == "policies/pap" and under["issuer"] == "Test plan"
    assert answer["summary"].startswith("The corpus holds no policy from Cigna; this answer applies Test plan's policy")
    assert answer["needs_review"]


def test_ask_with_the_corpus_s_own_plan_is_decided_under_it(client):
    answer = client.post("/v1/ask", json={"question": CPAP, "payer": "test plan"}, headers=bearer("clinician")).json()
    assert answer["decided_under"]["plan_in_corpus"] is True
    assert answer["summary"].startswith("Decided under Test plan's policy")


def test_a_date_of_service_is_recorded_with_the_version_it_chose(client):
    answer = client.post("/v1/ask", json={"question": CPAP, "as_of": "2026-06-01"}, headers=bearer("clinician")).json()
    under = answer["decided_under"]
    assert under["as_of"] == "2026-06-01" and under["document_id"] == "policies/pap"
    assert "the version in force on 2026-06-01" in answer["summary"]


@pytest.mark.parametrize("body, field", [
    ({"as_of": "2026-02-30"}, "as_of"), ({"as_of": "next week"}, "as_of"), ({"as_of": 20260101}, "as_of"),
    ({"as_of": 0}, "as_of"), ({"as_of": "2026-6-1"}, "as_of"),
    ({"payer": ""}, "payer"), ({"payer": "   "}, "payer"), ({"payer": "x" * 301}, "payer"), ({"payer": ["Cigna"]}, "payer"),
])
def test_a_bad_plan_or_date_is_a_422_in_the_one_error_shape(client, body, field):
    r = client.post("/v1/ask", json={"question": CPAP, **body}, headers=bearer("clinician"))
    assert r.status_code == 422
    error = r.json()["error"]
    assert error["code"] and field in error["message"]


def test_a_conversation_keeps_its_plan_and_date_until_given_others(client):
    h = bearer("reviewer")
    first = client.post("/v1/chat", json={"message": CPAP, "payer": "Aetna", "as_of": "2026-06-01"}, headers=h).json()
    assert first["answer"]["decided_under"]["plan_named"] == "Aetna"
    sid = first["session_id"]
    second = client.post("/v1/chat", json={"session_id": sid, "message": "and if the AHI is 20?"}, headers=h).json()
    under = second["answer"]["decided_under"]
    assert (under["plan_named"], under["as_of"]) == ("Aetna", "2026-06-01")
    third = client.post("/v1/chat", json={"session_id": sid, "message": "and if the AHI is 25?", "payer": "Test plan"},
                        headers=h).json()
    assert third["answer"]["decided_under"]["plan_in_corpus"] is True
