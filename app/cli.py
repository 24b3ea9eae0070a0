"""The command line: ``criterion ingest PATH…``, ``criterion ask "…"``, ``criterion serve``,
``criterion criteria DOC_ID``, ``criterion eval --cases …``, ``criterion feedback export --out …``. An entry
point: it builds things and hands them down; heavy imports wait until a command runs, so ``--help`` is instant."""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path
from typing import Optional

import typer

app = typer.Typer(add_completion=False, no_args_is_help=True, help="Cited answers from coverage policies and guidelines.")


def _settings(index: Optional[Path]):
    from pydantic import ValidationError

    from app.settings import get_settings

    try:
        return get_settings().with_index(index)
    except ValidationError as exc:  # a CRITERION_* variable of the wrong type or out of range
        problems = "; ".join(": ".join(part for part in (".".join(str(p) for p in e["loc"]),
                                                         e["msg"].removeprefix("Value error, ")) if part)
                             for e in exc.errors())
        _fail(f"invalid settings: {problems}")


def _resume_hint(settings) -> str:
    """For an error about the index: the interrupted ingest and the command that resumes it, if any."""
    from ingest.progress import resume_hint

    hint = resume_hint(settings.index_path)
    return f" ({hint})" if hint else ""


def _fail(message: str, code: int = 2) -> None:
    typer.secho(f"error: {message}", fg=typer.colors.RED, err=True)
    raise typer.Exit(code)


@app.command()
def ingest(
    paths: list[Path] = typer.Argument(..., help="Files or folders to index (folders are walked recursively)."),
    index: Optional[Path] = typer.Option(None, "--index", help="Index directory (default ./data/index)."),
    rebuild: bool = typer.Option(False, "--rebuild", help="Re-chunk and re-embed everything into a fresh collection."),
    as_json: bool = typer.Option(False, "--json", help="Print the summary as JSON."),
) -> None:
    """Sync documents into the index: add new, re-index changed, remove vanished, skip unchanged."""
    from rich.console import Console
    from rich.markup import escape
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    from app.errors import AppError
    from ingest.progress import ProgressLines, interrupted_line, read_marker
    from ingest.sync import sync

    logging.basicConfig(level=logging.ERROR, format="%(message)s")
    settings = _settings(index)
    console = Console(stderr=True)
    interactive = console.is_terminal
    bar = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                   TextColumn("{task.fields[rate]}"), TimeRemainingColumn(), TextColumn("{task.fields[item]}"),
                   console=console, disable=not interactive)
    tasks: dict[str, int] = {}
    lines = ProgressLines(sys.stderr)
    killed = read_marker(settings.index_path)  # read before this run takes the index and rewrites the marker

    def announce() -> None:
        nonlocal killed
        if killed:
            console.print(interrupted_line(killed, settings.index_path), style="yellow", highlight=False, soft_wrap=True)
            killed = None

    def progress(phase: str, done: int, total: int, item: str = "") -> None:
        announce()  # only once this run holds the index: a running ingest's marker is not a killed one
        if not interactive:
            lines(phase, done, total, item)
            return
        if phase not in tasks:
            tasks[phase] = bar.add_task({"read": "reading", "embed": "embedding"}[phase], total=total, rate="", item="")
        speed = bar.tasks[tasks[phase]].speed
        unit = "files" if phase == "read" else "chunks"
        bar.update(tasks[phase], completed=done, total=total, item=escape(item),
                   rate=f"{speed:.1f} {unit}/s" if speed else "")

    try:
        with bar:
            report = sync(paths, settings, rebuild=rebuild, progress=progress)
    except AppError as exc:
        _fail(exc.message)
    announce()
    summary = report.as_dict()
    if as_json:
        print(json.dumps({**summary, "failures": [{"path": p, "reason": r} for p, r in report.failed],
                          "skips": [{"path": p, "reason": r} for p, r in report.skipped],
                          "warnings": [{"path": p, "reason": r} for p, r in report.warnings]}, indent=2))
    else:
        for path, reason in report.skipped:
            console.print(f"[yellow]skipped[/] {path}: {reason}")
        for path, reason in report.warnings:
            console.print(f"[yellow]warning[/] {escape(path)}: {escape(reason)}", highlight=False)
        for path, reason in report.failed:
            console.print(f"[red]failed[/] {path}: {reason}")
        rate = report.chunks_embedded / report.seconds if report.seconds else 0.0
        console.print(
            f"added {summary['added']} · updated {summary['updated']} · unchanged {summary['unchanged']} · "
            f"removed {summary['removed']} · failed {summary['failed']} · skipped {summary['skipped']} · "
            f"warnings {summary['warned']} | "
            f"chunks {summary['chunks_total']} ({summary['chunks_embedded']} embedded, {rate:.1f}/s) | "
            f"{summary['seconds']:.1f}s → {settings.index_path}"
        )
    if report.failed:
        raise typer.Exit(1)


