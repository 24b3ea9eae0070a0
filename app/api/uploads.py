"""Uploaded files: checked by their bytes (not their name), stored under a sanitised name in
``<data_dir>/uploads/uploads/`` (the client's filename is never used as a path), written
atomically, and undone if the process dies before the upload's sync finishes.

The folder is the source of truth for uploaded documents: syncing ``<data_dir>/uploads`` adds,
updates and removes them like any other ingested folder, and the path under it makes the id,
``uploads/<stem>``: an upload never takes the id of a document ingested from a corpus folder."""

from __future__ import annotations

import json
import os
import re
import secrets
import unicodedata
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from app.errors import EmptyDocument, FileTooLarge, UnreadableDocument, UnsupportedFileType
from ingest.indexing import fsync_dir  # the upload route is the one place app/ calls ingest/

TEXT_SUFFIXES = (".md", ".markdown", ".html", ".htm", ".txt")
SUFFIXES = (".pdf", *TEXT_SUFFIXES)
EXECUTABLES = (
    (b"\x7fELF", "an ELF executable"),
    (b"MZ", "a Windows executable (MZ header)"),
    (b"\xcf\xfa\xed\xfe", "a Mach-O executable"),
    (b"\xce\xfa\xed\xfe", "a Mach-O executable"),
    (b"\xfe\xed\xfa\xce", "a Mach-O executable"),
    (b"\xfe\xed\xfa\xcf", "a Mach-O executable"),
    (b"\xca\xfe\xba\xbe", "a Mach-O universal binary or Java class file"),
    (b"\x00asm", "a WebAssembly module"),
    (b"PK\x03\x04", "a ZIP archive"),
    (b"\x1f\x8b", "a gzip archive"),
)
PARTIAL = ".part"  # a file being written (hidden, so a sync never reads it)
BACKUP = ".backup"  # a file an unfinished upload replaced, kept until the upload completes
JOURNAL = ".upload-in-progress.json"
NAMESPACE = "uploads"  # names the file an unfinished upload placed, and its backups


def safe_name(filename: str | None) -> str:
    """``'../../etc/Passwd Policy v2.PDF'`` → ``'passwd-policy-v2.pdf'``: no directories, no dots
    in the stem, only ``[a-z0-9_-]``; the suffix lower-cased."""
    base = re.split(r"[\\/]", unicodedata.normalize("NFKC", filename or ""))[-1].strip()
    stem, dot, suffix = base.rpartition(".")
    if not dot or not stem:
        stem, suffix = base, ""
    suffix = f".{suffix.lower()}" if re.fullmatch(r"[A-Za-z0-9]{1,10}", suffix) else ""
    stem = re.sub(r"[^a-z0-9_-]+", "-", stem.lower()).strip("-_")[:80].strip("-_")
    return (stem or "upload") + suffix


def check_bytes(name: str, data: bytes, max_bytes: int) -> None:
    """Refuse by content: empty, too large, an executable or archive under any name, a ``.pdf``
    that is not a PDF, text that is not UTF-8. Raises a named ``DocumentError`` with the reason."""
    suffix = Path(name).suffix
    if suffix not in SUFFIXES:
        raise UnsupportedFileType(f"{name}: unsupported file type {suffix or '(none)'!r}; "
                                  f"upload one of {', '.join(SUFFIXES)}")
    if not data:
        raise EmptyDocument(f"{name}: the file is empty (0 bytes)")
    if len(data) > max_bytes:
        raise FileTooLarge(f"{name}: {len(data) / 1e6:.1f} MB is over the {max_bytes / 1e6:.1f} MB upload limit")
    for magic, what in EXECUTABLES:
        if data.startswith(magic):
            raise UnsupportedFileType(f"{name}: the content is {what}, not a document")
    if suffix == ".pdf":
        if b"%PDF-" not in data[:1024]:
            raise UnsupportedFileType(f"{name}: not a PDF (no %PDF- header)")
        return
    if data.lstrip()[:5] == b"%PDF-":
        raise UnsupportedFileType(f"{name}: a PDF named {suffix}; upload it as .pdf")
    if b"\x00" in data[:8192]:
        raise UnreadableDocument(f"{name}: binary content, not text (NUL bytes found)")
    try:
        data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise UnreadableDocument(f"{name}: not valid UTF-8 text (byte 0x{data[exc.start]:02x} at offset "
                                 f"{exc.start}); re-save it as UTF-8") from None


