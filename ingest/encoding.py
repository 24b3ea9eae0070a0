"""Chunks to vectors as the reader hands them over (``ingest/reading.py``): gathered into groups
of ``group`` chunks, each group checked against what a killed run already staged, then encoded
longest first (similar lengths share a batch, so little padding) and stored ``step`` at a time by
``IndexWriter.add_vectors``. Progress counts the chunks known so far: while files are still being
read, the total grows, and each line says so (``STILL_READING``)."""

from __future__ import annotations

from typing import Callable

from app.chunks import Chunk
from ingest.indexing import IndexWriter

STILL_READING = "total so far: files still being read"


class Encoding:
    def __init__(self, writer: IndexWriter, *, group: int, step: int, progress: Callable[..., None]):
        self.writer = writer
        self.group = max(1, group)
        self.step = step
        self.progress = progress
        self.pending: list[Chunk] = []
        self.known = 0  # chunks this sync needs vectors for, so far (resumed ones included)
        self.resumed = 0  # of those, kept from a killed run's staged vectors
        self.embedded = 0
        self.started = False
        self.reading = True  # the caller sets False once every file is read: the total is final

    @property
    def to_embed(self) -> int:
        return self.known - self.resumed

    def add(self, chunks: list[Chunk]) -> None:
        """Queue chunks; every full group is encoded and stored now."""
        self.pending.extend(chunks)
        self.known += len(chunks)
        while len(self.pending) >= self.group:
            part, self.pending = self.pending[:self.group], self.pending[self.group:]
            self._encode(part)

    def finish(self) -> None:
        """Encode what is left (the last, partial group)."""
        if self.pending:
            part, self.pending = self.pending, []
            self._encode(part)

    def _encode(self, part: list[Chunk]) -> None:
        todo = self.writer.resume(part)  # a killed run's vectors of the same chunks are kept
        self.resumed += len(part) - len(todo)
        if not todo:
            return
        if not self.started:  # the phase starts: its rate counts from here
            self.started = True
            self._say()

        def advance(n: int) -> None:
            self.embedded += n
            self._say()

        self.writer.add_vectors(todo, batch=self.group, step=self.step, progress=advance, total=self.known)

    def _say(self) -> None:
        self.progress("embed", self.embedded, self.to_embed, STILL_READING if self.reading else "")
