"""evals.compare: two answer snapshots (or two report.json files) case by case; exit 0 when no
case differs, 1 when one does, 2 on unreadable input. Plain files, no engine."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from pathlib import Path

from evals.compare import main

ROOT = Path(__file__).resolve().parents[2]


def answer(verdict: str = "yes") -> dict:
    return {
        "question": "Is IVIG covered for CIDP?", "verdict": verdict, "reason": None, "summary": "Covered when criteria are met.",
        "criteria": [{"text": "EFNS/PNS definite CIDP", "status": "met", "detail": "stated", "citations": [1]}],
        "sections": {"Appropriate indications": [{"text": "CIDP", "citations": [1]}]},
        "retrieved": [{"rank": i + 1, "chunk_id": f"{doc}#{i}", "document_id": doc, "title": doc, "score": 0.9 - i / 10}
                      for i, doc in enumerate(["policy-a", "policy-b", "guideline-c"])],
        "citations": [{"id": n, "document_id": "policy-a", "chunk_id": "policy-a#0", "title": "A", "section": "Criteria",
                       "page": n, "quote": f"quote {n}"} for n in (1, 2, 3)],
        "conflicts": [], "missing_information": ["prescriber specialty"], "flags": [],
    }


def snapshot(path: Path, records: dict[str, dict]) -> Path:
    lines = [json.dumps({"id": cid, **({"error": r["error"]} if "error" in r else {"answer": r})}) for cid, r in records.items()]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


BASE = {"c1": answer("yes"), "c2": answer("no"), "c3": answer("conditional")}


def run(capsys, before: Path, after: Path, *extra: str) -> tuple[int, str, str]:
    code = main([str(before), str(after), *extra])
    out, err = capsys.readouterr()
    return code, out, err


def test_identical_snapshots_exit_0(tmp_path, capsys):
    a, b = snapshot(tmp_path / "a.jsonl", BASE), snapshot(tmp_path / "b.jsonl", BASE)
    code, out, _ = run(capsys, a, b)
    assert code == 0
    assert out.strip() == ("compared 3 cases: 0 differ (verdict 0, retrieved 0, citations 0, other 0, "
                           "missing 0, extra 0)")


def test_a_changed_verdict(tmp_path, capsys):
    after = copy.deepcopy(BASE)
    after["c2"]["verdict"] = "conditional"
    code, out, _ = run(capsys, snapshot(tmp_path / "a.jsonl", BASE), snapshot(tmp_path / "b.jsonl", after))
    assert code == 1
    assert "case c2: verdict: 'no' -> 'conditional'" in out.splitlines()
    assert "1 differ (verdict 1, retrieved 0, citations 0, other 0" in out


def test_a_changed_citation_quote(tmp_path, capsys):
    after = copy.deepcopy(BASE)
    after["c1"]["citations"][2]["quote"] = "another quote"
    code, out, _ = run(capsys, snapshot(tmp_path / "a.jsonl", BASE), snapshot(tmp_path / "b.jsonl", after))
    assert code == 1
    assert "case c1: citations[2].quote: 'quote 3' -> 'another quote'" in out.splitlines()
    assert "(verdict 0, retrieved 0, citations 1, other 0" in out


def test_a_reordered_retrieved_list(tmp_path, capsys):
    after = copy.deepcopy(BASE)
    passages = after["c3"]["retrieved"]
    passages[0], passages[1] = passages[1], passages[0]
    code, out, _ = run(capsys, snapshot(tmp_path / "a.jsonl", BASE), snapshot(tmp_path / "b.jsonl", after))
    lines = out.splitlines()
    assert code == 1
    assert "case c3: retrieved[0].document_id: 'policy-a' -> 'policy-b'" in lines
    assert "case c3: retrieved[1].chunk_id: 'policy-b#1' -> 'policy-a#0'" in lines
    assert "(verdict 0, retrieved 1, citations 0, other 0" in out


def test_nested_and_other_fields_have_readable_paths(tmp_path, capsys):
    after = copy.deepcopy(BASE)
    after["c1"]["sections"]["Appropriate indications"][0]["text"] = "MMN"
    after["c1"]["criteria"][0]["status"] = "not_documented"
    after["c1"]["flags"] = ["dropped statement"]
    code, out, _ = run(capsys, snapshot(tmp_path / "a.jsonl", BASE), snapshot(tmp_path / "b.jsonl", after))
    lines = out.splitlines()
    assert code == 1
    assert "case c1: sections['Appropriate indications'][0].text: 'CIDP' -> 'MMN'" in lines
    assert "case c1: criteria[0].status: 'met' -> 'not_documented'" in lines
    assert "case c1: flags[0]: (absent) -> 'dropped statement'" in lines
    assert "1 differ (verdict 0, retrieved 0, citations 0, other 1" in out


def test_a_missing_and_an_extra_case(tmp_path, capsys):
    after = {"c1": BASE["c1"], "c3": BASE["c3"], "c4": answer()}
    a, b = snapshot(tmp_path / "a.jsonl", BASE), snapshot(tmp_path / "b.jsonl", after)
    code, out, _ = run(capsys, a, b)
    lines = out.splitlines()
    assert code == 1
    assert f"case c2: missing from {b} (only in {a})" in lines
    assert f"case c4: extra in {b} (not in {a})" in lines
    assert lines[-1].startswith("compared 4 cases: 2 differ (") and lines[-1].endswith("missing 1, extra 1)")


def test_an_engine_error_is_one_difference(tmp_path, capsys):
    after = {**BASE, "c2": {"error": "BadRequest: question is too long"}}
    code, out, _ = run(capsys, snapshot(tmp_path / "a.jsonl", BASE), snapshot(tmp_path / "b.jsonl", after))
    assert code == 1
    assert [line for line in out.splitlines() if line.startswith("case ")] == [
        "case c2: error: null -> 'BadRequest: question is too long'"]
    assert "(verdict 1, retrieved 0, citations 0, other 0" in out


def test_float_tolerance(tmp_path, capsys):
    after = copy.deepcopy(BASE)
    after["c1"]["retrieved"][0]["score"] += 1e-9
    a, b = snapshot(tmp_path / "a.jsonl", BASE), snapshot(tmp_path / "b.jsonl", after)
    assert run(capsys, a, b)[0] == 1
    assert run(capsys, a, b, "--float-tolerance", "1e-6")[0] == 0


def report(path: Path, cases: list[dict]) -> Path:
    path.write_text(json.dumps({"metrics": {}, "cases": cases, "created_at": "now"}), encoding="utf-8")
    return path


def test_report_json_files_compare_case_by_case(tmp_path, capsys):
    case = {"id": "r1", "verdict": "yes", "retrieved_document_ids": ["a", "b"], "cited_document_ids": ["a"],
            "summary": "Covered.", "reason": None, "latency_ms": 120.0, "error": None}
    a = report(tmp_path / "before.json", [case])
    assert run(capsys, a, report(tmp_path / "same.json", [{**case, "latency_ms": 99.0}]))[:2] == (
        0, "compared 1 cases: 0 differ (verdict 0, retrieved 0, citations 0, other 0, missing 0, extra 0)\n")
    code, out, _ = run(capsys, a, report(tmp_path / "after.json", [{**case, "retrieved_document_ids": ["b", "a"]}]))
    assert code == 1
    assert "case r1: retrieved_document_ids[0]: 'a' -> 'b'" in out.splitlines()


def test_report_detected_by_content_without_extension(tmp_path, capsys):
    case = {"id": "r1", "verdict": "yes"}
    a, b = report(tmp_path / "before", [case]), report(tmp_path / "after", [{**case, "verdict": "no"}])
    code, out, _ = run(capsys, a, b)
    assert code == 1 and "case r1: verdict: 'yes' -> 'no'" in out


def test_garbage_input_exits_2_with_a_clear_message(tmp_path, capsys):
    good = snapshot(tmp_path / "a.jsonl", BASE)
    garbage = tmp_path / "garbage.jsonl"
    garbage.write_text("this is not json\n", encoding="utf-8")
    code, out, err = run(capsys, good, garbage)
    assert code == 2 and out == ""
    assert f"compare: error: {garbage}: line 1: not JSON" in err


def test_other_unreadable_inputs_exit_2(tmp_path, capsys):
    good = snapshot(tmp_path / "a.jsonl", BASE)
    no_id = tmp_path / "no-id.jsonl"
    no_id.write_text('{"answer": {}}\n', encoding="utf-8")
    empty = tmp_path / "empty.jsonl"
    empty.write_text("", encoding="utf-8")
    not_report = tmp_path / "list.json"
    not_report.write_text("[1, 2]", encoding="utf-8")
    for bad, message in [(tmp_path / "absent.jsonl", "cannot read"), (no_id, "needs a JSON object with a string \"id\""),
                         (empty, "holds no cases"), (not_report, "not an eval report.json")]:
        code, _, err = run(capsys, good, bad)
        assert code == 2 and message in err, (bad, err)
    code, _, err = run(capsys, good, report(tmp_path / "r.json", [{"id": "c1"}]))
    assert code == 2 and "cannot compare a snapshot" in err


def test_runs_as_a_module(tmp_path):
    a, b = snapshot(tmp_path / "a.jsonl", BASE), snapshot(tmp_path / "b.jsonl", BASE)
    done = subprocess.run([sys.executable, "-m", "evals.compare", str(a), str(b)], cwd=ROOT,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "0 differ" in done.stdout
