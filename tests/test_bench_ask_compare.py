"""The pure parts of `bench.ask_compare` (percentile, ABBA order, ratios, verdict comparison, the
report), without starting an engine. No timing is asserted."""

from __future__ import annotations

import pytest

from bench import ask_compare as ac


def test_percentile_is_nearest_rank():
    values = list(range(1, 21))  # 1..20
    assert ac.percentile(values, 50) == 10
    assert ac.percentile(values, 95) == 19
    assert ac.percentile(values, 100) == 20
    assert ac.percentile(values, 0) == 1
    assert ac.percentile([3.0, 1.0, 2.0], 50) == 2.0  # order of the input does not matter
    assert ac.percentile([7.5], 95) == 7.5
    assert ac.percentile(list(range(1, 101)), 95) == 95  # a sample value, never interpolated
    assert ac.percentile([1, 2, 3, 4], 50) == 2
    with pytest.raises(ValueError):
        ac.percentile([], 50)
    with pytest.raises(ValueError):
        ac.percentile([1], 101)


def test_rounds_alternate_abba():
    assert ac.round_order(4) == [("base", "head"), ("head", "base"), ("base", "head"), ("head", "base")]
    flat = [side for order in ac.round_order(6) for side in order]
    assert flat[:8] == ["base", "head", "head", "base", "base", "head", "head", "base"]
    assert flat.count("base") == flat.count("head") == 6
    assert ac.round_order(1) == [("base", "head")]


def test_case_interleaving_alternates_answer_by_answer():
    order = ac.case_order(2, 3)
    assert order[0] == [("base", "head"), ("head", "base"), ("base", "head")]
    assert order[1] == [("head", "base"), ("base", "head"), ("head", "base")]  # odd count: case 0 starts on head
    flat = [side for rnd in ac.case_order(3, 4) for pair in rnd for side in pair]
    assert flat[:8] == ["base", "head", "head", "base", "base", "head", "head", "base"]
    assert sum(pair[0] == "base" for rnd in ac.case_order(4, 5) for pair in rnd) == 10  # each side first half the time


def test_summaries_and_ratios():
    base = [[10.0] * 19 + [100.0], [10.0] * 19 + [100.0]]
    head = [[11.0] * 19 + [110.0], [12.0] * 19 + [90.0]]
    got = ac.compare(base, head)
    assert got["base"] == {"n": 40, "p50": 10.0, "p95": 10.0, "mean": pytest.approx(14.5)}
    # pooled head: 19 x 11, 19 x 12, 90, 110 -> p50 and p95 both 12 (nearest rank 20 and 38 of 40)
    assert got["head"]["n"] == 40 and got["head"]["p50"] == 12.0 and got["head"]["p95"] == 12.0
    assert got["ratio"]["p50"] == pytest.approx(1.2)
    assert got["ratio"]["p95"] == pytest.approx(1.2)
    assert got["ratio"]["mean"] == pytest.approx(got["head"]["mean"] / 14.5)
    assert got["round_p95_ratios"] == [pytest.approx(1.1), pytest.approx(1.2)]
    assert got["median_round_p95_ratio"] == pytest.approx(1.15)
    assert ac.ratio(5.0, 0.0) is None
    with pytest.raises(ValueError):
        ac.compare([[1.0]], [])


def test_median_round_ratio_resists_one_noisy_round():
    base = [[10.0] * 20 for _ in range(5)]
    head = [[10.0] * 20 for _ in range(4)] + [[50.0] * 20]  # a load spike during one head round
    got = ac.compare(base, head)
    assert got["median_round_p95_ratio"] == 1.0
    assert got["ratio"]["p95"] == 5.0


def test_verdict_differences_and_instability():
    ids = ["a", "b", "c"]
    base = [["yes", "no", "cannot_answer"], ["yes", "no", "cannot_answer"]]
    head = [["yes", "conditional", "cannot_answer"], ["yes", "no", "error:RuntimeError"]]
    diffs = ac.verdict_diffs(ids, base, head)
    assert [d["id"] for d in diffs] == ["b", "c"]
    assert diffs[0] == {"id": "b", "base": ["no"], "head": ["conditional", "no"], "rounds": 1}
    assert ac.verdict_diffs(ids, base, base) == []
    assert ac.unstable(ids, head) == ["b", "c"] and ac.unstable(ids, base) == []


def _data(**kw) -> dict:
    data = {
        "command": "python -m bench.ask_compare --base HEAD~1 --index /tmp/ix --rounds 2",
        "date": "2026-01-01 00:00 UTC", "wall_s": 12.3,
        "machine": {"cores": 2, "usable_cores": 2, "platform": "Linux x86_64", "python": "3.11.9",
                    "load_start": (1.0, 1.0, 1.0), "load_end": (2.0, 1.5, 1.0)},
        "index": "/tmp/ix", "cases": "/repo/evals/cases", "rounds": 2,
        "base": {"rev": "HEAD~1", "commit": "a" * 40, "tree": "/tmp/t", "worktree": "created for this run, removed after"},
        "head": {"tree": "/repo", "commit": "b" * 40, "changes": []},
        "startup": {"base": {"build_s": 3.0, "warmup_s": 1.0}, "head": {"build_s": 3.1, "warmup_s": 1.1}},
        "case_ids": ["a", "b"],
        "ms": {"base": [[10.0, 20.0], [10.0, 20.0]], "head": [[10.0, 21.0], [11.0, 22.0]]},
        "verdicts": {"base": [["yes", "no"], ["yes", "no"]], "head": [["yes", "no"], ["yes", "no"]]},
    }
    return data | kw


def test_report_renders_tables_commits_and_verdict_count():
    text = ac.render(_data())
    assert "`" + "a" * 40 + "`" in text and "`" + "b" * 40 + "`" in text
    assert "2 cores (2 usable)" in text and "/tmp/ix" in text and "Rounds: 2" in text and "2026-01-01" in text
    rows = {cells[0]: cells for cells in ([c.strip() for c in line.strip("|").split("|")]
                                          for line in text.splitlines() if line.startswith("| "))}
    assert rows["base"][1:5] == ["4", "10.0", "20.0", "15.0"]
    assert rows["head"][1:5] == ["4", "11.0", "22.0", "16.0"]
    assert rows["head / base"][2:4] == ["1.100×", "1.100×"]
    assert rows["1"][1:] == ["base → head", "20.0", "21.0", "1.050×"]
    assert rows["2"][1:] == ["head → base", "20.0", "22.0", "1.100×"]
    assert "Median per-round p95 ratio: **1.075×**" in text
    assert "median per-round within, pooled within" in text
    assert "Verdicts: **0** of 2 cases differ" in text
    case_text = ac.render(_data(interleave="case"))
    assert "alternating question by question" in case_text and "| 1 | alternating by case |" in case_text


def test_report_lists_differing_verdicts_and_a_dirty_head():
    data = _data(verdicts={"base": [["yes", "no"], ["yes", "no"]], "head": [["yes", "yes"], ["yes", "no"]]},
                 ms={"base": [[10.0, 10.0], [10.0, 10.0]], "head": [[20.0, 20.0], [20.0, 20.0]]},
                 head={"tree": "/repo", "commit": "b" * 40, "changes": ["app/engine.py", "app/x.py"]})
    text = ac.render(data)
    assert "Verdicts: **1** of 2 cases differ" in text
    assert "- `b`: base no; head no, yes (1 of 2 rounds)" in text
    assert "head changed its own verdict between rounds on 1 case(s): `b`" in text
    assert "median per-round NOT within, pooled NOT within" in text
    assert "with 2 changed path(s) not committed" in text and "`app/engine.py`" in text
