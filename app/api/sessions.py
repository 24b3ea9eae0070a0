"""Chat sessions in SQLite under the data directory: they survive a restart, expire after
``api.session_ttl_minutes`` without use, belong to the key that opened them, and can be deleted.

A session holds the conversation state (the resolved question and the patient facts so far) and
a short record of its turns (resolved question, verdict, time); nothing else."""

from __future__ import annotations

import json
import os
import secrets
import sqlite3
import time
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from app.api.conversation import Conversation
from app.errors import NotFound

SCHEMA = """
CREATE TABLE IF NOT EXISTS sessions (
    id TEXT PRIMARY KEY,
    owner TEXT NOT NULL,
    created REAL NOT NULL,
    updated REAL NOT NULL,
    state TEXT NOT NULL
)"""


class SessionNotFound(NotFound):
    code = "session_not_found"


@dataclass
class Session:
    id: str
    owner: str
    created: float
    updated: float
    conversation: Conversation = field(default_factory=Conversation)
    turns: list[dict] = field(default_factory=list)

    def state(self) -> str:
        return json.dumps({"conversation": self.conversation.as_dict(), "turns": self.turns})


class SessionStore:
    def __init__(self, path: Path, *, ttl_seconds: float, clock: Callable[[], float] = time.time):
        self.path = path
        self.ttl = ttl_seconds
        self.clock = clock
        path.parent.mkdir(parents=True, exist_ok=True)
        with closing(self._connect()) as db, db:
            db.execute("PRAGMA journal_mode=WAL")
            db.execute(SCHEMA)
        os.chmod(path, 0o600)  # it holds patient context

    def _connect(self) -> sqlite3.Connection:
        return sqlite3.connect(self.path, timeout=10)

    def new(self, owner: str) -> Session:
        """A fresh session (stored on its first :meth:`save`, i.e. once its first turn is answered)."""
        now = self.clock()
        return Session(secrets.token_urlsafe(16), owner, now, now)

    def get(self, session_id: str, owner: str) -> Session:
        self.purge()
        with closing(self._connect()) as db:
            row = db.execute("SELECT id, owner, created, updated, state FROM sessions WHERE id = ? AND owner = ?",
                             (session_id, owner)).fetchone()
        if row is None:
            raise SessionNotFound(f"no chat session {session_id!r}: it expired, was deleted, or belongs to another key")
        state = json.loads(row[4])
        return Session(row[0], row[1], row[2], row[3], Conversation.from_dict(state["conversation"]), state["turns"])

    def save(self, session: Session) -> None:
        session.updated = self.clock()
        with closing(self._connect()) as db, db:
            db.execute("INSERT OR REPLACE INTO sessions (id, owner, created, updated, state) VALUES (?, ?, ?, ?, ?)",
                       (session.id, session.owner, session.created, session.updated, session.state()))

    def delete(self, session_id: str, owner: str) -> None:
        with closing(self._connect()) as db, db:
            gone = db.execute("DELETE FROM sessions WHERE id = ? AND owner = ?", (session_id, owner)).rowcount
        if not gone:
            raise SessionNotFound(f"no chat session {session_id!r}")

    def purge(self) -> int:
        """Delete sessions idle for longer than the time to live."""
        with closing(self._connect()) as db, db:
            return db.execute("DELETE FROM sessions WHERE updated < ?", (self.clock() - self.ttl,)).rowcount
