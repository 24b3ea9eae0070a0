"""Loading gold cases: YAML lists, JSONL, folders; readable errors naming the file and case."""

from __future__ import annotations

import json

import pytest

from evals.cases import CaseError, load_cases


def write(path, text):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_yaml_yes_no_booleans_are_read_as_verdicts(tmp_path):
    f = write(tmp_path / "cases.yaml", """
- id: a
  question: "Is CPAP covered?"
  expected_verdict: yes
  expected_sources: [policies/cpap]
- id: b
  question: "Is maintenance IVIG covered?"
  patient: "MG-ADL 9"
  expected_verdict: no
  expected_sources: [policies/immune-globulin]
  must_mention: ["1 g/kg|2 g/kg", 6]
  tags: [ivig]
- id: c
  question: "Is a face transplant covered?"
  expected_verdict: cannot_answer
  expected_sources: []
""")
    a, b, c = load_cases(f)
    assert (a.expected_verdict, b.expected_verdict, c.expected_verdict) == ("yes", "no", "cannot_answer")
    assert b.patient == "MG-ADL 9" and b.must_mention == ["1 g/kg|2 g/kg", "6"] and b.tags == ["ivig"]
    assert a.answerable and not c.answerable


def test_jsonl_and_folders_are_read_recursively_in_sorted_order(tmp_path):
    rows = [{"id": "j1", "question": "q?", "expected_verdict": "yes", "expected_sources": ["d"]},
            {"id": "j2", "question": "q?", "expected_verdict": "informational", "expected_sources": ["d"]}]
    write(tmp_path / "b" / "more.jsonl", "\n".join(json.dumps(r) for r in rows) + "\n\n")
    write(tmp_path / "a.yaml", "- {id: y1, question: 'q?', expected_verdict: 'no', expected_sources: []}\n")
    write(tmp_path / "notes.txt", "not a case file")
    write(tmp_path / "empty.yml", "# nothing yet\n")
    assert [c.id for c in load_cases(tmp_path)] == ["y1", "j1", "j2"]


def test_errors_name_the_file_the_case_and_the_field(tmp_path):
    f = write(tmp_path / "bad.yaml", """
- id: ok
  question: "q?"
  expected_verdict: yes
  expected_sources: []
- id: wrong-verdict
  question: "q?"
  expected_verdict: maybe
  expected_sources: []
- id: no-question
  expected_verdict: yes
  expected_sources: []
- id: typo
  question: "q?"
  expected_verdict: yes
  expected_sources: []
  must_mentoin: ["x"]
""")
    with pytest.raises(CaseError) as info:
        load_cases(f)
    message = str(info.value)
    assert f"{f}: case 'wrong-verdict': expected_verdict" in message
    assert f"{f}: case 'no-question': question: Field required" in message
    assert f"{f}: case 'typo': must_mentoin" in message
    assert "'ok'" not in message


def test_bad_jsonl_line_is_named(tmp_path):
    f = write(tmp_path / "cases.jsonl", '{"id": "a", "question": "q?", "expected_verdict": "yes", "expected_sources": []}\n{oops\n')
    with pytest.raises(CaseError, match=r"cases.jsonl: line 2: not JSON"):
        load_cases(f)


def test_duplicate_ids_are_an_error_naming_both_files(tmp_path):
    one = write(tmp_path / "one.yaml", "- {id: dup, question: 'q?', expected_verdict: 'yes', expected_sources: []}\n")
    two = write(tmp_path / "two.yaml", "- {id: dup, question: 'q2?', expected_verdict: 'no', expected_sources: []}\n")
    with pytest.raises(CaseError) as info:
        load_cases(tmp_path)
    assert f"{two}: case 'dup': duplicate id (first defined in {one})" in str(info.value)


def test_missing_path_and_non_list_yaml(tmp_path):
    with pytest.raises(CaseError, match="no such file"):
        load_cases(tmp_path / "absent.yaml")
    f = write(tmp_path / "map.yaml", "id: a\nquestion: q\n")
    with pytest.raises(CaseError, match="must hold a YAML list"):
        load_cases(f)
