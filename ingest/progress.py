"""What an ingest says while it runs: progress lines (files read, chunks embedded, the rate and the
time left) and, at the start, whether the last run on this index was killed midway and is being
resumed. The in-progress marker (``SYNC_IN_PROGRESS``, written by ``ingest/indexing.py``) is read
here, so the CLI and any error message can say which command resumes the run."""

from __future__ import annotations

import inspect
import json
import os
import shlex
import sys
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, TextIO

DIRTY = "SYNC_IN_PROGRESS"  # the same name ingest/indexing.py writes
PHASES = {"read": ("read", "files"), "embed": ("embedded", "chunks")}


@dataclass
class Interrupted:
    """A run that wrote the marker and never removed it (killed, or the machine went down)."""

    pid: int | None = None
    started_at: str = ""  # ISO 8601 UTC, when the killed run took the index
    updated_at: str = ""  # when it last wrote vectors (the nearest known time it was killed)
    embedded: int = 0  # chunks it had embedded, kept for the rerun
    total: int = 0
    paths: list[str] = field(default_factory=list)


def marker_fields(paths: list[str], *, embedded: int = 0, total: int = 0, started_at: str = "") -> str:
    """The marker's text: who holds the sync, since when, and how far it got."""
    now = _now()
    return json.dumps({"pid": os.getpid(), "started_at": started_at or now, "updated_at": now,
                       "embedded": embedded, "total": total, "paths": paths})


def read_marker(index_dir: Path) -> Interrupted | None:
    """The marker a killed run left, or None. An older marker (just a pid) gives its file time."""
    path = Path(index_dir) / DIRTY
    try:
        text = path.read_text()
        written = datetime.fromtimestamp(path.stat().st_mtime, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    except OSError:
        return None
    try:
        data = json.loads(text)
    except ValueError:
        data = None
    if not isinstance(data, dict):
        return Interrupted(pid=int(text) if text.strip().isdigit() else None, updated_at=written)
    return Interrupted(pid=data.get("pid"), started_at=data.get("started_at", ""),
                       updated_at=data.get("updated_at") or written, embedded=int(data.get("embedded") or 0),
                       total=int(data.get("total") or 0), paths=list(data.get("paths") or []))


def resume_command(index_dir: Path, paths: list[str] | None = None) -> str:
    """The command that resumes the killed run (its own paths when the marker names them)."""
    shown = " ".join(shlex.quote(p) for p in paths) if paths else "<path>"
    return f"criterion ingest {shown} --index {shlex.quote(str(index_dir))}"


def interrupted_line(info: Interrupted, index_dir: Path, *, resuming: bool = True) -> str:
    """One line: when the last run was killed, how far it got, and that this run (or which command) resumes it."""
    started = f" (started {_clock(info.started_at)})" if info.started_at else ""
    if info.embedded:  # the marker is rewritten after each batch: the run was alive then
        how = f"after {_clock(info.updated_at)}, with {info.embedded}/{info.total} chunks embedded"
    else:
        how = "before it had embedded a chunk" + ("" if info.started_at else f" (marker written {_clock(info.updated_at)})")
    head = f"the last ingest into {index_dir}{started} was interrupted {how}"
    if resuming:
        return f"{head}; this run resumes it (chunks already embedded are kept)"
    return f"{head}; resume it with `{resume_command(index_dir, info.paths)}` (chunks already embedded are kept)"


def resume_hint(index_dir: Path) -> str:
    """For an error about an unusable index: the interrupted run and the command that resumes it, or ''."""
    info = read_marker(index_dir)
    if info is None or _held(Path(index_dir) / ".lock"):
        return ""  # no marker, or an ingest is writing the index right now (its marker is not a killed one)
    return interrupted_line(info, index_dir, resuming=False) if info else ""


class ProgressLines:
    """A ``sync`` progress callback that prints plain lines: the first item of a phase, its last,
    and one every ``every`` seconds between, each with the count, the rate and the time left
    (the current file while reading). ``clock`` is injectable so tests need no waiting."""

    def __init__(self, stream: TextIO | None = None, *, every: float = 2.0,
                 clock: Callable[[], float] = time.monotonic):
        self.stream = stream or sys.stderr
        self.every = every
        self.clock = clock
        self.started: dict[str, float] = {}
        self.last: dict[str, float] = {}
        self.rateless: dict[str, bool] = {}  # the phase's last line had no rate yet

    def __call__(self, phase: str, done: int, total: int, item: str = "") -> None:
        now = self.clock()
        start = self.started.setdefault(phase, now - 1e-9)
        line = progress_line(phase, done, total, now - start, item)
        # the first line of a phase, its last, one every ``every`` seconds, and the first with a rate
        due = phase not in self.last or done >= total or now - self.last[phase] >= self.every
        if not (due or self.rateless.get(phase) and "ETA …" not in line):
            return
        self.last[phase], self.rateless[phase] = now, "ETA …" in line
        print(line, file=self.stream, flush=True)


def progress_line(phase: str, done: int, total: int, elapsed: float, item: str = "") -> str:
    """``embedded 1024/20480 chunks · 51.2 chunks/s · ETA 6m20s`` (``read 3/208 files · … · name.pdf``)."""
    verb, unit = PHASES.get(phase, (phase, "items"))
    finished = done - 1 if phase == "read" else done  # while reading, ``done`` counts the file being read
    rate = finished / elapsed if elapsed > 0 and finished > 0 else 0.0
    eta = "done" if finished >= total else f"ETA {duration((total - finished) / rate)}" if rate else "ETA …"
    line = f"{verb} {done}/{total} {unit} · {rate:.1f} {unit}/s · {eta}"
    return f"{line} · {item}" if item else line


def duration(seconds: float) -> str:
    seconds = max(0, round(seconds))
    if seconds < 60:
        return f"{seconds}s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes}m{seconds:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m"


def with_item(progress: Callable) -> Callable:
    """``progress`` as a callback taking ``item`` (the current file); an older three-argument
    callback is called without it."""
    try:
        params = inspect.signature(progress).parameters.values()
    except (TypeError, ValueError):
        params = ()
    if any(p.name == "item" or p.kind in (p.VAR_KEYWORD, p.VAR_POSITIONAL) for p in params):
        return progress
    return lambda phase, done, total, item="": progress(phase, done, total)


def _held(lock: Path) -> bool:
    """Whether a live process holds the index lock (``IndexLock``'s flock)."""
    import fcntl

    try:
        with open(lock, "a+") as fh:
            try:
                fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return True
            fcntl.flock(fh, fcntl.LOCK_UN)
    except OSError:
        return False
    return False


def _clock(iso: str) -> str:
    return iso.replace("T", " ").replace("Z", " UTC") if iso else ""


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


