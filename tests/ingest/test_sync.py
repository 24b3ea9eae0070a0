"""Incremental sync, bad input in a batch, one writer at a time, embedder stamps, kill -9 midway."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from app.backends import embedder_stamp, make_chroma_client, make_embeddings, make_vector_store
from app.errors import EmbedderMismatch, IndexLocked
from app.engine.retrieve.index import open_index
from ingest.lock import IndexLock
from ingest.sync import sync
from pdfs import make_pdf

ROOT = Path(__file__).resolve().parents[2]


def policy(topic: str, n: int = 3) -> str:
    body = "\n\n".join(f"{topic.title()} is covered when criterion {i} about {topic} is met." for i in range(n))
    return f"---\ntitle: {topic.title()} policy\ndoc_type: policy\nstatus: current\n---\n# {topic.title()}\n\n## Policy\n\n{body}\n"


def make_corpus(root: Path, topics: list[str]) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    for t in topics:
        (root / "policies").mkdir(exist_ok=True)
        (root / "policies" / f"{t}.md").write_text(policy(t))
    return root


def test_add_unchanged_update_remove(tmp_path, fake_settings):
    corpus = make_corpus(tmp_path / "corpus", ["ivig", "cpap", "oxygen"])
    first = sync([corpus], fake_settings)
    assert sorted(first.added) == ["policies/cpap", "policies/ivig", "policies/oxygen"] and first.ok
    assert first.chunks_embedded == first.chunks_total > 0

    again = sync([corpus], fake_settings)
    assert len(again.unchanged) == 3 and again.chunks_embedded == 0 and not again.committed

    (corpus / "policies" / "cpap.md").write_text(policy("cpap", n=4))
    (corpus / "policies" / "oxygen.md").unlink()
    (corpus / "guideline.html").write_text("<h1>MG guideline</h1><p>Use pyridostigmine first.</p>")
    third = sync([corpus], fake_settings)
    assert third.updated == ["policies/cpap"] and third.removed == ["policies/oxygen"] and third.added == ["guideline"]
    assert sorted(third.unchanged) == ["policies/ivig"]

    index = open_index(fake_settings.index_path, stamp=embedder_stamp(fake_settings))
    assert set(index.documents) == {"policies/ivig", "policies/cpap", "guideline"}
    chunk = next(c for c in index.chunks.values() if c.document_id == "policies/cpap")
    assert chunk.title == "Cpap policy" and chunk.doc_type == "policy" and chunk.section.startswith("Cpap")
    assert chunk.source_sha256 and chunk.chunk_id.startswith("policies/cpap#")
    client = make_chroma_client(fake_settings)
    assert client.get_collection(index.collection).count() == len(index.chunks), "stale vectors left behind"


def test_touching_one_file_reindexes_only_that_file(tmp_path, fake_settings):
    corpus = make_corpus(tmp_path / "corpus", ["a-topic", "b-topic"])
    sync([corpus], fake_settings)
    path = corpus / "policies" / "a-topic.md"
    path.write_text(path.read_text() + "\nOne more sentence about a-topic.\n")
    report = sync([corpus], fake_settings)
    assert report.updated == ["policies/a-topic"] and report.unchanged == ["policies/b-topic"]
    assert 0 < report.chunks_embedded < report.chunks_total


def test_bad_files_are_reported_and_the_rest_indexed(tmp_path, fake_settings):
    corpus = make_corpus(tmp_path / "corpus", ["ivig"])
    sync([corpus], fake_settings)
    (corpus / "corrupt.pdf").write_bytes(make_pdf([["x"]])[:300])
    (corpus / "empty.pdf").write_bytes(b"")
    (corpus / "binary.md").write_bytes(bytes(range(256)) * 8)
    (corpus / "latin1.txt").write_bytes("r\xe9sum\xe9".encode("latin-1"))
    (corpus / "notes.docx").write_bytes(b"PK\x03\x04")
    (corpus / "good.txt").write_text("CPAP is covered for AHI of 15 or more.")
    (corpus / "README.md").write_text("# About this folder\n\nNot guidance.")
    report = sync([corpus], fake_settings)
    failed = {Path(p).name: reason for p, reason in report.failed}
    assert set(failed) == {"corrupt.pdf", "empty.pdf", "binary.md", "latin1.txt"}
    assert "UTF-8" in failed["latin1.txt"] and "binary" in failed["binary.md"]
    assert sorted(Path(p).name for p, _ in report.skipped) == ["README.md", "notes.docx"]
    assert report.added == ["good"] and report.unchanged == ["policies/ivig"]
    index = open_index(fake_settings.index_path, stamp=embedder_stamp(fake_settings))
    assert set(index.documents) == {"policies/ivig", "good"}


def test_a_file_that_turns_corrupt_keeps_its_last_good_version(tmp_path, fake_settings):
    corpus = make_corpus(tmp_path / "corpus", ["ivig"])
    sync([corpus], fake_settings)
    (corpus / "policies" / "ivig.md").write_bytes(b"\x00\x01\x02 broken")
    report = sync([corpus], fake_settings)
    assert len(report.failed) == 1 and not report.removed
    index = open_index(fake_settings.index_path, stamp=embedder_stamp(fake_settings))
    assert "policies/ivig" in index.documents


def test_cli_exit_code_and_summary(tmp_path):
    corpus = make_corpus(tmp_path / "corpus", ["ivig"])
    (corpus / "bad.pdf").write_bytes(b"%PDF-1.4 garbage")
    env = {**os.environ, "CRITERION_EMBEDDING__BACKEND": "fake"}
    run = subprocess.run([sys.executable, "-m", "app.cli", "ingest", str(corpus), "--index", str(tmp_path / "ix")],
                         capture_output=True, text=True, env=env, cwd=ROOT)
    assert run.returncode == 1
    assert "bad.pdf" in run.stderr and "added 1" in run.stderr and "failed 1" in run.stderr


def test_second_writer_gets_a_clear_error(fake_settings):
    fake_settings.index_path.mkdir(parents=True)
    with IndexLock(fake_settings.index_path):
        with pytest.raises(IndexLocked, match="one writer at a time"):
            sync([Path(".")], fake_settings)


def test_index_built_by_another_embedder_is_refused(tmp_path, fake_settings):
    sync([make_corpus(tmp_path / "corpus", ["ivig"])], fake_settings)
    with pytest.raises(EmbedderMismatch, match="--rebuild"):
        open_index(fake_settings.index_path, stamp="all-MiniLM-L6-v2:fp32:000000000000")


def test_rebuild_replaces_the_collection(tmp_path, fake_settings):
    corpus = make_corpus(tmp_path / "corpus", ["ivig", "cpap"])
    sync([corpus], fake_settings)
    before = open_index(fake_settings.index_path, stamp=embedder_stamp(fake_settings)).collection
    report = sync([corpus], fake_settings, rebuild=True)
    after = open_index(fake_settings.index_path, stamp=embedder_stamp(fake_settings))
    assert report.chunks_embedded == report.chunks_total and after.collection != before
    names = [getattr(c, "name", c) for c in make_chroma_client(fake_settings).list_collections()]
    assert names == [after.collection]


def test_new_collections_are_searched_near_exactly(tmp_path, fake_settings):
    settings = fake_settings.model_copy(update={"chroma": fake_settings.chroma.model_copy(update={"ef_search": 321})})
    sync([make_corpus(tmp_path / "corpus", ["ivig"])], settings)
    index = open_index(settings.index_path, stamp=embedder_stamp(settings))
    collection = make_chroma_client(settings).get_collection(index.collection)
    hnsw = collection.configuration["hnsw"]
    assert (hnsw["space"], hnsw["ef_search"], hnsw["ef_construction"]) == ("cosine", 321, 200)


def dense_and_lexical_hits(settings, query: str) -> tuple[list[str], list[str]]:
    index = open_index(settings.index_path, stamp=embedder_stamp(settings))
    store = make_vector_store(settings, make_embeddings(settings), collection=index.collection)
    dense = [d.metadata["document_id"] for d in store.similarity_search(query, k=50) if d.id in index.chunks]
    lexical = [index.chunks[cid].document_id for cid, _ in index.lexical.search(query, 10)]
    return dense, lexical


@pytest.mark.slow
def test_kill_9_midway_leaves_the_old_index_usable_and_the_rerun_completes(tmp_path, fake_settings):
    corpus = make_corpus(tmp_path / "corpus", ["ivig", "cpap"])
    sync([corpus], fake_settings)
    before = dense_and_lexical_hits(fake_settings, "ivig criterion")
    big = corpus / "bulk"
    big.mkdir()
    for i in range(300):  # ~6,000 chunks: long enough to kill while vectors are being written
        (big / f"doc{i:03d}.md").write_text(policy(f"bulk topic {i}", n=20))
    env = {**os.environ, "CRITERION_EMBEDDING__BACKEND": "fake", "CRITERION_DATA_DIR": str(fake_settings.data_dir)}
    proc = subprocess.Popen([sys.executable, "-m", "app.cli", "ingest", str(corpus)], cwd=ROOT, env=env,
                            stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True)
    deadline = time.time() + 120
    for line in proc.stderr:
        if line.startswith("embedded") and time.time() < deadline:
            done, total = map(int, line.split()[1].split("/"))
            if done < total:
                proc.send_signal(signal.SIGKILL)
                break
    proc.wait(timeout=60)
    assert proc.returncode == -signal.SIGKILL, "the ingest finished before it could be killed"

    index = open_index(fake_settings.index_path, stamp=embedder_stamp(fake_settings))
    assert set(index.documents) == {"policies/ivig", "policies/cpap"}
    assert dense_and_lexical_hits(fake_settings, "ivig criterion") == before

    report = sync([corpus], fake_settings)
    assert report.ok and len(report.added) == 300 and report.unchanged == ["policies/cpap", "policies/ivig"]
    index = open_index(fake_settings.index_path, stamp=embedder_stamp(fake_settings))
    assert len(index.documents) == 302
    assert make_chroma_client(fake_settings).get_collection(index.collection).count() == len(index.chunks)
