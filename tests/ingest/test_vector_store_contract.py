"""The vector-store contract: what ingest and the engine rely on from every store
``app.backends.make_vector_store`` builds — embedded Chroma (``PersistentClient``, store
'chroma-local') and a `chroma run` server (``HttpClient``, store 'chroma-http') — through
LangChain's VectorStore API only, over the deterministic fake embedder the factory builds.

Ids and flat metadata go in and come back unchanged; a stored text's own vector finds it first, at
cosine distance 0, and results come best first; ``$in`` and ``$and`` filters restrict results;
``get_by_ids`` and ``delete(ids=...)`` touch exactly the ids named; the collection carries the
name and embedder stamp it was made with, and measures cosine distance."""

from __future__ import annotations

import hashlib

import numpy as np
import pytest
from langchain_core.documents import Document

from app.backends import embedder_stamp, make_chroma_client, make_embeddings, make_vector_store
from app.settings import Settings

STORES = ["chroma-local", "chroma-http"]
pytestmark = [
    # chromadb 1.5 warns when a collection made without an embedding function (LangChain embeds) is read
    pytest.mark.filterwarnings("ignore:legacy embedding function config:DeprecationWarning"),
    # LangChain warns at a relevance of 1.0000001: float32 rounding of an identical vector's distance
    pytest.mark.filterwarnings("ignore:Relevance scores must be between 0 and 1:UserWarning"),
]
TOLERANCE = 1e-4  # float32 vectors

# id → (text, metadata), shaped as ingest writes chunks: "<document id>#<digest>" ids, flat scalars
PASSAGES = {
    "policies/pap#00000000000000a1": (
        "CPAP is covered for obstructive sleep apnea when the AHI is 15 or more events per hour.",
        {"document_id": "policies/pap", "doc_type": "policy", "issuer": "Plan A", "status": "current",
         "section": "PAP > Policy", "ordinal": 0, "page_start": 1, "score_floor": 0.5, "has_codes": True}),
    "policies/pap#00000000000000a2": (
        "CPAP is not covered for snoring without obstructive sleep apnea.",
        {"document_id": "policies/pap", "doc_type": "policy", "issuer": "Plan A", "status": "current",
         "section": "PAP > Exclusions", "ordinal": 1, "page_start": 2, "score_floor": 0.5, "has_codes": False}),
    "policies/ivig#00000000000000b1": (
        "Maintenance IVIG for myasthenia gravis is covered after 2 nonsteroidal immunosuppressants.",
        {"document_id": "policies/ivig", "doc_type": "policy", "issuer": "Plan B", "status": "current",
         "section": "IVIG > Myasthenia gravis", "ordinal": 0, "page_start": 4, "score_floor": 0.25, "has_codes": True}),
    "policies/ivig-2019#00000000000000c1": (
        "Maintenance IVIG for myasthenia gravis is covered after 1 nonsteroidal immunosuppressant.",
        {"document_id": "policies/ivig-2019", "doc_type": "policy", "issuer": "Plan B", "status": "superseded",
         "section": "IVIG > Myasthenia gravis", "ordinal": 0, "page_start": 3, "score_floor": 0.25, "has_codes": True}),
    "guidelines/osa#00000000000000d1": (
        "Positive airway pressure is recommended for adults with moderate or severe obstructive sleep apnea.",
        {"document_id": "guidelines/osa", "doc_type": "guideline", "issuer": "AASM", "status": "current",
         "section": "OSA > Recommendations", "ordinal": 0, "page_start": 7, "score_floor": 0.0, "has_codes": False}),
    "guidelines/mg#00000000000000e1": (
        "IVIG may be considered for maintenance in refractory generalized myasthenia gravis.",
        {"document_id": "guidelines/mg", "doc_type": "guideline", "issuer": "MGFA", "status": "current",
         "section": "MG > Refractory disease", "ordinal": 0, "page_start": 12, "score_floor": 0.0, "has_codes": False}),
}
IDS = list(PASSAGES)


def ids_where(**wanted) -> set[str]:
    return {cid for cid, (_, meta) in PASSAGES.items() if all(meta[k] in v for k, v in wanted.items())}


def cosine_distance(a, b) -> float:
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return 1.0 - float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b)))


