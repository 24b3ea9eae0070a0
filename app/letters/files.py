"""A determination letter written to a file, its format named by the file's suffix
(``criterion ask --letter FILE``)."""

from __future__ import annotations

from pathlib import Path

from app.letters import determine, render
from app.letters.determination import IndexView
from app.schemas import Answer

SUFFIXES = {".fhir.json": "fhir", ".html": "html", ".htm": "html", ".pdf": "pdf", ".json": "json"}


def letter_format(path: Path) -> str | None:
    """The format a file name asks for, or None when its suffix names none."""
    name = path.name.lower()
    return next((form for suffix, form in SUFFIXES.items() if name.endswith(suffix)), None)


def write_letter(answer: Answer, index: IndexView, path: Path, form: str, *, patient: str | None = None) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(render(determine(answer, index, patient=patient), form))
