"""Kill -9 an ingest while it embeds: the committed index is untouched (its collection holds no
vector of the killed run), and the rerun embeds only what the killed run had not, ending exactly
as a clean ingest of the same files does."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from app.backends import embedder_stamp, make_chroma_client, make_embeddings, make_vector_store
from app.engine.retrieve.index import open_index
from app.engine.retrieve.hybrid import Retriever
from app.settings import Settings
from ingest.sync import sync

from test_sync import make_corpus

ROOT = Path(__file__).resolve().parents[2]
QUERIES = ["ivig criterion", "cpap is covered", "bulk topic 17 criterion 3", "when is criterion 5 met"]


def sectioned(topic: str, sections: int) -> str:
    body = "\n".join(f"## Part {j}\n\n{topic.title()} is covered when criterion {j} about {topic} is met.\n"
                     for j in range(sections))
    return f"---\ntitle: {topic.title()} policy\ndoc_type: policy\n---\n# {topic.title()}\n\n{body}"


def opened(settings: Settings):
    embeddings = make_embeddings(settings)
    return open_index(settings.index_path, stamp=embedder_stamp(settings),
                      vector_store_factory=lambda name: make_vector_store(settings, embeddings, collection=name))


def nearest(settings: Settings) -> dict[str, list[str]]:
    """What the live collection returns, unfiltered: the ids of the 40 nearest vectors per query."""
    index = opened(settings)
    embeddings = make_embeddings(settings)
    collection = index.vector_store._collection
    return {q: collection.query(query_embeddings=[embeddings.embed_query(q)], n_results=40, include=[])["ids"][0]
            for q in QUERIES}


def retrieved(settings: Settings) -> dict[str, list[str]]:
    index = opened(settings)
    retriever = Retriever.from_settings(index, make_embeddings(settings), settings.retrieval)
    return {q: [h.chunk.chunk_id for h in retriever.search(q, k=13)] for q in QUERIES}


def vectors(settings: Settings) -> int:
    index = opened(settings)
    return make_chroma_client(settings).get_collection(index.collection).count()


def kill_midway(corpus: Path, settings: Settings) -> tuple[int, int]:
    """Run `criterion ingest` and kill -9 it once it has embedded some chunks but not all."""
    env = {**os.environ, "CRITERION_EMBEDDING__BACKEND": "fake", "CRITERION_DATA_DIR": str(settings.data_dir),
           "CRITERION_CHROMA__EF_SEARCH": str(settings.chroma.ef_search)}
    proc = subprocess.Popen([sys.executable, "-m", "app.cli", "ingest", str(corpus)], cwd=ROOT, env=env,
                            stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True)
    deadline, done, total = time.time() + 120, 0, 0
    for line in proc.stderr:
        if line.startswith("embedded") and time.time() < deadline:
            done, total = map(int, line.split()[1].split("/"))
            if 0 < done < total:
                proc.send_signal(signal.SIGKILL)
                break
    proc.wait(timeout=60)
    assert proc.returncode == -signal.SIGKILL, "the ingest finished before it could be killed"
    return done, total


# Dense search exhaustive over the ~4,000 vectors: two HNSW graphs built in a different order
# (resumed vs clean) may otherwise return different approximate neighbours for one query.
EXACT = {"ef_search": 5000}


@pytest.mark.slow
def test_a_killed_ingest_resumes_and_ends_as_a_clean_ingest(tmp_path):
    fake_settings = Settings(data_dir=tmp_path / "data", embedding={"backend": "fake"}, chroma=EXACT)
    corpus = make_corpus(tmp_path / "corpus", ["ivig", "cpap"])
    sync([corpus], fake_settings)
    committed_before, nearest_before = vectors(fake_settings), nearest(fake_settings)
    bulk = corpus / "bulk"
    bulk.mkdir()
    for i in range(200):  # 4,000 chunks: long enough to kill while vectors are being written
        (bulk / f"doc{i:03d}.md").write_text(sectioned(f"bulk topic {i}", sections=20))

    done, total = kill_midway(corpus, fake_settings)
    # the killed run left nothing where the committed index searches
    assert vectors(fake_settings) == committed_before == len(opened(fake_settings).chunks)
    assert nearest(fake_settings) == nearest_before

    rerun = sync([corpus], fake_settings)
    assert rerun.ok and len(rerun.added) == 200
    new = rerun.chunks_total - committed_before  # the killed run's line gave the total known then (files still read)
    assert rerun.chunks_resumed >= done and rerun.chunks_embedded + rerun.chunks_resumed == new
    assert 0 < rerun.chunks_embedded < new and done < total <= new
    print(json.dumps({"killed_at": f"{done}/{total}", "rerun": rerun.as_dict()}))

    clean = Settings(data_dir=tmp_path / "clean", embedding={"backend": "fake"}, chroma=EXACT)
    sync([corpus], clean)
    assert opened(fake_settings).order == opened(clean).order  # the same chunks, in the same order
    assert vectors(fake_settings) == vectors(clean) == len(opened(clean).chunks)
    assert retrieved(fake_settings) == retrieved(clean)
    names = [getattr(c, "name", c) for c in make_chroma_client(fake_settings).list_collections()]
    assert names == [opened(fake_settings).collection], "the staging collection outlived the commit"


def test_a_sync_resumes_from_vectors_a_killed_run_staged(tmp_path, fake_settings):
    """The same in-process: a run that stops after embedding, before its commit."""
    corpus = make_corpus(tmp_path / "corpus", ["ivig"])
    sync([corpus], fake_settings)
    make_corpus(corpus, ["cpap", "oxygen", "walker"])

    class Killed(Exception):
        pass

    def killed_after_embedding(phase: str, done: int, total: int) -> None:
        if phase == "embed" and done:
            raise Killed

    with pytest.raises(Killed):
        sync([corpus], fake_settings, progress=killed_after_embedding)
    assert vectors(fake_settings) == len(opened(fake_settings).chunks) == 1  # staged, not published
    rerun = sync([corpus], fake_settings)
    assert rerun.added == ["policies/cpap", "policies/oxygen", "policies/walker"]
    assert (rerun.chunks_resumed, rerun.chunks_embedded) == (3, 0)
    assert vectors(fake_settings) == len(opened(fake_settings).chunks) == 4
