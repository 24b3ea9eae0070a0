"""Incremental, safe sync of folders into an index: add new files, re-index changed ones, remove
documents whose files are gone, skip unchanged ones; bad files are reported by name and the rest
of the batch goes in."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from fnmatch import fnmatch
from pathlib import Path
from typing import Callable

from app.backends import embedder_stamp, make_chroma_client, make_embeddings, make_token_counter, make_vector_store, max_chunk_tokens
from app.chunks import Chunk
from app.engine.compiled import CompiledDocument
from app.engine.retrieve.precomputed import ChunkNotes
from app.engine.retrieve.precomputed import build as build_precomputed
from app.engine.retrieve.precomputed import kept_notes as precomputed_notes
from app.settings import Settings
from ingest.compile import COMPILER_VERSION
from ingest.encoding import Encoding
from ingest.indexing import IndexWriter
from ingest.lock import IndexLock
from ingest.manifest import SIDECAR_NAMES, Sidecars
from ingest.metadata import TEXT_BOUNDS
from ingest.progress import with_item
from ingest.reading import Job, ReadConfig, compile_criteria, read_ahead
from ingest.record_vectors import embed_records

log = logging.getLogger("criterion.ingest")
CHUNKER_VERSION = "2"  # 2: statements set as Markdown headings are text
METADATA_VERSION = "1"  # 1: sidecar manifests, first-page extraction, metadata_sources

Progress = Callable[..., None]  # (phase, done, total[, item]): item, the file being read, if it takes one


@dataclass
class SyncReport:
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)  # (path, reason)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (path, reason)
    warnings: list[tuple[str, str]] = field(default_factory=list)  # (path, reason): ingested, metadata incomplete
    chunks_embedded: int = 0
    chunks_resumed: int = 0  # embedded by a killed run of the same sync, kept rather than embedded again
    chunks_total: int = 0
    pages_read: int = 0
    seconds: float = 0.0
    embed_seconds: float = 0.0
    encode_seconds: float = 0.0  # inside the encoder: chunks and recommendation texts
    committed: bool = False

    @property
    def ok(self) -> bool:
        return not self.failed

    def as_dict(self) -> dict:
        return {
            "added": len(self.added), "updated": len(self.updated), "unchanged": len(self.unchanged),
            "removed": len(self.removed), "failed": len(self.failed), "skipped": len(self.skipped),
            "warned": len(self.warnings),
            "chunks_embedded": self.chunks_embedded, "chunks_resumed": self.chunks_resumed,
            "chunks_total": self.chunks_total,
            "pages_read": self.pages_read, "seconds": round(self.seconds, 3),
            "embed_seconds": round(self.embed_seconds, 3), "encode_seconds": round(self.encode_seconds, 3),
        }


# What a stored vector stands for: the text it embedded (with its title and section) and the
# metadata the store filters on. A chunk whose id is unchanged but whose issuer or date is new (a
# manifest row added) is embedded again; its position or file hash alone do not matter.
VECTOR_FIELDS = ("text", "title", "section", "issuer", "doc_type", "status", "effective_date")


def same_vector(old: Chunk | None, new: Chunk) -> bool:
    return old is not None and all(getattr(old, f) == getattr(new, f) for f in VECTOR_FIELDS)


@dataclass
class SourceFile:
    path: Path
    root: Path
    document_id: str


def discover(paths: list[Path], extensions: list[str], report: SyncReport,
             exclude: list[str] = ()) -> tuple[list[SourceFile], set[str]]:
    """Files to ingest, and the roots being synced (folders whose vanished files are removed)."""
    found: list[SourceFile] = []
    roots: set[str] = set()
    exts = {e.lower() for e in extensions}
    for given in paths:
        path = given.resolve()
        if path.is_dir():
            roots.add(str(path))
            candidates = sorted(p for p in path.rglob("*") if p.is_file())
            root = path
        elif path.is_file():
            candidates, root = [path], path.parent
        else:
            report.failed.append((str(given), "no such file or directory"))
            continue
        for file in candidates:
            rel = file.relative_to(root)
            if any(part.startswith(".") for part in rel.parts):
                continue
            if file.name.lower() in SIDECAR_NAMES:
                continue  # the folder's manifest: read for the files beside it (ingest/manifest.py)
            if any(fnmatch(file.name, pattern) for pattern in exclude):
                report.skipped.append((str(file), "excluded by ingest.exclude"))
                continue
            if file.suffix.lower() not in exts:
                report.skipped.append((str(file), f"unsupported file type {file.suffix or '(none)'!r}"))
                log.warning("skipped %s: unsupported file type", file)
                continue
            found.append(SourceFile(file, root, rel.with_suffix("").as_posix()))
    return found, roots


def sync(paths: list[Path], settings: Settings, *, rebuild: bool = False, embeddings=None,
         progress: Progress | None = None) -> SyncReport:
    started = time.perf_counter()
    report = SyncReport()
    progress = with_item(progress or (lambda phase, done, total: None))
    index_dir = settings.index_path
    index_dir.mkdir(parents=True, exist_ok=True)
    stamp = embedder_stamp(settings)
    max_tokens = max_chunk_tokens(settings)
    chunk_config = f"{CHUNKER_VERSION}/{max_tokens}/{settings.chunking.overlap_tokens}/{stamp}"
    max_bytes = int(settings.ingest.max_file_mb * 1_000_000)

    with IndexLock(index_dir):
        embeddings = embeddings or make_embeddings(settings, for_ingest=True)
        client = make_chroma_client(settings)
        writer = IndexWriter(
            index_dir, stamp=stamp, collection=settings.chroma.collection, rebuild=rebuild,
            paths=[str(p.resolve()) for p in paths],
            vector_store_factory=lambda name: make_vector_store(settings, embeddings, client, stamp=stamp, collection=name),
        )
        files, roots = discover(paths, settings.ingest.extensions, report, settings.ingest.exclude)
        documents = writer.documents
        fresh: dict[str, list[Chunk]] = {}
        compiled: dict[str, CompiledDocument] = {}
        notes: dict[str, ChunkNotes] = {}
        seen_ids: set[str] = set()
        sidecars = Sidecars(TEXT_BOUNDS)
        jobs = plan_reads(files, documents, seen_ids, report, sidecars)
        config = ReadConfig(max_bytes=max_bytes, max_tokens=max_tokens, overlap_tokens=settings.chunking.overlap_tokens,
                            chunk_config=chunk_config, count=make_token_counter(settings))
        # large groups let the encoder sort by length across more texts (less padding)
        encoding = Encoding(writer, group=max(512, settings.embedding.batch_size), step=settings.embedding.batch_size,
                            progress=progress)
        previous_chunks = writer.previous_chunks
        t0 = time.perf_counter()
        for i, got in enumerate(read_ahead(jobs, config), start=1):  # files read by a thread while chunks encode
            job = got.job
            progress("read", i, len(jobs), job.path.relative_to(job.root).as_posix())
            if got.failure:
                report.failed.append((str(job.path), got.failure))
                continue
            if got.unchanged:
                report.unchanged.append(job.document_id)
                continue
            doc_id, records = job.document_id, got.compiled
            fresh[doc_id], compiled[doc_id] = got.chunks, records
            notes.update(got.notes)
            report.pages_read += got.pages
            report.warnings.extend((str(job.path), doubt) for doubt in got.doubts)
            report.warnings.extend((str(job.path), f"criteria: {w}") for w in records.warnings)
            (report.updated if job.previous else report.added).append(doc_id)
            documents[doc_id] = {
                **got.meta, "metadata_warnings": got.doubts, "manifest_row": job.row.label if job.row else "",
                "root": str(job.root), "path": job.path.relative_to(job.root).as_posix(),
                "sha256": got.sha256, "pages": got.pages, "chunk_config": chunk_config,
                "metadata_config": job.metadata_config,
                "chunk_ids": [c.chunk_id for c in got.chunks], "criteria_warnings": records.warnings,
            }
            encoding.add([c for c in got.chunks if not same_vector(previous_chunks.get(c.chunk_id), c)])
        encoding.reading = False
        encoding.finish()
        report.warnings[:0] = sidecars.warnings  # the manifests' own problems first

        # Documents of a synced folder whose files are gone are removed; a file that is still
        # there but now fails to load keeps its last good version (it is in seen_ids).
        for doc_id, entry in list(documents.items()):
            if entry["root"] in roots and doc_id not in seen_ids:
                del documents[doc_id]
                report.removed.append(doc_id)

        report.embed_seconds = time.perf_counter() - t0  # reading and encoding, side by side
        report.chunks_embedded = encoding.embedded
        report.chunks_resumed = encoding.resumed

        all_chunks: list[Chunk] = []
        for doc_id in sorted(documents):
            if doc_id in fresh:
                all_chunks.extend(fresh[doc_id])
            else:
                all_chunks.extend(writer.previous_chunks[cid] for cid in documents[doc_id]["chunk_ids"])
        report.chunks_total = len(all_chunks)
        recompiled = reuse_criteria(writer, documents, compiled, report)
        t1 = time.perf_counter()
        record_vectors, embedded_now = embed_records(compiled, writer.previous_record_vectors, embeddings)
        report.encode_seconds = writer.encode_seconds + (time.perf_counter() - t1)
        changed = (report.added or report.updated or report.removed or rebuild or writer.crashed_before or recompiled
                   or embedded_now or writer.previous_precomputed is None)
        if changed or writer.previous_manifest is None:
            writer.commit(all_chunks, documents, {"chunker": CHUNKER_VERSION}, compiled, record_vectors,
                          build_precomputed(all_chunks, {**kept_notes(writer, all_chunks), **notes}))
            report.committed = True
        else:
            writer.release()
    report.seconds = time.perf_counter() - started
    return report


def plan_reads(files: list[SourceFile], documents: dict[str, dict], seen_ids: set[str], report: SyncReport,
               sidecars: Sidecars) -> list[Job]:
    """The files to read, each with its manifest row and last commit's entry; a file whose document
    id another file of this run takes, or that another folder indexed, fails here."""
    jobs = []
    for src in files:
        doc_id = src.document_id
        if doc_id in seen_ids:
            report.failed.append((str(src.path), f"document id {doc_id!r} is already taken by another file in this run"))
            continue
        seen_ids.add(doc_id)
        previous = documents.get(doc_id)
        if previous and previous["root"] != str(src.root):
            report.failed.append((str(src.path), f"document id {doc_id!r} is already indexed from "
                                  f"{previous['root']}; re-ingest that folder, or use --rebuild"))
            continue
        row = sidecars.row_for(src.path)
        metadata_config = f"{METADATA_VERSION}/{row.digest if row else '-'}"  # an edited row re-reads the file
        jobs.append(Job(src.path, src.root, doc_id, row, metadata_config, previous))
    return jobs


def kept_notes(writer: IndexWriter, chunks: list[Chunk]) -> dict[str, ChunkNotes]:
    """The last commit's statements and terms of the chunks it holds unchanged (text, title, section)."""
    old = precomputed_notes(writer.previous_precomputed)
    previous = writer.previous_chunks
    return {c.chunk_id: old[c.chunk_id] for c in chunks if c.chunk_id in old and c.chunk_id in previous
            and (previous[c.chunk_id].text, previous[c.chunk_id].title, previous[c.chunk_id].section)
            == (c.text, c.title, c.section)}


def reuse_criteria(writer: IndexWriter, documents: dict[str, dict], compiled: dict[str, CompiledDocument],
                   report: SyncReport) -> bool:
    """Fill ``compiled`` for the documents this sync did not read: their records from the last
    commit, or compiled again from their stored chunks (no re-embedding) when the last commit has
    none (an index built before criteria were compiled) or an older compiler wrote them. True
    when any was compiled again, so the generation is rewritten with them."""
    again = False
    for doc_id, entry in documents.items():
        if doc_id in compiled:
            continue
        old = writer.previous_compiled.get(doc_id)
        if old is None or old.compiler != COMPILER_VERSION:
            old = compile_criteria([writer.previous_chunks[cid] for cid in entry["chunk_ids"]])
            entry["criteria_warnings"] = old.warnings
            report.warnings.extend((entry.get("path", doc_id), f"criteria: {w}") for w in old.warnings)
            again = True
        compiled[doc_id] = old
    return again
