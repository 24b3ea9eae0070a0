"""Writing an index: one writer at a time (``ingest/lock.py``), vectors into Chroma in batches, then a
new generation committed with an atomic rename. See ``app/index.py`` for the layout.

A sync's vectors are written where no reader looks until the commit: a staging collection beside
the live one (an incremental sync), or the fresh collection the new generation will name (a first
ingest, a rebuild). So a killed sync never changes what the committed index retrieves, and its
rerun resumes: chunks already embedded there, with the same text and metadata by the same
embedder, are not embedded again."""

from __future__ import annotations

import json
import os
import shutil
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Callable, Iterable

from app.chunks import Chunk
from app.engine.compiled import (CRITERIA_FILE, RECORD_VECTORS_FILE, CompiledDocument, read_compiled,
                                 read_record_vectors, write_record_vectors)
from app.errors import EmbedderMismatch
from app.engine.retrieve.index import CURRENT, GENERATIONS, current_generation, read_chunks
from app.engine.retrieve.lexical import LexicalIndex
from app.engine.retrieve.precomputed import PRECOMPUTED_FILE, Precomputed
from app.engine.retrieve.precomputed import read as read_precomputed
from app.engine.retrieve.precomputed import write as write_precomputed
from ingest.chunking import chunk_header
from ingest.progress import DIRTY, marker_fields, read_marker

STAGING = "-staging"  # suffix of the collection a sync writes before its commit