@pytest.fixture(params=STORES)
def backend(request, tmp_path):
    """Settings for one store with the fake embedder, its client (from the factory), the embedder,
    and a collection name of this test's own (the server is shared by the module)."""
    collection = "contract-" + hashlib.sha256(request.node.nodeid.encode()).hexdigest()[:16]
    chroma = {"collection": collection}
    if request.param == "chroma-http":
        chroma |= {"host": "127.0.0.1", "port": request.getfixturevalue("chroma_server")}
    settings = Settings(data_dir=tmp_path / "data", embedding={"backend": "fake"}, store=request.param, chroma=chroma)
    client = make_chroma_client(settings)
    yield settings, client, make_embeddings(settings)
    for name in [c if isinstance(c, str) else c.name for c in client.list_collections()]:
        client.delete_collection(name)


@pytest.fixture
def store(backend):
    """The store make_vector_store builds, holding PASSAGES (added as ingest adds them)."""
    settings, client, embeddings = backend
    vs = make_vector_store(settings, embeddings, client, stamp=embedder_stamp(settings),
                           collection=settings.chroma.collection)
    texts, metas = zip(*PASSAGES.values())
    assert vs.add_texts(texts=list(texts), metadatas=list(metas), ids=IDS) == IDS
    return vs


@pytest.fixture
def embeddings(backend):
    return backend[2]


def test_a_stored_texts_own_vector_finds_it_first_at_cosine_distance_zero(store, embeddings):
    for cid, (text, meta) in PASSAGES.items():
        found = store.similarity_search_by_vector_with_relevance_scores(embeddings.embed_query(text), k=3)
        doc, distance = found[0]
        assert (doc.id, doc.page_content, doc.metadata) == (cid, text, meta)
        assert abs(distance) < TOLERANCE
        # the store embeds a text query itself, with the embedder it was given
        doc, distance = store.similarity_search_with_score(text, k=1)[0]
        assert doc.id == cid and abs(distance) < TOLERANCE


def test_results_come_best_first_by_cosine_distance(store, embeddings):
    vectors = {cid: embeddings.embed_query(text) for cid, (text, _) in PASSAGES.items()}
    a, b, c = IDS[2], IDS[4], IDS[0]
    query = np.asarray(vectors[a]) + 0.6 * np.asarray(vectors[b]) + 0.3 * np.asarray(vectors[c])
    found = store.similarity_search_by_vector_with_relevance_scores(query.tolist(), k=len(IDS))
    assert [d.id for d, _ in found][:3] == [a, b, c]
    assert sorted(d.id for d, _ in found) == sorted(IDS)
    distances = [dist for _, dist in found]
    assert distances == sorted(distances)
    for doc, dist in found:  # cosine, not L2 or inner product
        assert abs(dist - cosine_distance(query, vectors[doc.id])) < TOLERANCE
    assert [d.id for d in store.similarity_search_by_vector(query.tolist(), k=3)] == [a, b, c]


def test_the_collection_is_cosine_as_configured(store, embeddings, backend):
    settings, client, _ = backend
    text = PASSAGES[IDS[0]][0]
    scaled = (5.0 * np.asarray(embeddings.embed_query(text))).tolist()  # L2 or inner product would see a far vector
    doc, distance = store.similarity_search_by_vector_with_relevance_scores(scaled, k=1)[0]
    assert doc.id == IDS[0] and abs(distance) < TOLERANCE
    hnsw = client.get_collection(settings.chroma.collection).configuration["hnsw"]
    assert hnsw["space"] == "cosine"
    assert hnsw["ef_search"] == settings.chroma.ef_search
    assert hnsw["ef_construction"] == settings.chroma.ef_construction
    # LangChain reads the metric off the collection: a relevance score is 1 - cosine distance
    with_distance = store.similarity_search_with_score(text, k=len(IDS))
    with_relevance = store.similarity_search_with_relevance_scores(text, k=len(IDS))
    assert [d.id for d, _ in with_relevance] == [d.id for d, _ in with_distance]
    for (_, relevance), (_, dist) in zip(with_relevance, with_distance):
        assert abs(relevance - (1.0 - dist)) < TOLERANCE