class UploadFolder:
    """The uploads folder. A file is placed here for the sync that ingests it; until that sync
    has finished, a journal names the file and keeps the files it replaced, so an upload killed
    midway is undone (at start-up and before the next upload or delete) rather than ingested by
    a later, unrelated request."""

    def __init__(self, path: Path):
        self.path = path  # the folder a sync reads
        self.files = path / NAMESPACE  # where the files are: ids are "uploads/<stem>"
        self.files.mkdir(parents=True, exist_ok=True)
        for earlier in path.iterdir():  # files of a version that kept them (and their ids) at the top
            if earlier.is_file() and earlier.suffix in SUFFIXES and not earlier.name.startswith("."):
                os.replace(earlier, self.files / earlier.name)

    @property
    def root(self) -> str:
        """The folder as the index records a document's root."""
        return str(self.path.resolve())

    @staticmethod
    def document_id(name: str) -> str:
        """The id the index gives the upload stored as ``name``."""
        return f"{NAMESPACE}/{Path(name).stem}"

    def find(self, document_id: str) -> Path | None:
        namespace, _, stem = document_id.partition("/")
        if namespace != NAMESPACE or not stem or "/" in stem or stem.startswith("."):
            return None
        return next((p for p in self.files.iterdir() if p.is_file() and p.stem == stem
                     and p.suffix in SUFFIXES and not p.name.startswith(".")), None)

    def clean_partials(self) -> None:
        """Undo what a process killed mid-upload left: the file it placed (its sync never
        finished, and the client never heard it succeed) goes, the files it replaced come back,
        and half-written temporary files are removed."""
        journal = self.files / JOURNAL
        if journal.exists():
            entry = json.loads(journal.read_text())
            (self.files / entry["placed"]).unlink(missing_ok=True)
            for original, backup in entry["backups"].items():
                if (self.files / backup).exists():
                    os.replace(self.files / backup, self.files / original)
            journal.unlink()
            fsync_dir(self.files)
        for stray in [*self.files.glob(f".*{PARTIAL}"), *self.files.glob(f".*{BACKUP}")]:
            stray.unlink(missing_ok=True)

    @contextmanager
    def placed(self, name: str, data: bytes) -> Iterator[Path]:
        """Put ``data`` at ``name`` (replacing a file with the same stem) for the ``with`` body;
        if the body raises, or the process dies in it, put back what was there before."""
        self.clean_partials()
        final = self.files / name
        previous = [p for p in self.files.iterdir()
                    if p.is_file() and p.stem == final.stem and not p.name.startswith(".")]
        backups = {p.name: f".{p.name}.{secrets.token_hex(4)}{BACKUP}" for p in previous}
        self._write(self.files / JOURNAL, json.dumps({"placed": name, "backups": backups}).encode())
        for p in previous:
            os.replace(p, self.files / backups[p.name])
        self._write(final, data)
        try:
            yield final
        except BaseException:
            self.clean_partials()
            raise
        (self.files / JOURNAL).unlink()  # the upload is complete: from here on it stays
        fsync_dir(self.files)
        for backup in backups.values():
            (self.files / backup).unlink(missing_ok=True)

    def remove(self, document_id: str) -> bool:
        self.clean_partials()
        path = self.find(document_id)
        if path is None:
            return False
        path.unlink()
        fsync_dir(self.files)
        return True

    def _write(self, final: Path, data: bytes) -> None:
        """Write to a hidden temporary name, then rename: ``final`` is never half-written."""
        partial = self.files / f".{final.name}.{secrets.token_hex(4)}{PARTIAL}"
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(partial, final)
        finally:
            partial.unlink(missing_ok=True)
        fsync_dir(self.files)
