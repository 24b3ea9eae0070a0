"""Incremental, safe sync of folders into an index: add new files, re-index changed ones, remove
documents whose files are gone, skip unchanged ones; bad files are reported by name and the rest
of the batch goes in."""

from __future__ import annotations

import hashlib
import logging
from fnmatch import fnmatch
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from app.backends import embedder_stamp, make_embeddings, make_token_counter, make_vector_store, max_chunk_tokens, make_chroma_client
from app.chunks import Chunk
from app.engine.compiled import CompiledDocument
from app.errors import DocumentError, FileTooLarge
from app.settings import Settings
from ingest.chunking import chunk_document
from ingest.compile import COMPILER_VERSION, compile_document
from ingest.record_vectors import embed_records
from ingest.indexing import IndexWriter
from ingest.lock import IndexLock
from ingest.loaders import load_document
from ingest.manifest import SIDECAR_NAMES, Sidecars
from ingest.progress import with_item
from ingest.metadata import TEXT_BOUNDS, resolve

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
            "embed_seconds": round(self.embed_seconds, 3),
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
        count = make_token_counter(settings)
        fresh: dict[str, list[Chunk]] = {}
        compiled: dict[str, CompiledDocument] = {}
        seen_ids: set[str] = set()
        sidecars = Sidecars(TEXT_BOUNDS)

        for i, src in enumerate(files, start=1):
            progress("read", i, len(files), src.path.relative_to(src.root).as_posix())
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
            try:
                size = src.path.stat().st_size
                if size > max_bytes:
                    raise FileTooLarge(f"{src.path.name}: {size / 1e6:.1f} MB is over the {max_bytes / 1e6:.1f} MB limit")
                data = src.path.read_bytes()
                sha = hashlib.sha256(data).hexdigest()
                if (previous and previous["sha256"] == sha and previous.get("chunk_config") == chunk_config
                        and previous.get("metadata_config") == metadata_config):
                    report.unchanged.append(doc_id)
                    continue
                doc = load_document(src.path, max_bytes=max_bytes, data=data)
                meta, doubts = resolve(doc, doc_id, row.fields if row else None)
                chunks = chunk_document(doc, document_id=doc_id, meta=meta, max_tokens=max_tokens,
                                        overlap_tokens=settings.chunking.overlap_tokens, count=count)
            except DocumentError as exc:
                report.failed.append((str(src.path), exc.message))
                log.error("failed %s: %s", src.path, exc.message)
                continue
            except OSError as exc:
                report.failed.append((str(src.path), f"cannot read: {exc.strerror or exc}"))
                continue
            fresh[doc_id] = chunks
            compiled[doc_id] = records = compile_criteria(chunks)
            report.pages_read += doc.pages
            report.warnings.extend((str(src.path), doubt) for doubt in doubts)
            report.warnings.extend((str(src.path), f"criteria: {w}") for w in records.warnings)
            (report.updated if previous else report.added).append(doc_id)
            documents[doc_id] = {
                **meta, "metadata_warnings": doubts, "manifest_row": row.label if row else "",
                "root": str(src.root), "path": src.path.relative_to(src.root).as_posix(),
                "sha256": sha, "pages": doc.pages, "chunk_config": chunk_config, "metadata_config": metadata_config,
                "chunk_ids": [c.chunk_id for c in chunks], "criteria_warnings": records.warnings,
            }
        report.warnings[:0] = sidecars.warnings  # the manifests' own problems first

        # Documents of a synced folder whose files are gone are removed; a file that is still
        # there but now fails to load keeps its last good version (it is in seen_ids).
        for doc_id, entry in list(documents.items()):
            if entry["root"] in roots and doc_id not in seen_ids:
                del documents[doc_id]
                report.removed.append(doc_id)

        previous_chunks = writer.previous_chunks
        new_chunks = [c for chunks in fresh.values() for c in chunks
                      if not same_vector(previous_chunks.get(c.chunk_id), c)]
        to_embed = writer.resume(new_chunks)  # a killed run's vectors of the same chunks are kept
        report.chunks_resumed = len(new_chunks) - len(to_embed)
        t0 = time.perf_counter()
        done = 0

        def advance(n: int) -> None:
            nonlocal done
            done += n
            progress("embed", done, len(to_embed))

        # large groups let the encoder sort by length across more texts (less padding)
        if to_embed:
            progress("embed", 0, len(to_embed))  # the phase starts: its rate counts from here
        writer.add_vectors(to_embed, batch=max(512, settings.embedding.batch_size), progress=advance,
                           step=settings.embedding.batch_size)
        report.embed_seconds = time.perf_counter() - t0
        report.chunks_embedded = len(to_embed)

        all_chunks: list[Chunk] = []
        for doc_id in sorted(documents):
            if doc_id in fresh:
                all_chunks.extend(fresh[doc_id])
            else:
                all_chunks.extend(writer.previous_chunks[cid] for cid in documents[doc_id]["chunk_ids"])
        report.chunks_total = len(all_chunks)
        recompiled = reuse_criteria(writer, documents, compiled, report)
        record_vectors, embedded_now = embed_records(compiled, writer.previous_record_vectors, embeddings)
        changed = (report.added or report.updated or report.removed or rebuild or writer.crashed_before or recompiled
                   or embedded_now)
        if changed or writer.previous_manifest is None:
            writer.commit(all_chunks, documents, {"chunker": CHUNKER_VERSION}, compiled, record_vectors)
            report.committed = True
        else:
            writer.release()
    report.seconds = time.perf_counter() - started
    return report


def compile_criteria(chunks: list[Chunk]) -> CompiledDocument:
    """A document's compiled criteria; a fault in the compiler costs the document its records
    (and says so in a warning), never its place in the index."""
    try:
        return compile_document(chunks)
    except Exception as exc:  # noqa: BLE001 - any compiler fault: the document still ingests
        log.exception("criteria compiler failed on %s", chunks[0].document_id if chunks else "?")
        return CompiledDocument(document_id=chunks[0].document_id if chunks else "", compiler=COMPILER_VERSION,
                                warnings=[f"criteria could not be compiled ({exc.__class__.__name__}: {exc})"])


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
