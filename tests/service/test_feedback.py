"""POST /v1/feedback and `criterion feedback export`: a thumbs-down with a comment becomes a draft
case that `criterion eval` accepts; the store is append-only, whole lines under concurrent writers,
and refuses bad or oversized input with a 4xx in the one error shape."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest
from typer.testing import CliRunner

from app.api.feedback import FEEDBACK_FILE, FeedbackLog, FeedbackStoreFull
from app.cli import app as cli
from app.feedback_cases import draft_cases
from evals.cases import CaseError, load_cases
from service_kit import SEED, SEED_PATIENT, bearer

H = bearer("reviewer")
DOWN = {"question": SEED, "patient": SEED_PATIENT, "answer_verdict": "yes", "rating": "down",
        "comment": "Maintenance IVIG needs 2 failed immunosuppressants;\nonly one is documented.",
        "expected_verdict": "no", "cited_documents": ["policies/immune-globulin"]}


def store(settings) -> Path:
    return settings.data_dir / FEEDBACK_FILE


def export(path: Path, out: Path):
    return CliRunner().invoke(cli, ["feedback", "export", "--feedback", str(path), "--out", str(out)])


def test_a_thumbs_down_with_a_comment_becomes_a_draft_case_that_eval_accepts(client, settings, tmp_path, monkeypatch):
    r = client.post("/v1/feedback", json=DOWN, headers=H)
    assert r.status_code == 201, r.text
    assert r.json()["id"] and r.json()["stored_at"]
    up = {"question": "Is CPAP covered for obstructive sleep apnea?", "answer_verdict": "conditional", "rating": "up",
          "cited_documents": ["policies/pap"]}
    assert client.post("/v1/feedback", json=up, headers=H).status_code == 201
    no_verdict = {**DOWN, "expected_verdict": None, "question": "Is IVIG covered for CIDP?", "comment": "wrong"}
    assert client.post("/v1/feedback", json=no_verdict, headers=H).status_code == 201

    audit = (settings.data_dir / "audit.jsonl").read_text()
    assert audit.count('"action": "feedback"') == 3 and "myasthenia" not in audit  # who and when, never the text

    out = tmp_path / "drafts" / "feedback.yaml"
    result = export(store(settings), out)
    assert result.exit_code == 0, result.output
    cases = {c.question: c for c in load_cases(out)}
    assert set(cases) == {SEED, up["question"]}  # the thumbs-down without a verdict is commented out
    seed = cases[SEED]
    assert seed.expected_verdict == "no" and seed.patient == SEED_PATIENT and seed.expected_sources == []
    assert "rating-down" in seed.tags and "draft" in seed.tags
    assert cases[up["question"]].expected_verdict == "conditional"
    assert cases[up["question"]].expected_sources == ["policies/pap"]
    text = out.read_text()
    assert "Maintenance IVIG needs 2 failed immunosuppressants; only one is documented." in text  # the comment
    assert "# - id: feedback-" in text and "Is IVIG covered for CIDP?" in text

    monkeypatch.setenv("CRITERION_EMBEDDING__BACKEND", "fake")  # the index the fixtures built
    thresholds = tmp_path / "thresholds.yaml"
    thresholds.write_text("floors: {}\n")
    ran = CliRunner().invoke(cli, ["eval", "--cases", str(out), "--index", str(settings.index_path),
                                   "--out", str(tmp_path / "report"), "--thresholds", str(thresholds)])
    assert ran.exit_code == 0, ran.output
    report = json.loads((tmp_path / "report" / "report.json").read_text())
    assert {c["id"] for c in report["cases"]} == {c.id for c in cases.values()}


def test_the_same_feedback_twice_is_one_case_with_both_comments(tmp_path):
    entries = [{**DOWN, "at": "t1", "who": "a"}, {**DOWN, "at": "t2", "who": "b", "comment": "agreed"}]
    drafts = draft_cases(entries)
    assert len(drafts) == 1 and len(drafts[0].comments) == 2


def test_an_export_of_only_unfinished_feedback_is_a_list_eval_reports_as_empty(tmp_path):
    log = FeedbackLog(tmp_path / FEEDBACK_FILE)
    log.append({**DOWN, "expected_verdict": None})
    assert export(log.path, tmp_path / "out.yaml").exit_code == 0
    with pytest.raises(CaseError, match="holds no cases"):
        load_cases(tmp_path / "out.yaml")
    assert export(tmp_path / "nothing.jsonl", tmp_path / "x.yaml").exit_code == 2


@pytest.mark.parametrize("change, code", [
    ({"rating": "sideways"}, "invalid_request"),
    ({"answer_verdict": "maybe"}, "invalid_request"),
    ({"expected_verdict": "perhaps"}, "invalid_request"),
    ({"comment": "x" * 4001}, "invalid_request"),
    ({"question": ""}, "invalid_request"),
    ({"cited_documents": ["d"] * 51}, "invalid_request"),
    ({"cited_documents": ["x" * 301]}, "invalid_request"),
    ({"extra": 1}, "invalid_request"),
    ({"question": "x" * 4001}, "question_too_long"),
    ({"patient": "x" * 20_001}, "patient_too_long"),
])
def test_bad_feedback_is_a_422_and_stores_nothing(client, settings, change, code):
    r = client.post("/v1/feedback", json={**DOWN, **change}, headers=H)
    assert r.status_code == 422 and r.json()["error"]["code"] == code, r.text
    assert not store(settings).exists()


def test_huge_and_malformed_bodies_are_refused_before_they_are_read(client, settings):
    huge = client.post("/v1/feedback", content=b'{"comment": "' + b"x" * 3_000_000 + b'"}', headers={
        **H, "Content-Type": "application/json"})
    assert huge.status_code == 413 and huge.json()["error"]["code"]
    broken = client.post("/v1/feedback", content=b'{"question": ', headers={**H, "Content-Type": "application/json"})
    assert broken.status_code == 422 and broken.json()["error"]["code"] == "invalid_request"
    assert client.post("/v1/feedback", json=DOWN).status_code == 401
    assert not store(settings).exists()


def test_concurrent_writers_each_leave_one_whole_line(tmp_path):
    log = FeedbackLog(tmp_path / FEEDBACK_FILE)
    comment = "é≥ " * 3000  # lines larger than a pipe buffer, multi-byte characters

    def write(n: int) -> None:
        for i in range(25):
            FeedbackLog(log.path).append({**DOWN, "comment": comment, "n": n, "i": i})  # as each request does

    threads = [threading.Thread(target=write, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    lines = log.path.read_bytes().split(b"\n")
    assert lines[-1] == b"" and len(lines) == 201
    assert sorted((e["n"], e["i"]) for e in map(json.loads, lines[:-1])) == [(n, i) for n in range(8) for i in range(25)]
    assert oct(log.path.stat().st_mode & 0o777) == "0o600"


def test_a_torn_line_spoils_only_itself_and_a_full_store_refuses_more(tmp_path):
    log = FeedbackLog(tmp_path / FEEDBACK_FILE, max_bytes=2000)
    log.path.write_bytes(b'{"question": "cut sh')  # a write that a crash cut short
    log.append(DOWN)
    assert [e["question"] for e in log.entries()] == [SEED]
    with pytest.raises(FeedbackStoreFull) as full:
        log.append({**DOWN, "comment": "x" * 2000})
    assert full.value.status == 507 and full.value.code == "feedback_store_full"
