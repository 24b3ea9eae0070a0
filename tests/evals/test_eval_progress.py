"""`criterion eval` says how far it got while cases run — on stderr only: a line every tenth of
the cases with elapsed time and time left when not on a terminal, a Rich bar on one; the report
files and stdout carry none of it."""

from __future__ import annotations

import io
import re
import threading

import typer
from eval_fakes import MINI_CASES_YAML, MiniEngine
from rich.console import Console
from typer.testing import CliRunner

from evals.cases import load_cases
from evals.cli import make_eval_command, run_with_progress
from evals.progress import CaseLines, duration
from evals.runner import run_cases


class Clock:
    """A clock that moves only when told."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_line_each_tenth_with_elapsed_and_time_left():
    clock, out = Clock(), io.StringIO()
    lines = CaseLines(out, clock)
    for done in range(1, 26):  # 25 cases, 2 s each
        clock.now += 2
        lines(done, 25)
    written = out.getvalue().splitlines()
    assert len(written) == 10  # cases 3, 5, 8, 10, 13, 15, 18, 20, 23, 25
    assert written[0] == "eval: case 3/25 (12%) · 6s elapsed · about 44s left"
    assert written[4] == "eval: case 13/25 (52%) · 26s elapsed · about 24s left"
    assert written[-1] == "eval: case 25/25 (100%) · 50s elapsed"


def test_few_cases_get_a_line_each_and_long_times_read_as_minutes_and_hours():
    clock, out = Clock(), io.StringIO()
    lines = CaseLines(out, clock)
    for done in (1, 2, 3):
        clock.now += 65
        lines(done, 3)
    assert out.getvalue().splitlines() == ["eval: case 1/3 (33%) · 1m05s elapsed · about 2m10s left",
                                           "eval: case 2/3 (66%) · 2m10s elapsed · about 1m05s left",
                                           "eval: case 3/3 (100%) · 3m15s elapsed"]
    assert duration(3725) == "1h02m" and duration(0.4) == "0s"


def test_the_eval_command_prints_progress_on_stderr_only(tmp_path):
    cases = tmp_path / "cases.yaml"
    cases.write_text(MINI_CASES_YAML)
    n = len(load_cases(cases))
    app = typer.Typer()
    app.command("eval")(make_eval_command(lambda settings: MiniEngine()))
    app.command("version")(lambda: None)
    result = CliRunner().invoke(app, ["eval", "--cases", str(cases), "--out", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    assert result.stderr.splitlines()[0] == f"eval: answering {n} cases…"
    assert f"eval: case {n}/{n} (100%) · " in result.stderr
    assert "eval: " not in result.stdout and "gate passed" in result.stdout
    for report in (tmp_path / "out").iterdir():
        assert "eval: case" not in report.read_text()


def test_on_a_terminal_a_bar_with_cases_elapsed_and_time_left(tmp_path):
    cases = tmp_path / "cases.yaml"
    cases.write_text(MINI_CASES_YAML)
    gold = load_cases(cases)
    out = io.StringIO()
    report = run_with_progress(gold, MiniEngine(), 5, 1, "abc", Console(file=out, force_terminal=True, width=120))
    assert report["metrics"]["n_cases"] == len(gold)
    shown = re.sub(r"\x1b\[[0-9;?]*[a-zA-Z]", "", out.getvalue())
    assert f"{len(gold)}/{len(gold)} cases" in shown and "elapsed" in shown and "left" in shown
    assert "━" in shown and "eval: case" not in shown  # the bar, not the lines


def test_parallel_cases_are_counted_as_they_finish(tmp_path):
    """With workers, a slow first case does not hold back the count of the cases done after it."""
    cases = tmp_path / "cases.yaml"
    cases.write_text(MINI_CASES_YAML)
    gold = load_cases(cases)
    released, waited = threading.Event(), []

    class SlowFirst(MiniEngine):
        def ask(self, question, patient=None, filters=None, k=None):
            if question == gold[0].question:
                waited.append(released.wait(5))  # until the others are counted (False: only after 5 s)
            return super().ask(question, patient, filters, k)

    seen = []

    def progress(done, total):
        seen.append(done)
        if done == total - 1:
            released.set()

    runs = run_cases(gold, SlowFirst(), workers=len(gold), progress=progress)
    assert waited == [True] and seen == list(range(1, len(gold) + 1))
    assert [r.case.id for r in runs] == [c.id for c in gold]  # results keep the cases' order
