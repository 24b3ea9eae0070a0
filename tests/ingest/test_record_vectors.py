"""The recommendations' vectors, embedded at ingest beside their records (``record_vectors.npz``):
written by a commit, never embedded again for an unchanged text, written for an index built before
them on its next sync, unreadable files read as none, and preloaded by the engine so no question
waits for them."""

from __future__ import annotations

import numpy as np

from app.backends import make_embeddings
from app.engine import Engine
from app.engine.compiled import RECORD_VECTORS_FILE, read_compiled, read_record_vectors
from app.engine.retrieve.index import current_generation
from ingest.sync import sync

GUIDE = """---
title: Screening with the test
doc_type: guideline
issuer: Test task force
---
# Screening with the test

## Recommendations

The task force recommends screening with the test in adults aged 50 to 75 years. (B recommendation)

The task force recommends against screening with the test in adults older than 85 years. (D recommendation)
"""


class CountingEmbeddings:
    """The settings' embedder, counting the texts it is asked to embed."""

    def __init__(self, inner):
        self.inner, self.texts = inner, []

    def embed_documents(self, texts):
        self.texts += list(texts)
        return self.inner.embed_documents(texts)

    def embed_query(self, text):
        return self.inner.embed_query(text)


def ingest(tmp_path, settings, embeddings):
    root = tmp_path / "corpus"
    root.mkdir(exist_ok=True)
    (root / "guide.md").write_text(GUIDE)
    return sync([root], settings, embeddings=embeddings)


def test_a_commit_writes_unit_vectors_of_every_recommendation_and_reuses_them(tmp_path, fake_settings):
    counting = CountingEmbeddings(make_embeddings(fake_settings))
    ingest(tmp_path, fake_settings, counting)
    gen = current_generation(fake_settings.index_path)
    texts = sorted(r.text for r in read_compiled(gen)["guide"].recommendations)
    assert len(texts) >= 2
    vectors = read_record_vectors(gen)
    assert sorted(vectors) == texts
    assert all(abs(float(np.linalg.norm(v)) - 1.0) < 1e-5 for v in vectors.values())
    assert all(counting.texts.count(t) == 1 for t in texts)

    again = CountingEmbeddings(make_embeddings(fake_settings))
    assert ingest(tmp_path, fake_settings, again).committed is False and again.texts == []


def test_an_index_without_the_vectors_gets_them_on_the_next_sync_and_a_broken_file_reads_as_none(tmp_path,
                                                                                                fake_settings):
    counting = CountingEmbeddings(make_embeddings(fake_settings))
    ingest(tmp_path, fake_settings, counting)
    gen = current_generation(fake_settings.index_path)
    expected = read_record_vectors(gen)
    (gen / RECORD_VECTORS_FILE).write_bytes(b"not a numpy archive")
    assert read_record_vectors(gen) == {}
    (gen / RECORD_VECTORS_FILE).unlink()  # as an index written before this change
    later = CountingEmbeddings(make_embeddings(fake_settings))
    report = ingest(tmp_path, fake_settings, later)
    assert report.committed and report.chunks_embedded == 0 and sorted(later.texts) == sorted(expected)
    now = read_record_vectors(current_generation(fake_settings.index_path))
    assert sorted(now) == sorted(expected) and all(np.allclose(now[t], expected[t]) for t in now)


def test_the_engine_reads_them_from_the_index(tmp_path, fake_settings):
    ingest(tmp_path, fake_settings, None)
    engine = Engine.from_settings(fake_settings)
    assert sorted(engine.index.record_vectors) == sorted(
        r.text for r in engine.index.compiled["guide"].recommendations)
