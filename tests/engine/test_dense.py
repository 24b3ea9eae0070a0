"""Both dense searches return the same ids and similarities: Chroma's own query (ids and distances
only, the default) and LangChain's VectorStore API (any store)."""

from __future__ import annotations

import pytest

from app.backends import embedder_stamp, make_chroma_client, make_dense_search, make_embeddings, make_vector_store


@pytest.fixture()
def store(tmp_path, fake_settings):
    settings = fake_settings.model_copy(update={"data_dir": tmp_path})
    embeddings = make_embeddings(settings)
    client = make_chroma_client(settings)
    store = make_vector_store(settings, embeddings, client, stamp=embedder_stamp(settings), collection="dense-test")
    texts = [f"passage {i} about {topic}" for i, topic in enumerate(["ivig", "cpap", "mri", "psa", "bone density"] * 4)]
    store.add_texts(texts, metadatas=[{"doc_type": "policy" if i % 2 else "guideline"} for i in range(len(texts))],
                    ids=[f"c{i}" for i in range(len(texts))])
    return settings, client, store, embeddings


@pytest.mark.parametrize("where", [None, {"doc_type": {"$in": ["policy"]}}])
def test_chroma_and_vector_store_searches_agree(store, where):
    settings, client, vector_store, embeddings = store
    vector = embeddings.embed_query("passage about cpap")
    chroma = make_dense_search(settings, client, "dense-test", vector_store)
    generic = make_dense_search(settings.model_copy(update={"retrieval": settings.retrieval.model_copy(
        update={"dense_query": "vector-store"})}), client, "dense-test", vector_store)
    assert type(chroma).__name__ == "ChromaSearch" and type(generic).__name__ == "VectorStoreSearch"
    a, b = chroma.nearest(vector, 8, where), generic.nearest(vector, 8, where)
    assert [cid for cid, _ in a] == [cid for cid, _ in b] and len(a) == 8
    assert all(abs(x - y) < 1e-6 for (_, x), (_, y) in zip(a, b))
    assert all(s1 >= s2 for (_, s1), (_, s2) in zip(a, a[1:]))  # nearest first
    if where:
        assert all(int(cid[1:]) % 2 for cid, _ in a)  # only the policies