def fsync_dir(path: Path) -> None:
    """Make a rename or a new file in ``path`` durable (the directory entry itself)."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class IndexWriter:
    """Holds the previous committed state, adds vectors, commits a new generation."""

    def __init__(self, index_dir: Path, *, stamp: str, collection: str, rebuild: bool,
                 vector_store_factory: Callable[[str], object], paths: list[str] | None = None):
        self.index_dir = index_dir
        self.paths = paths or []  # what the sync was asked to ingest: the marker names them for a resume
        self.stamp = stamp
        self.base_collection = collection
        previous = current_generation(index_dir)
        self.previous_manifest = json.loads((previous / "manifest.json").read_text()) if previous else None
        if self.previous_manifest and not rebuild and self.previous_manifest.get("embedder") != stamp:
            raise EmbedderMismatch(
                f"the index at {index_dir} was built with embedder {self.previous_manifest.get('embedder')!r}; "
                f"these settings select {stamp!r}. Re-run with --rebuild to re-embed everything"
            )
        self.previous_chunks: dict[str, Chunk] = (
            {c.chunk_id: c for c in read_chunks(previous)} if previous and not rebuild else {}
        )
        # the compiled criteria of the last commit (none from an index built before they existed)
        self.previous_compiled: dict[str, CompiledDocument] = read_compiled(previous) if previous and not rebuild else {}
        self.previous_record_vectors = read_record_vectors(previous) if previous and not rebuild else {}
        # statements and terms start-up reads (none from an index built before, or by other code)
        self.previous_precomputed = read_precomputed(previous, self.previous_chunks) if previous and not rebuild else None
        self.documents: dict[str, dict] = (
            dict(self.previous_manifest["documents"]) if self.previous_manifest and not rebuild else {}
        )
        seq = int(self.previous_manifest.get("sequence", 0)) + 1 if self.previous_manifest else 1
        self.sequence = seq
        # A rebuild writes a fresh collection, so the old one keeps answering until the switch.
        if rebuild or not self.previous_manifest:
            self.collection = f"{collection}-g{seq:06d}"
        else:
            self.collection = self.previous_manifest["collection"]
        self.vector_store = vector_store_factory(self.collection)
        self.crashed_before = (index_dir / DIRTY).exists()
        self.marker_started = ""
        prior = read_marker(index_dir) if self.crashed_before else None  # its count holds until resume() recounts
        self.kept = 0  # chunks a killed run embedded that this one keeps
        self.embedded = 0  # chunks this run embedded
        self.encode_seconds = 0.0  # of this run's time, spent in the encoder (the rest: reading, storing)
        self._mark(embedded=prior.embedded if prior else 0, total=prior.total if prior else 0)
        self.live = bool(self.previous_manifest) and not rebuild  # writing the collection readers search
        if not self.live:  # a killed run's collection of this name is resumed only if it has our embedder
            self.vector_store = _with_embedder(self.vector_store, stamp, vector_store_factory)
        self._factory = vector_store_factory
        self._staging = None if self.live else self.vector_store
        self.staged: list[str] = []
        if self.crashed_before and self.previous_manifest:
            self._remove_uncommitted(vector_store_factory(self.previous_manifest["collection"]))

    # -------------------------------------------------------------- vectors

    def stored_ids(self) -> set[str]:
        """Chunk ids whose vectors the collection already holds and the last commit lists."""
        return set(self.previous_chunks)

    @property
    def staging(self):
        """Where this sync's vectors go until the commit (made on first use)."""
        if self._staging is None:
            self._staging = _with_embedder(self._factory(f"{self.collection}{STAGING}"), self.stamp, self._factory)
        return self._staging

    def resume(self, chunks: list[Chunk]) -> list[Chunk]:
        """The chunks still to embed: those a killed run already embedded (same id, so the same
        document and content; the same text embedded and the same metadata; by this embedder) are
        kept from its vectors and not embedded again."""
        if not chunks:
            return []
        collection = self.staging._collection
        wanted = {c.chunk_id: c for c in chunks}
        done: set[str] = set()
        for part in _batches(list(wanted), collection._client.get_max_batch_size()):
            got = collection.get(ids=part, include=["documents", "metadatas"])
            for cid, text, meta in zip(got["ids"], got["documents"], got["metadatas"]):
                chunk = wanted[cid]
                if text == embed_text(chunk) and meta == chunk.chroma_metadata():
                    done.add(cid)
        self.staged.extend(sorted(done))
        self.kept += len(done)
        return [c for c in chunks if c.chunk_id not in done]

    def add_vectors(self, chunks: list[Chunk], *, batch: int, progress: Callable[[int], None],
                    step: int | None = None, total: int | None = None) -> None:
        """Embed and upsert into staging. The texts of each group of ``batch`` are encoded longest
        first (less padding), ``step`` at a time; a thread stores each step while the next is
        encoded, and a step is reported only once stored, so progress comes every few seconds and
        what is reported is what a rerun keeps. ``total``: the chunks this sync needs vectors for
        so far, for the marker (default: these)."""
        if not chunks:
            return
        collection = self.staging._collection
        limit = min(batch, collection._client.get_max_batch_size())
        step = min(step or limit, limit)
        embed = self.staging.embeddings.embed_documents
        marked_total = total if total is not None else self.kept + len(chunks)

        def stored(future, part: list[Chunk]) -> None:
            future.result()  # a store that failed fails the sync here
            self.staged.extend(c.chunk_id for c in part)
            self.embedded += len(part)
            self._mark(embedded=self.kept + self.embedded, total=marked_total)
            progress(len(part))

        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="criterion-store") as store:
            pending = None
            for start in range(0, len(chunks), limit):
                group = sorted(chunks[start:start + limit], key=lambda c: -len(embed_text(c)))
                for first in range(0, len(group), step):
                    part = group[first:first + step]
                    texts = [embed_text(c) for c in part]
                    t0 = time.perf_counter()
                    vectors = embed(texts)
                    self.encode_seconds += time.perf_counter() - t0
                    if pending is not None:
                        stored(*pending)
                    pending = (store.submit(collection.upsert, ids=[c.chunk_id for c in part], embeddings=vectors,
                                            documents=texts, metadatas=[c.chroma_metadata() for c in part]), part)
            if pending is not None:
                stored(*pending)

    def _mark(self, *, embedded: int, total: int) -> None:
        """The in-progress marker: this run's pid, start, paths and how far it has embedded (what
        the rerun of a killed run reports)."""
        text = marker_fields(self.paths, embedded=embedded, total=total, started_at=self.marker_started)
        self.marker_started = self.marker_started or json.loads(text)["started_at"]
        (self.index_dir / DIRTY).write_text(text)

    def _publish(self) -> None:
        """Copy the staged vectors into the collection the new generation names (no re-embedding)."""
        if self._staging is None or self._staging is self.vector_store:
            return
        source, target = self.staging._collection, self.vector_store._collection
        for part in _batches(self.staged, target._client.get_max_batch_size()):
            got = source.get(ids=part, include=["embeddings", "documents", "metadatas"])
            target.upsert(ids=got["ids"], embeddings=got["embeddings"], documents=got["documents"],
                          metadatas=got["metadatas"])

    def _remove_uncommitted(self, store) -> None:
        """Vectors a killed run left in the live collection (killed while publishing): readers
        skip them, but they would take places among the nearest neighbours."""
        collection = store._collection
        committed = {cid for entry in self.previous_manifest["documents"].values() for cid in entry["chunk_ids"]}
        stray = sorted(set(collection.get(include=[])["ids"]) - committed)
        for part in _batches(stray, collection._client.get_max_batch_size()):
            collection.delete(ids=part)

    # -------------------------------------------------------------- commit

    def commit(self, chunks: Iterable[Chunk], documents: dict[str, dict], extra: dict,
               compiled: dict[str, CompiledDocument] | None = None, record_vectors: dict | None = None,
               precomputed: Precomputed | None = None) -> Path:
        """Write the new generation beside the old (chunks, their compiled criteria, the
        recommendations' vectors, what start-up reads precomputed, BM25, the manifest), then switch
        ``CURRENT`` atomically."""
        chunk_list = list(chunks)
        self._publish()
        name = f"g{self.sequence:06d}"
        gens = self.index_dir / GENERATIONS
        gens.mkdir(parents=True, exist_ok=True)
        tmp = gens / f"{name}.tmp"
        if tmp.exists():
            shutil.rmtree(tmp)
        tmp.mkdir()
        with open(tmp / "chunks.jsonl", "w", encoding="utf-8") as fh:
            for c in chunk_list:
                fh.write(c.model_dump_json() + "\n")
            fh.flush()
            os.fsync(fh.fileno())
        with open(tmp / CRITERIA_FILE, "w", encoding="utf-8") as fh:
            for doc_id in sorted(compiled or {}):
                fh.write(compiled[doc_id].model_dump_json(exclude_none=True) + "\n")
            fh.flush()
            os.fsync(fh.fileno())
        if record_vectors is not None:
            write_record_vectors(tmp / RECORD_VECTORS_FILE, record_vectors)
        if precomputed is not None:
            write_precomputed(tmp / PRECOMPUTED_FILE, precomputed)
        LexicalIndex.build([lexical_text(c) for c in chunk_list], [c.chunk_id for c in chunk_list]).save(tmp / "bm25")
        manifest = {
            "sequence": self.sequence,
            "embedder": self.stamp,
            "collection": self.collection,
            "created_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "chunk_count": len(chunk_list),
            "documents": documents,
            **extra,
        }
        with open(tmp / "manifest.json", "w", encoding="utf-8") as fh:
            json.dump(manifest, fh, indent=1, sort_keys=True)
            fh.flush()
            os.fsync(fh.fileno())
        final = gens / name
        if final.exists():
            shutil.rmtree(final)
        os.replace(tmp, final)
        fsync_dir(gens)
        pointer_tmp = self.index_dir / f"{CURRENT}.tmp"
        pointer_tmp.write_text(name)
        with open(pointer_tmp) as fh:
            os.fsync(fh.fileno())
        os.replace(pointer_tmp, self.index_dir / CURRENT)
        fsync_dir(self.index_dir)
        self._collect_garbage({c.chunk_id for c in chunk_list}, keep=name)
        (self.index_dir / DIRTY).unlink(missing_ok=True)
        return final

    def release(self) -> None:
        """Nothing changed: the committed generation stays as it is."""
        if not self.crashed_before:
            (self.index_dir / DIRTY).unlink(missing_ok=True)

    def _collect_garbage(self, live: set[str], keep: str) -> None:
        collection = self.vector_store._collection
        if self.crashed_before:
            stale = set(collection.get(include=[])["ids"]) - live  # vectors a killed run left behind
        else:
            stale = set(self.previous_chunks) - live
        for part in _batches(sorted(stale), collection._client.get_max_batch_size()):
            collection.delete(ids=part)
        client = collection._client
        base = self.base_collection
        for other in client.list_collections():
            other_name = getattr(other, "name", other)
            if other_name != self.collection and (
                other_name in (base, f"{base}{STAGING}") or other_name.startswith(f"{base}-g")
            ):
                client.delete_collection(other_name)  # replaced by a rebuild, staging, or left by a killed run
        for gen in (self.index_dir / GENERATIONS).iterdir():
            if gen.name != keep:
                shutil.rmtree(gen, ignore_errors=True)


def _batches(ids: list[str], size: int) -> Iterable[list[str]]:
    for start in range(0, len(ids), size):
        yield ids[start:start + size]


def _with_embedder(store, stamp: str, vector_store_factory: Callable[[str], object]):
    """``store``, emptied and made again if a killed run left it with another embedder's vectors."""
    collection = store._collection
    if (collection.metadata or {}).get("embedder") == stamp:
        return store
    collection._client.delete_collection(collection.name)
    return vector_store_factory(collection.name)


def embed_text(chunk: Chunk) -> str:
    """What the dense encoder reads: where the chunk sits, then its words."""
    return f"{chunk_header(chunk.title, chunk.section)}\n{chunk.text}"


def lexical_text(chunk: Chunk) -> str:
    """What BM25 indexes: the same, plus the document's codes (so J1459 in a question finds the policy)."""
    return f"{embed_text(chunk)}\n{' '.join(chunk.codes)}"
