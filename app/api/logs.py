"""Structured logs: one JSON object per line on stderr. Question and patient text never appear
in them; a keyed hash (stable per installation, useless for guessing) and the lengths do."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import os
import secrets
import sys
import time
import traceback
from pathlib import Path

log = logging.getLogger("criterion.api")


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {"ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created)) + f".{int(record.msecs):03d}Z",
                 "level": record.levelname.lower(), "event": record.getMessage()}
        entry.update(getattr(record, "fields", {}))
        if record.exc_info and record.exc_info[1] is not None:
            kind, exc, tb = record.exc_info
            entry["error"] = {"type": f"{kind.__module__}.{kind.__qualname__}".removeprefix("builtins."),
                              "message": str(exc),
                              "traceback": "".join(traceback.format_exception(kind, exc, tb))}
        return json.dumps(entry, default=str)


def configure() -> None:
    """Send ``criterion.api`` records to stderr as JSON (once per process)."""
    if not any(isinstance(h.formatter, JsonFormatter) for h in log.handlers):
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(JsonFormatter())
        log.addHandler(handler)
    log.setLevel(logging.INFO)


def emit(event: str, level: int = logging.INFO, *, exc_info: bool | BaseException = False, **fields) -> None:
    """One log line; ``exc_info`` is an exception (or True inside ``except``) to log with its traceback."""
    log.log(level, event, exc_info=exc_info, extra={"fields": fields})


class Fingerprints:
    """HMAC-SHA256 of free text under a secret kept in the data directory: the same question
    gives the same fingerprint (so logs and the audit trail can be correlated), but the text
    cannot be recovered by hashing guesses."""

    def __init__(self, data_dir: Path):
        path = data_dir / "log-secret"
        data_dir.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass
        else:
            with os.fdopen(fd, "w") as fh:
                fh.write(secrets.token_hex(32))
        self._key = path.read_text().strip().encode()

    def of(self, text: str | None) -> dict:
        if not text:
            return {"chars": 0}
        digest = hmac.new(self._key, text.encode("utf-8"), hashlib.sha256).hexdigest()[:16]
        return {"hmac": digest, "chars": len(text)}
