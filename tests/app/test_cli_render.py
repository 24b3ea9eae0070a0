"""`criterion ask` on a terminal draws the answer with Rich (the verdict in its colour, the criteria
as a table, numbered references with their quotes); piped, it prints the plain Markdown scripts read."""

from __future__ import annotations

import io
import re
import shutil
from pathlib import Path

import pytest
from rich.console import Console
from typer.testing import CliRunner

from app.cli import app
from app.cli_render import render_answer
from app.schemas import Answer, Citation, Criterion

ROOT = Path(__file__).resolve().parents[2]
SEED = "Is IVIG 1 g/kg every 3 weeks medically necessary for a patient with refractory myasthenia gravis?"
PATIENT = "MG-ADL 9, up from 6; prednisone 40 mg daily and mycophenolate tried; no respiratory compromise"
ANSI = re.compile(r"\x1b\[[0-9;]*m")
RED_BOLD = "\x1b[1;31m"


class Terminal(io.StringIO):
    """Standard output as a terminal: what `criterion ask` writes to when a person runs it."""

    def isatty(self) -> bool:
        return True


@pytest.fixture
def index(tmp_path, monkeypatch) -> Path:
    monkeypatch.setenv("CRITERION_EMBEDDING__BACKEND", "fake")
    corpus = tmp_path / "corpus" / "policies"
    corpus.mkdir(parents=True)
    shutil.copy(ROOT / "corpus" / "policies" / "immune-globulin.md", corpus)
    index = tmp_path / "index"
    assert CliRunner().invoke(app, ["ingest", str(corpus.parent), "--index", str(index)]).exit_code == 0
    return index


def test_on_a_terminal_ask_draws_a_coloured_verdict_and_a_criteria_table(index, monkeypatch):
    terminal = Terminal()
    monkeypatch.setattr("sys.stdout", terminal)
    monkeypatch.setenv("COLUMNS", "120")
    app(["ask", SEED, "--patient", PATIENT, "--index", str(index)], standalone_mode=False)
    raw = terminal.getvalue()
    text = ANSI.sub("", raw)
    assert f"{RED_BOLD}No — does not meet the criteria" in raw  # the verdict in red
    assert text.startswith("Verdict: No — does not meet the criteria")
    assert re.search(r"┃ Criterion +┃ Status +┃ Why +┃", text)  # the criteria as a table
    assert "│ NOT met " in text  # the immunosuppressant criterion: one of the two required is in the record
    assert "\nReferences\n[1] " in text and "“" in text
    assert "|---|" not in text and "**Verdict" not in text  # not the Markdown


def test_piped_ask_prints_the_markdown(index):
    result = CliRunner().invoke(app, ["ask", SEED, "--patient", PATIENT, "--index", str(index)])
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("**Verdict: no**")
    assert "| criterion | status | why |" in result.stdout and "\x1b[" not in result.stdout


def test_the_terminal_rendering_of_an_answer():
    answer = Answer(
        question="Is CPAP covered?", verdict="conditional", summary="Covered after a sleep study [1].",
        criteria=[Criterion(text="An AHI of [bold]15[/bold] or more", status="not_documented",
                            detail="no AHI in the record", citations=[1]),
                  Criterion(text="A face-to-face evaluation", status="met", detail="", citations=[1])],
        missing_information=["the AHI"], needs_review=True,
        citations=[Citation(id=1, document_id="policies/pap", chunk_id="policies/pap#2", title="PAP devices",
                            section="Criteria", quote="CPAP is covered when the AHI is 15 or more.",
                            issuer="Test plan", effective_date="2026-01-01")])
    out = io.StringIO()
    render_answer(answer, Console(file=out, force_terminal=True, width=100))
    raw = out.getvalue()
    text = ANSI.sub("", raw)
    assert "\x1b[1;33mConditional — covered when the criteria are met" in raw
    assert "Needs human review" in text
    rows = [line for line in text.splitlines() if line.startswith("│")]
    assert any("An AHI of [bold]15[/bold] or more [1]" in r and "not documented" in r and "no AHI" in r for r in rows)
    assert any("A face-to-face evaluation [1]" in r and "│ met " in r for r in rows)
    assert "Missing information\n  • the AHI" in text
    assert ("[1] PAP devices (policies/pap) — Criteria, Test plan, effective 2026-01-01\n"
            "    “CPAP is covered when the AHI is 15 or more.”") in text
