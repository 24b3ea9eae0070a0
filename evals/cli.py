"""``criterion eval``: score the engine against gold cases, write the report, apply the gate.

Registered in ``app/cli.py`` with ``app.command("eval")(eval_command)``. Exit codes: 0 the gate
passed, 1 the gate failed, 2 the input was unusable (bad cases, thresholds, baseline or index).
Tests build the same command around a fake engine with :func:`make_eval_command`.
"""

from __future__ import annotations

import sys
from contextlib import nullcontext
from pathlib import Path
from typing import Callable, Optional

import typer

EngineFactory = Callable[[object], object]  # Settings -> engine


def default_engine(settings):
    from app.engine import Engine  # heavy: loads the embedder; only when a command runs

    return Engine.from_settings(settings)


def _fail(message: str, code: int = 2) -> None:
    typer.secho(f"error: {message}", fg=typer.colors.RED, err=True)
    raise typer.Exit(code)


def make_eval_command(engine_factory: EngineFactory = default_engine):
    def eval_command(
        cases: Path = typer.Option(..., "--cases", help="Gold cases: a YAML list, a JSONL file, or a folder of them."),
        corpus: Optional[Path] = typer.Option(
            None, "--corpus", help="Ingest this folder into a temporary index and evaluate against it "
            "(document ids relative to it); the default index is left untouched."),
        index: Optional[Path] = typer.Option(None, "--index", help="Index directory (default ./data/index)."),
        k: int = typer.Option(5, "--k", min=1, help="Cutoff for the retrieval metrics (distinct documents)."),
        out: Path = typer.Option(Path("evals/reports/latest"), "--out", help="Where report.json/.md/.html go."),
        baseline: Optional[Path] = typer.Option(
            None, "--baseline", help="A previous report.json; fail on a drop larger than the margin."),
        thresholds: Optional[Path] = typer.Option(
            None, "--thresholds", help="Gate thresholds (default evals/thresholds.yaml)."),
        export_qrels: Optional[Path] = typer.Option(
            None, "--export-qrels", help="Also write BEIR queries/qrels and a TREC run into this folder."),
        workers: int = typer.Option(1, "--workers", min=1, help="Cases answered in parallel (threads)."),
    ) -> None:
        """Score answers against gold cases; write the report; exit 1 when the gate fails."""
        from rich.console import Console

        from app.backends import settings_digest
        from app.errors import AppError
        from app.settings import get_settings
        from evals.cases import CaseError, load_cases
        from evals.gate import check_gate, load_thresholds
        from evals.report import load_report, write_reports
        from evals.runner import temporary_index

        err = Console(stderr=True)
        if corpus is not None and index is not None:
            _fail("--corpus builds its own temporary index; give --corpus or --index, not both")
        try:
            gold = load_cases(cases)
            limits = load_thresholds(thresholds)
        except (CaseError, ValueError) as exc:
            _fail(str(exc))
        try:
            before = load_report(baseline)["metrics"] if baseline else None
        except (OSError, ValueError, KeyError, TypeError) as exc:
            _fail(f"--baseline {baseline}: not a readable report.json ({type(exc).__name__}: {exc})")

        settings = get_settings().with_index(index)
        if corpus is not None and not corpus.is_dir():
            _fail(f"--corpus {corpus}: not a directory")
        if corpus is not None:
            err.print(f"indexing {corpus} into a temporary index…")
        target = temporary_index(corpus, settings) if corpus is not None else nullcontext((settings, None))
        try:
            with target as (eval_settings, synced):
                for path, reason in (synced.failed if synced else []):
                    err.print(f"[yellow]not indexed[/] {path}: {reason}")
                engine = engine_factory(eval_settings)
                report = run_with_progress(gold, engine, k, workers, settings_digest(eval_settings), err)
        except AppError as exc:
            _fail(exc.message)

        failures = check_gate(report["metrics"], limits, before)
        report["gate"] = {"passed": not failures, "failures": failures,
                          "thresholds": str(thresholds or "evals/thresholds.yaml"),
                          "baseline": str(baseline) if baseline else None}
        paths = write_reports(report, out)
        if export_qrels is not None:
            from evals.export import export_qrels as write_qrels

            write_qrels(report, export_qrels)
        _print_summary(report, paths, Console())
        raise typer.Exit(1 if failures else 0)

    return eval_command


def run_with_progress(gold, engine, k: int, workers: int, settings_hash: str, err) -> dict:
    """Run and score the cases, saying how far it got on ``err`` (a Rich console on stderr): a bar
    with cases done, elapsed and time left on a terminal, else a line every tenth (evals/progress.py)."""
    from rich.progress import (BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn,
                               TimeRemainingColumn)

    from evals.progress import CaseLines
    from evals.runner import run_eval

    if not err.is_terminal:
        err.file.write(f"eval: answering {len(gold)} case{'s' if len(gold) != 1 else ''}…\n")
        return run_eval(gold, engine, k, workers=workers, settings_hash=settings_hash, progress=CaseLines(err.file))
    bar = Progress(TextColumn("answering"), BarColumn(), MofNCompleteColumn(), TextColumn("cases ·"),
                   TimeElapsedColumn(), TextColumn("elapsed ·"), TimeRemainingColumn(), TextColumn("left"),
                   console=err)
    with bar:
        task = bar.add_task("answering", total=len(gold))
        return run_eval(gold, engine, k, workers=workers, settings_hash=settings_hash,
                        progress=lambda done, total: bar.update(task, completed=done))


def _print_summary(report: dict, paths: dict, console) -> None:
    from rich.table import Table

    from evals.metrics import HEADLINE
    from evals.report_format import failing, fmt, metric_label

    m = report["metrics"]
    table = Table(title=f"Criterion eval · {m['n_cases']} cases ({m['n_answerable']} answerable) · k={m['k']}")
    table.add_column("metric")
    table.add_column("value", justify="right")
    for name in HEADLINE:
        table.add_row(metric_label(name, m["k"]), fmt(m.get(name), name))
    console.print(table)
    if m.get("follow_up_cases"):
        console.print(f"follow-ups: {m['follow_up_cases']} · verdict accuracy {fmt(m['follow_up_verdict_accuracy'])} · "
                      f"resolved question right {fmt(m['resolved_question_accuracy'])}")
    console.print(f"{len(failing(report))} failing case(s); report: {paths['md']} · {paths['html']}")
    gate = report["gate"]
    if gate["passed"]:
        console.print("[green]gate passed[/]")
    else:
        console.print("[red]gate failed[/]")
        for failure in gate["failures"]:
            console.print(f"  [red]✗[/] {failure}")
    sys.stdout.flush()


eval_command = make_eval_command()
