"""evals.snapshot on a fake engine: one line per case, in the cases' order, without timings; an
engine error is recorded against its case."""

from __future__ import annotations

import json
import threading
import time

from app.schemas import Answer
from evals.cases import GoldCase
from evals.compare import main as compare
from evals.snapshot import snapshot


class FakeEngine:
    def __init__(self):
        self.calls: list[tuple[str, str | None]] = []
        self.lock = threading.Lock()

    def ask(self, question: str, patient: str | None = None) -> Answer:
        with self.lock:
            self.calls.append((question, patient))
        if "boom" in question:
            raise ValueError("the engine broke")
        time.sleep(0.02 if question.endswith("0") else 0)  # answers finish out of order with workers
        return Answer(question=question, verdict="yes", summary=f"about {question}", timings_ms={"total": 1.0})


def cases(n: int) -> list[GoldCase]:
    out = [GoldCase(id=f"c{i}", question=f"question {i}", patient="58-year-old" if i % 2 else None,
                    expected_verdict="yes", expected_sources=[]) for i in range(n)]
    return out + [GoldCase(id="broken", question="boom", expected_verdict="no", expected_sources=[])]


def test_one_line_per_case_in_order_without_timings(tmp_path):
    engine, out = FakeEngine(), tmp_path / "snap" / "before.jsonl"
    assert snapshot(cases(12), engine, out, workers=4) == (13, 1)
    lines = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [line["id"] for line in lines] == [*(f"c{i}" for i in range(12)), "broken"]
    assert lines[-1] == {"id": "broken", "error": "ValueError: the engine broke"}
    first = lines[0]["answer"]
    assert first["verdict"] == "yes" and first["question"] == "question 0" and "timings_ms" not in first
    assert ("question 1", "58-year-old") in engine.calls


def test_two_snapshots_of_the_same_engine_compare_equal(tmp_path, capsys):
    a, b = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    snapshot(cases(5), FakeEngine(), a)
    snapshot(cases(5), FakeEngine(), b, workers=3)
    assert compare([str(a), str(b)]) == 0
    assert "compared 6 cases: 0 differ" in capsys.readouterr().out

