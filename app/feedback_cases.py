"""``criterion feedback export``: the feedback the service stored (``<data_dir>/feedback.jsonl``,
app/api/feedback.py) as draft gold cases, in the YAML list that ``criterion eval --cases`` reads
(evals/cases.py). A draft is for a maintainer to review before it joins ``evals/cases/``:

- a thumbs-up keeps the answer's verdict and takes the documents it cited as expected sources;
- a thumbs-down with an expected verdict expects that verdict; its sources are left for the
  maintainer (the documents the answer cited are named in a comment);
- a thumbs-down without one cannot be run: it is written commented out, to complete by hand.

Each case's id is a digest of its question, patient and expected verdict, so the same feedback
given twice is one case (its comments are all kept); every comment is a YAML comment above it."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Optional

import typer

feedback_app = typer.Typer(add_completion=False, no_args_is_help=True, help="Feedback on answers.")
VERDICT_TODO = "FILL-IN"
_CONTROL = re.compile(r"[\x00-\x1f\x7f\u2028\u2029]+")


@dataclass
class Draft:
    case: dict
    comments: list[str] = field(default_factory=list)
    runnable: bool = True


def draft_cases(entries: Iterable[dict]) -> list[Draft]:
    drafts: dict[str, Draft] = {}
    for entry in entries:
        question, rating = entry.get("question"), entry.get("rating")
        if not isinstance(question, str) or not question.strip() or rating not in ("up", "down"):
            continue
        patient = entry.get("patient") if isinstance(entry.get("patient"), str) and entry["patient"].strip() else None
        answered, expected = entry.get("answer_verdict"), entry.get("expected_verdict")
        if rating == "up":
            expected = expected or answered
        cited = [d for d in entry.get("cited_documents") or [] if isinstance(d, str)]
        digest = hashlib.sha256(f"{question}\x1f{patient or ''}\x1f{expected or ''}".encode()).hexdigest()[:12]
        key = f"feedback-{digest}"
        if key not in drafts:
            case = {"id": key, "question": question}
            if patient:
                case["patient"] = patient
            case["expected_verdict"] = expected or VERDICT_TODO
            case["expected_sources"] = cited if rating == "up" else []
            case["tags"] = ["feedback", "draft", f"rating-{rating}"]
            drafts[key] = Draft(case, runnable=bool(expected))
        note = f"{entry.get('at', '?')} {entry.get('who', '?')}: thumbs-{rating}, the answer said {answered!r}"
        if cited and rating == "down":
            note += f", citing {', '.join(cited)}"
        comment = entry.get("comment") if isinstance(entry.get("comment"), str) else ""
        drafts[key].comments.append(_one_line(note + (f" - {comment}" if comment.strip() else "")))
    return list(drafts.values())


def to_yaml(drafts: list[Draft], source: str) -> str:
    import yaml

    runnable = [d for d in drafts if d.runnable]
    lines = [f"# Draft eval cases from answer feedback ({source}); review each before moving it into evals/cases/.",
             f"# {len(runnable)} runnable, {len(drafts) - len(runnable)} commented out (thumbs-down without an "
             f"expected verdict: set expected_verdict and uncomment).", ""]
    if not runnable:
        lines.append("[]")  # still a YAML list; `criterion eval` reports that it holds no cases
    for draft in sorted(drafts, key=lambda d: not d.runnable):
        lines += [f"# {c}" for c in draft.comments]
        text = yaml.safe_dump([draft.case], sort_keys=False, allow_unicode=True, width=100_000).rstrip("\n")
        lines += text.splitlines() if draft.runnable else [f"# {line}" for line in text.splitlines()]
        lines.append("")
    return "\n".join(lines) + "\n"


def _one_line(text: str) -> str:
    return " ".join(_CONTROL.sub(" ", text).split())


@feedback_app.command("export")
def export(
    out: Path = typer.Option(..., "--out", help="Where to write the draft cases (YAML); '-' for standard output."),
    feedback_file: Optional[Path] = typer.Option(
        None, "--feedback", help="The feedback file (default <data_dir>/feedback.jsonl)."),
) -> None:
    """Write the stored answer feedback as draft eval cases (`criterion eval --cases FILE` reads them)."""
    from app.api.feedback import FEEDBACK_FILE, FeedbackLog
    from app.settings import get_settings

    path = feedback_file or get_settings().data_dir / FEEDBACK_FILE
    if not path.exists():
        typer.secho(f"error: no feedback at {path}", fg=typer.colors.RED, err=True)
        raise typer.Exit(2)
    drafts = draft_cases(FeedbackLog(path).entries())
    text = to_yaml(drafts, str(path))
    if str(out) == "-":
        typer.echo(text, nl=False)
    else:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(text, encoding="utf-8")
    runnable = sum(d.runnable for d in drafts)
    typer.echo(f"{runnable} draft cases, {len(drafts) - runnable} awaiting an expected verdict -> {out}", err=True)
