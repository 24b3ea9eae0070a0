"""Synthetic scale run: the real chunks of an index replicated with perturbation up to N chunks,
then query latency and index size measured at checkpoints on the way.

    python -m bench.scale [--index DIR | --corpus corpus] [--size 100000] [--out FILE.json]

Replica j of chunk i gets the unit vector of ``v_i + sigma * g`` (g Gaussian with expected norm
1, so a replica keeps cosine ~0.9 to its original and the space fills like a bigger corpus of
similar documents, without encoding N texts) and the chunk's BM25 text with ~10% of its words
dropped at random. Vectors go into an embedded Chroma collection (cosine HNSW, documents and
metadata stored as Criterion stores them) in a temporary directory, in batched upserts; BM25 is
``app.engine.retrieve.lexical.LexicalIndex.build`` over the same texts. Queries are the gold questions, encoded
once beforehand: the latencies are the store's and BM25's alone (the encoder's cost does not
grow with the index; ``bench.run`` measures it separately).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")

SIGMA = 0.5
DROP = 0.1
FETCH_K = 40  # retrieval.fetch_k: candidates per retriever
BATCH = 5000


def checkpoints(size: int) -> list[int]:
    marks = [m for m in (10_000, 25_000, 50_000, 100_000, 250_000, 500_000, 1_000_000) if m < size]
    return [*marks, size]


def dir_bytes(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def load_source(index_dir: Path) -> tuple[list[str], np.ndarray, list[dict], list[str]]:
    """BM25 texts, vectors, Chroma metadata and Chroma documents of a committed Criterion index."""
    import chromadb

    from app.engine.retrieve.index import current_generation, read_chunks
    from ingest.indexing import lexical_text

    gen = current_generation(index_dir)
    if gen is None:
        raise SystemExit(f"no committed index at {index_dir}")
    manifest = json.loads((gen / "manifest.json").read_text())
    chunks = read_chunks(gen)
    client = chromadb.PersistentClient(path=str(index_dir / "chroma"),
                                       settings=chromadb.Settings(anonymized_telemetry=False))
    got = client.get_collection(manifest["collection"], embedding_function=None).get(
        ids=[c.chunk_id for c in chunks], include=["embeddings", "metadatas", "documents"])
    row = {cid: i for i, cid in enumerate(got["ids"])}
    keep = [c for c in chunks if c.chunk_id in row]
    vectors = np.asarray([got["embeddings"][row[c.chunk_id]] for c in keep], dtype=np.float32)
    return ([lexical_text(c) for c in keep], vectors, [got["metadatas"][row[c.chunk_id]] for c in keep],
            [got["documents"][row[c.chunk_id]] for c in keep])


def replicate(texts, vectors, start: int, stop: int, rng: np.random.Generator):
    """Rows ``start:stop`` of the synthetic corpus: row r copies source chunk r % n (row < n is the
    original itself), perturbed."""
    n, dim = vectors.shape
    src = np.arange(start, stop) % n
    out = vectors[src].copy()
    fresh = np.arange(start, stop) >= n
    noise = rng.standard_normal((int(fresh.sum()), dim)).astype(np.float32) * (SIGMA / np.sqrt(dim))
    out[fresh] += noise
    out /= np.linalg.norm(out, axis=1, keepdims=True)
    words_rng = random.Random(start)
    rows = []
    for r, s in zip(range(start, stop), src):
        if r < n:
            rows.append(texts[s])
        else:
            rows.append(" ".join(w for w in texts[s].split() if words_rng.random() >= DROP))
    return src, out, rows


def percentiles(values: list[float]) -> dict:
    return {"p50_ms": round(float(np.percentile(values, 50)), 2), "p95_ms": round(float(np.percentile(values, 95)), 2)}


def run(index_dir: Path, size: int, questions: list[str], query_vectors: np.ndarray, work: Path,
        seed: int = 0) -> dict:
    import chromadb

    from app.engine.retrieve.lexical import LexicalIndex

    texts, vectors, metadatas, documents = load_source(index_dir)
    rng = np.random.default_rng(seed)
    client = chromadb.PersistentClient(path=str(work / "chroma"), settings=chromadb.Settings(anonymized_telemetry=False))
    collection = client.create_collection("scale", embedding_function=None,
                                          configuration={"hnsw": {"space": "cosine"}})
    batch = min(BATCH, client.get_max_batch_size())
    all_texts: list[str] = []
    results = []
    done = 0
    insert_seconds = 0.0
    for mark in checkpoints(size):
        started = time.perf_counter()
        while done < mark:
            stop = min(done + batch, mark)
            src, vecs, rows = replicate(texts, vectors, done, stop, rng)
            collection.upsert(
                ids=[f"s{r}" for r in range(done, stop)], embeddings=vecs,
                documents=[documents[s] for s in src],
                metadatas=[{**metadatas[s], "replica": int(r // len(texts))} for r, s in zip(range(done, stop), src)],
            )
            all_texts.extend(rows)
            done = stop
        insert_seconds += time.perf_counter() - started
        started = time.perf_counter()
        lexical = LexicalIndex.build(all_texts, [f"s{r}" for r in range(done)])
        bm25_build = time.perf_counter() - started
        bm25_dir = work / f"bm25-{mark}"
        lexical.save(bm25_dir)
        collection.query(query_embeddings=[query_vectors[0]], n_results=FETCH_K)  # warm
        lexical.search(questions[0], FETCH_K)
        dense, bm25, both = [], [], []
        for q, v in zip(questions, query_vectors):
            t0 = time.perf_counter()
            collection.query(query_embeddings=[v], n_results=FETCH_K)
            t1 = time.perf_counter()
            lexical.search(q, FETCH_K)
            t2 = time.perf_counter()
            dense.append((t1 - t0) * 1000)
            bm25.append((t2 - t1) * 1000)
            both.append((t2 - t0) * 1000)
        results.append({
            "chunks": mark, "insert_seconds_cumulative": round(insert_seconds, 1),
            "bm25_build_seconds": round(bm25_build, 1), "dense": percentiles(dense), "bm25": percentiles(bm25),
            "dense_plus_bm25": percentiles(both), "chroma_bytes": dir_bytes(work / "chroma"),
            "bm25_bytes": dir_bytes(bm25_dir),
            "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        })
        shutil.rmtree(bm25_dir)
        print(f"scale: {mark} chunks, dense+bm25 p95 {results[-1]['dense_plus_bm25']['p95_ms']} ms, "
              f"chroma {results[-1]['chroma_bytes'] / 1e6:.0f} MB", flush=True)
    return {"source_chunks": len(texts), "size": size, "sigma": SIGMA, "drop": DROP, "fetch_k": FETCH_K,
            "queries": len(questions), "checkpoints": results}


def encode_questions(cases_path: Path) -> tuple[list[str], np.ndarray]:
    from app.backends import make_embeddings
    from app.settings import Settings
    from evals.cases import load_cases

    questions = sorted({c.question for c in load_cases(cases_path)})
    vectors = np.asarray(make_embeddings(Settings()).embed_documents(questions), dtype=np.float32)
    return questions, vectors


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="synthetic scale run (see the module docstring)")
    parser.add_argument("--index", type=Path, default=None, help="a Criterion index built with the real embedder")
    parser.add_argument("--corpus", type=Path, default=Path("corpus"), help="ingested first when --index is not given")
    parser.add_argument("--cases", type=Path, default=Path("evals/cases"))
    parser.add_argument("--size", type=int, default=100_000, help="chunks to reach (default 100000)")
    parser.add_argument("--out", type=Path, default=None, help="JSON result (default: printed)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="criterion-scale-") as tmp:
        work = Path(tmp)
        index = args.index
        if index is None:
            from app.settings import Settings
            from ingest.sync import sync

            settings = Settings(data_dir=work / "source")
            sync([args.corpus], settings)
            index = settings.index_path
        questions, vectors = encode_questions(args.cases)
        result = run(index, args.size, questions, vectors, work / "synthetic")
    text = json.dumps(result, indent=1)
    if args.out:
        args.out.write_text(text)
    else:
        print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
