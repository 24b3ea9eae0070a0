"""Dense search gives the same ids, in the same order, in every process that reads an index.

Embedded Chroma keeps the last writes (fewer than the collection's HNSW ``sync_threshold``) only in
its log; every process that opens the index replays them into its own in-memory HNSW graph, in
parallel and in hash order, so two readers of one unchanged index hold different graphs, and an
approximate search misses different true neighbours in each (on the real corpus, 2 of 420 dev
questions retrieved other passages from one run to the next). ``ChromaSearch`` over an embedded
store therefore searches the collection's vectors exactly, in memory: these tests build a small
index whose graph is poor on purpose (a tiny ef, never persisted) and check that readers in
separate processes get the exact nearest neighbours, identical across processes, ties ordered by
id, filters applied."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from app.backends import make_chroma_client, make_dense_search
from app.engine.retrieve.dense import ChromaSearch

ROOT = Path(__file__).resolve().parents[2]
N, DIM, K = 1500, 48, 10
COLLECTION = "reproducible"


def _vectors(seed: int, n: int) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal((n, DIM)).astype(np.float32)


def _exact(matrix: np.ndarray, ids: list[str], query: np.ndarray, k: int) -> list[str]:
    unit = matrix / np.linalg.norm(matrix, axis=1, keepdims=True)
    sims = unit @ (query / np.linalg.norm(query))
    return [ids[i] for i in sorted(range(len(ids)), key=lambda i: (-sims[i], ids[i]))[:k]]


@pytest.fixture(scope="module")
def index(tmp_path_factory):
    """An embedded Chroma directory: N random vectors, HNSW with a tiny ef (approximate search
    misses neighbours) and a sync threshold never reached (every reader replays the whole log)."""
    import chromadb

    path = tmp_path_factory.mktemp("reproducible") / "chroma"
    client = chromadb.PersistentClient(path=str(path), settings=chromadb.Settings(anonymized_telemetry=False))
    collection = client.create_collection(COLLECTION, configuration={"hnsw": {
        "space": "cosine", "ef_search": 10, "ef_construction": 10, "max_neighbors": 4, "sync_threshold": 100_000}})
    vectors = _vectors(0, N)
    ids = [f"c{i:05d}" for i in range(N)]
    for start in range(0, N, 500):
        collection.add(ids=ids[start:start + 500], embeddings=vectors[start:start + 500].tolist())
    return path, ids, vectors


READER = """
import json, sys
import chromadb
from app.backends import make_dense_search
from app.settings import Settings
path, name, queries, k = sys.argv[1], sys.argv[2], json.loads(sys.argv[3]), int(sys.argv[4])
client = chromadb.PersistentClient(path=path, settings=chromadb.Settings(anonymized_telemetry=False))
search = make_dense_search(Settings(embedding={"backend": "fake"}), client, name, store=None)  # the embedded store's
print(json.dumps([[cid for cid, _ in search.nearest(q, k)] for q in queries]))
"""


def _read_in_process(path: Path, queries: np.ndarray, k: int) -> list[list[str]]:
    done = subprocess.run([sys.executable, "-c", READER, str(path), COLLECTION, json.dumps(queries.tolist()), str(k)],
                          cwd=ROOT, capture_output=True, text=True, timeout=120, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_readers_in_separate_processes_get_the_exact_neighbours(index):
    path, ids, vectors = index
    queries = _vectors(1, 25)
    runs = [_read_in_process(path, queries, K) for _ in range(3)]
    exact = [_exact(vectors, ids, q, K) for q in queries]
    assert runs[0] == exact  # every true neighbour, nearest first
    assert runs[1] == runs[0] and runs[2] == runs[0]  # and the same in every process


def test_ties_are_ordered_by_id_and_filters_apply(tmp_path, fake_settings):
    settings = fake_settings.model_copy(update={"data_dir": tmp_path})
    client = make_chroma_client(settings)
    collection = client.create_collection("ties", configuration={"hnsw": {"space": "cosine"}})
    base = _vectors(2, 31)
    twins = [f"t{i}" for i in (7, 3, 9, 1, 5)]  # five copies of one vector, added out of order
    collection.add(ids=twins + [f"o{i:02d}" for i in range(30)],
                   embeddings=[base[0].tolist()] * 5 + (base[1:] * 0.5 + base[0]).tolist(),
                   metadatas=[{"doc_type": "policy"}] * 5 + [{"doc_type": "policy" if i % 2 else "guideline"}
                                                            for i in range(30)])
    search = make_dense_search(settings, client, "ties", store=None)
    assert isinstance(search, ChromaSearch)
    found = search.nearest(base[0].tolist(), 8)
    assert [cid for cid, _ in found[:5]] == sorted(twins) and all(abs(s - 1.0) < 1e-5 for _, s in found[:5])
    assert all(a >= b for (_, a), (_, b) in zip(found, found[1:]))
    policies = search.nearest(base[0].tolist(), 40, {"doc_type": {"$in": ["policy"]}})
    assert len(policies) == 5 + 15 and all(cid.startswith("t") or int(cid[1:]) % 2 for cid, _ in policies)
    assert search.nearest(base[0].tolist(), 3, {"doc_type": {"$in": ["nothing"]}}) == []
    empty = client.create_collection("empty", configuration={"hnsw": {"space": "cosine"}})
    assert ChromaSearch(empty, exact=True).nearest(base[0].tolist(), 3) == []
