"""The gate on the real thing: the starter corpus, its gold cases and the real engine (slow:
loads the embedding model and indexes the corpus). A regression in answers fails the suite."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.settings import Settings
from evals.cases import load_cases
from evals.gate import check_gate, load_thresholds
from evals.report import write_reports
from evals.runner import run_eval, temporary_index

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_the_starter_corpus_passes_the_gate(tmp_path):
    from app.engine import Engine

    cases = load_cases(ROOT / "evals" / "cases")
    with temporary_index(ROOT / "corpus", Settings(data_dir=tmp_path / "data")) as (settings, synced):
        assert synced.ok, synced.failed
        report = run_eval(cases, Engine.from_settings(settings), k=5)
    failures = check_gate(report["metrics"], load_thresholds())
    report["gate"] = {"passed": not failures, "failures": failures}
    paths = write_reports(report, tmp_path / "report")
    assert not failures, f"the eval gate failed (report: {paths['md']}):\n" + "\n".join(failures)