@pytest.mark.parametrize("where, expected", [
    ({"doc_type": {"$in": ["guideline"]}}, ids_where(doc_type={"guideline"})),
    ({"document_id": {"$in": ["policies/pap", "guidelines/mg"]}}, ids_where(document_id={"policies/pap", "guidelines/mg"})),
    ({"$and": [{"doc_type": {"$in": ["policy"]}}, {"issuer": {"$in": ["Plan B"]}}]},
     ids_where(doc_type={"policy"}, issuer={"Plan B"})),
    ({"$and": [{"doc_type": {"$in": ["policy"]}}, {"issuer": {"$in": ["Plan B"]}}, {"status": {"$in": ["current"]}}]},
     ids_where(doc_type={"policy"}, issuer={"Plan B"}, status={"current"})),
], ids=["doc_type", "document_ids", "and", "and-of-three"])
def test_filters_restrict_results(store, embeddings, where, expected):
    assert expected and expected != set(IDS)
    inside, outside = sorted(expected)[0], sorted(set(IDS) - expected)[0]
    # nearest to a passage the filter excludes: only the filter's passages come back
    found = store.similarity_search_by_vector_with_relevance_scores(
        embeddings.embed_query(PASSAGES[outside][0]), k=len(IDS), filter=where)
    assert {d.id for d, _ in found} == expected
    # nearest to a passage the filter keeps: that passage first
    found = store.similarity_search_by_vector(embeddings.embed_query(PASSAGES[inside][0]), k=len(IDS), filter=where)
    assert found[0].id == inside and {d.id for d in found} == expected


def test_get_by_ids_and_delete_touch_exactly_the_ids_named(store, embeddings):
    got = store.get_by_ids(IDS + ["policies/none#0000000000000000"])  # an unknown id is no error
    assert {d.id: (d.page_content, d.metadata) for d in got} == PASSAGES
    gone, kept = IDS[1:3], IDS[:1] + IDS[3:]
    store.delete(ids=gone)
    assert sorted(d.id for d in store.get_by_ids(IDS)) == sorted(kept)
    for cid in gone:
        found = store.similarity_search_by_vector(embeddings.embed_query(PASSAGES[cid][0]), k=len(IDS))
        assert sorted(d.id for d in found) == sorted(kept)


def test_added_documents_keep_the_ids_given(backend):
    settings, client, embeddings = backend
    vs = make_vector_store(settings, embeddings, client, collection=settings.chroma.collection)
    docs = [Document(page_content=text, metadata=meta, id=cid) for cid, (text, meta) in PASSAGES.items()]
    assert vs.add_documents(docs[:3]) == IDS[:3]
    assert vs.add_documents([d.model_copy(update={"id": None}) for d in docs[3:]], ids=IDS[3:]) == IDS[3:]
    assert {d.id for d in vs.get_by_ids(IDS)} == set(IDS)
    text = PASSAGES[IDS[4]][0]
    assert vs.similarity_search_by_vector(embeddings.embed_query(text), k=1)[0].id == IDS[4]


def test_the_collection_has_the_name_and_embedder_stamp_it_was_made_with(backend):
    settings, client, embeddings = backend
    default = make_vector_store(settings, embeddings, client)  # settings.chroma.collection, embedder_stamp(settings)
    default.add_texts([PASSAGES[IDS[0]][0]], metadatas=[PASSAGES[IDS[0]][1]], ids=IDS[:1])
    assert client.get_collection(settings.chroma.collection).metadata["embedder"] == embedder_stamp(settings) == "fake:384"

    generation = f"{settings.chroma.collection}-g000002"
    named = make_vector_store(settings, embeddings, client, stamp="other-embedder:fp32:0123456789ab", collection=generation)
    named.add_texts([PASSAGES[IDS[1]][0]], metadatas=[PASSAGES[IDS[1]][1]], ids=IDS[1:2])
    assert client.get_collection(generation).metadata["embedder"] == "other-embedder:fp32:0123456789ab"
    assert [d.id for d in named.get_by_ids(IDS)] == IDS[1:2]  # collections do not share vectors
    assert [d.id for d in default.get_by_ids(IDS)] == IDS[:1]

    # the engine opens by name what ingest wrote: a store made again over the collection sees its vectors
    reopened = make_vector_store(settings, embeddings, client, stamp="other-embedder:fp32:0123456789ab",
                                 collection=generation)
    assert [d.id for d in reopened.get_by_ids(IDS)] == IDS[1:2]
    text = PASSAGES[IDS[1]][0]
    assert reopened.similarity_search_by_vector(embeddings.embed_query(text), k=1)[0].id == IDS[1]