@app.command()
def ask(
    question: str = typer.Argument(..., help="The question, in quotes."),
    patient: Optional[str] = typer.Option(None, "--patient", help="Free-text patient context."),
    as_json: bool = typer.Option(False, "--json", help="Print the answer model as JSON."),
    index: Optional[Path] = typer.Option(None, "--index", help="Index directory."),
    k: Optional[int] = typer.Option(None, "--k", help="Passages to retrieve."),
    payer: Optional[str] = typer.Option(None, "--payer", help="The health plan whose policy should decide (e.g. TRICARE)."),
    as_of: Optional[str] = typer.Option(None, "--as-of", help="Date of service, YYYY-MM-DD: the policy versions in force then decide."),
    letter: Optional[Path] = typer.Option(None, "--letter", help="Also write the answer as a determination letter: "
                                          "FILE.html, FILE.pdf, FILE.json or FILE.fhir.json (FHIR ClaimResponse)."),
) -> None:
    """Answer a question with a cited determination (drawn with colours and a criteria table on a
    terminal; plain Markdown when piped)."""
    from app.engine import Engine
    from app.errors import AppError
    from app.letters.files import letter_format, write_letter

    form = letter_format(letter) if letter else None
    if letter and form is None:
        _fail(f"--letter {letter}: name a .html, .pdf, .json or .fhir.json file")
    settings = _settings(index)
    try:
        engine = Engine.from_settings(settings, warm=False)  # one question: load only what it reads
        answer = engine.ask(question, patient, k=k, payer=payer, as_of=as_of)
    except AppError as exc:
        _fail(exc.message + _resume_hint(settings))
    if as_json:
        print(answer.model_dump_json(indent=2))
    else:
        _show(answer)
    if letter:
        write_letter(answer, engine.index, letter, form, patient=patient)
        typer.echo(f"letter ({form}) written to {letter}", err=True)


def _show(answer) -> None:
    """On a terminal, the answer drawn by Rich; piped or redirected, the plain Markdown scripts read."""
    if sys.stdout.isatty():
        from rich.console import Console

        from app.cli_render import render_answer

        render_answer(answer, Console())
    else:
        from app.engine.compose.markdown import to_markdown

        print(to_markdown(answer))


@app.command()
def serve(
    host: Optional[str] = typer.Option(None, help="Interface to bind (default from settings: 127.0.0.1)."),
    port: Optional[int] = typer.Option(None, help="Port (default 8000)."),
    index: Optional[Path] = typer.Option(None, "--index", help="Index directory."),
) -> None:
    """Serve the API and the web page."""
    import uvicorn

    from app.service import create_app

    settings = _settings(index)
    api = settings.api.model_copy(update={k: v for k, v in {"host": host, "port": port}.items() if v is not None})
    settings = settings.model_copy(update={"api": api})
    if hint := _resume_hint(settings):
        typer.secho(f"warning: the index may be incomplete{hint}", fg=typer.colors.YELLOW, err=True)
    try:
        application = create_app(settings)
    except ValueError as exc:
        _fail(str(exc))
    uvicorn.run(application, host=settings.api.host, port=settings.api.port, log_level="warning")


@app.command()
def criteria(
    document_id: str = typer.Argument(..., help="A document id, as `GET /v1/documents` lists them (policies/pcsk9-inhibitors)."),
    index: Optional[Path] = typer.Option(None, "--index", help="Index directory."),
    as_json: bool = typer.Option(False, "--json", help="Print the compiled records as JSON."),
) -> None:
    """Show what ingest compiled from a document: its criteria trees, exclusions, limits and
    recommendations, each with its quote and chunk id."""
    from app.compiled_view import outline
    from app.engine.compiled import read_compiled
    from app.engine.retrieve.index import current_generation

    settings = _settings(index)
    generation = current_generation(settings.index_path)
    if generation is None:
        _fail(f"no index at {settings.index_path}: run `criterion ingest corpus` first" + _resume_hint(settings))
    documents = json.loads((generation / "manifest.json").read_text())["documents"]
    if document_id not in documents:
        _fail(f"no document {document_id!r} in {settings.index_path}" + _resume_hint(settings), 1)
    compiled = read_compiled(generation).get(document_id)
    if compiled is None:
        _fail(f"{document_id!r} has no compiled criteria: the index predates them; run `criterion ingest` "
              "on its folder to compile them (nothing is embedded again)", 1)
    title = documents[document_id].get("title", "")
    print(compiled.model_dump_json(indent=2) if as_json else "\n".join(outline(compiled, title)))


def _register_eval() -> None:
    from evals.cli import make_eval_command  # the eval harness is a client of the engine

    app.command("eval")(make_eval_command())


def _register_feedback() -> None:
    from app.feedback_cases import feedback_app  # `criterion feedback export`: feedback as draft eval cases

    app.add_typer(feedback_app, name="feedback")


_register_eval()
_register_feedback()


def main() -> None:
    app()


if __name__ == "__main__":
    main()
