"""Reading files beside encoding: a thread loads, splits and compiles the next files (PDF and HTML
parsing, chunking, the criteria compiler, the statements and terms a server would otherwise compute
at start) while the caller encodes the chunks of the files already read, so the encoder, which
sets the pace of an ingest, never waits for the reader once it has started.

Results come back in the order of the files. The reader runs at most ``ahead`` files in front of
the caller; when the caller stops (an error, Ctrl-C) the thread stops at the next file, so an
interrupted ingest leaves nothing running."""

from __future__ import annotations

import hashlib
import logging
import queue
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator

from app.chunks import Chunk
from app.engine.compiled import CompiledDocument
from app.engine.retrieve.precomputed import ChunkNotes, notes_of
from app.errors import DocumentError, FileTooLarge
from ingest.chunking import chunk_document
from ingest.compile import COMPILER_VERSION, compile_document
from ingest.loaders import load_document
from ingest.metadata import resolve

log = logging.getLogger("criterion.ingest")


@dataclass
class Job:
    """One file to read, with what the caller already knows about it."""

    path: Path
    root: Path
    document_id: str
    row: object  # its sidecar-manifest row, or None
    metadata_config: str
    previous: dict | None  # its entry in the last commit


@dataclass
class FileRead:
    """What reading one file gave: ``failure`` (a reason), ``unchanged``, or the parsed document."""

    job: Job
    failure: str = ""
    unchanged: bool = False
    sha256: str = ""
    pages: int = 0
    meta: dict = field(default_factory=dict)
    doubts: list[str] = field(default_factory=list)
    chunks: list[Chunk] = field(default_factory=list)
    compiled: CompiledDocument | None = None
    notes: dict[str, ChunkNotes] = field(default_factory=dict)


@dataclass
class ReadConfig:
    max_bytes: int
    max_tokens: int
    overlap_tokens: int
    chunk_config: str
    count: Callable[[str], int]


def read_file(job: Job, config: ReadConfig) -> FileRead:
    """Load, split and compile one file; every failure comes back as a reason, never raised."""
    try:
        size = job.path.stat().st_size
        if size > config.max_bytes:
            raise FileTooLarge(f"{job.path.name}: {size / 1e6:.1f} MB is over the {config.max_bytes / 1e6:.1f} MB limit")
        data = job.path.read_bytes()
        sha = hashlib.sha256(data).hexdigest()
        previous = job.previous
        if (previous and previous["sha256"] == sha and previous.get("chunk_config") == config.chunk_config
                and previous.get("metadata_config") == job.metadata_config):
            return FileRead(job, unchanged=True, sha256=sha)
        doc = load_document(job.path, max_bytes=config.max_bytes, data=data)
        meta, doubts = resolve(doc, job.document_id, job.row.fields if job.row else None)
        chunks = chunk_document(doc, document_id=job.document_id, meta=meta, max_tokens=config.max_tokens,
                                overlap_tokens=config.overlap_tokens, count=config.count)
    except DocumentError as exc:
        log.error("failed %s: %s", job.path, exc.message)
        return FileRead(job, failure=exc.message)
    except OSError as exc:
        return FileRead(job, failure=f"cannot read: {exc.strerror or exc}")
    return FileRead(job, sha256=sha, pages=doc.pages, meta=meta, doubts=doubts, chunks=chunks,
                    compiled=compile_criteria(chunks), notes=chunk_notes(chunks))


def compile_criteria(chunks: list[Chunk]) -> CompiledDocument:
    """A document's compiled criteria; a fault in the compiler costs the document its records
    (and says so in a warning), never its place in the index."""
    try:
        return compile_document(chunks)
    except Exception as exc:  # noqa: BLE001 - any compiler fault: the document still ingests
        log.exception("criteria compiler failed on %s", chunks[0].document_id if chunks else "?")
        return CompiledDocument(document_id=chunks[0].document_id if chunks else "", compiler=COMPILER_VERSION,
                                warnings=[f"criteria could not be compiled ({exc.__class__.__name__}: {exc})"])


def chunk_notes(chunks: list[Chunk]) -> dict[str, ChunkNotes]:
    """Each chunk's statements and terms; a fault costs only the start-up time they save."""
    try:
        return {c.chunk_id: notes_of(c) for c in chunks}
    except Exception:  # noqa: BLE001 - computed again when the generation is written
        log.exception("statements of %s could not be computed at ingest", chunks[0].document_id if chunks else "?")
        return {}


_DONE = object()


def read_ahead(jobs: list[Job], config: ReadConfig, *, ahead: int = 8) -> Iterator[FileRead]:
    """``read_file`` of each job, in order, computed by a thread up to ``ahead`` files in front."""
    results: queue.Queue = queue.Queue(maxsize=max(1, ahead))
    stop = threading.Event()

    def hand_over(item) -> None:
        while not stop.is_set():
            try:
                results.put(item, timeout=0.1)
                return
            except queue.Full:
                continue

    def produce() -> None:
        try:
            for job in jobs:
                if stop.is_set():
                    return
                hand_over(read_file(job, config))
        except BaseException as exc:  # noqa: BLE001 - handed to the caller, raised there
            hand_over(exc)
            return
        hand_over(_DONE)

    thread = threading.Thread(target=produce, name="criterion-reader", daemon=True)
    thread.start()
    try:
        while True:
            item = results.get()
            if item is _DONE:
                return
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        thread.join(timeout=30)
