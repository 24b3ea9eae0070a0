"""The eval gate in CI: the starter corpus scored against its gold cases with the real embedder;
a drop below the floors in evals/thresholds.yaml fails `make test`."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.slow
def test_starter_corpus_passes_the_gate(tmp_path, monkeypatch):
    import typer

    from evals.cli import make_eval_command

    monkeypatch.chdir(ROOT)
    app = typer.Typer()
    app.command()(make_eval_command())
    out = tmp_path / "report"
    result = CliRunner().invoke(app, ["--cases", "evals/cases", "--corpus", "corpus", "--out", str(out),
                                      "--thresholds", "evals/thresholds.yaml"])
    report = (out / "report.md").read_text() if (out / "report.md").exists() else result.output
    assert result.exit_code == 0, f"eval gate failed:\n{result.output}\n{report[:3000]}"
    assert (out / "report.json").exists() and (out / "report.html").exists()
