"""Retrieve: the hybrid retriever over a tiny synced index (fake embedder) — metadata filters,
superseded documents weighted down, one document's share of the places, codes in the question —
and the index's row mask and embedder check."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.backends import embedder_stamp, make_chroma_client, make_dense_search, make_embeddings, make_vector_store
from app.engine.retrieve.hybrid import CODE_WEIGHT, SUPERSEDED_WEIGHT, Retriever
from app.engine.retrieve.index import open_index
from app.errors import EmbedderMismatch, IndexUnavailable
from app.settings import Settings
from ingest.sync import sync

IVIG_POLICY = """## Medical necessity criteria

### Myasthenia gravis

IVIG is considered medically necessary for myasthenia gravis exacerbation when ALL of the following are met:
- MG-ADL score of 6 or more.

## Experimental, investigational or unproven

IVIG for chronic fatigue syndrome is considered experimental, investigational or unproven.
"""
DOCUMENTS = {
    "ivig-policy": ("Immune globulin policy", "policy", "Plan A", "current", IVIG_POLICY, ["90283", "J1459"]),
    "ivig-policy-2019": ("Immune globulin policy", "policy", "Plan A", "superseded", IVIG_POLICY, []),
    "mg-guideline": ("Myasthenia gravis guideline", "guideline", "AAN", "current",
                     "## Recommendations\n\nIVIG is recommended for myasthenia gravis crisis.\n", []),
    "cpap-policy": ("Sleep apnea PAP devices", "policy", "Plan B", "current",
                    "## Medical necessity criteria\n\nCPAP is considered medically necessary for obstructive sleep "
                    "apnea when the AHI is 15 or more.\n", ["E0601"]),
    "ivig-handbook": ("IVIG handbook", "guideline", "Handbook Society", "current",
                      "".join(f"## Part {i}\n\nIVIG dosing for myasthenia gravis, part {i}: immune globulin.\n\n"
                              for i in range(8)), []),
}


def write_corpus(root: Path) -> Path:
    root.mkdir()
    for name, (title, doc_type, issuer, status, body, codes) in DOCUMENTS.items():
        codes_line = f"codes: [{', '.join(codes)}]\n" if codes else ""
        (root / f"{name}.md").write_text(
            f"---\ntitle: {title}\ndoc_type: {doc_type}\nissuer: {issuer}\nstatus: {status}\n"
            f"effective_date: 2025-01-01\n{codes_line}---\n# {title}\n\n{body}", encoding="utf-8")
    return root


@pytest.fixture(scope="module")
def settings(tmp_path_factory) -> Settings:
    root = tmp_path_factory.mktemp("retrieve")
    settings = Settings(data_dir=root / "data", embedding={"backend": "fake"})
    report = sync([write_corpus(root / "corpus")], settings)
    assert not report.failed and len(report.added) == len(DOCUMENTS)
    return settings


@pytest.fixture(scope="module")
def client(settings):
    return make_chroma_client(settings)


@pytest.fixture(scope="module")
def index(settings, client):
    embeddings, stamp = make_embeddings(settings), embedder_stamp(settings)
    return open_index(settings.index_path, stamp=stamp, vector_store_factory=lambda name: make_vector_store(
        settings, embeddings, client, stamp=stamp, collection=name))


@pytest.fixture
def retriever(settings, client, index) -> Retriever:
    """The retriever as ``Engine.from_settings`` builds it (dense search as the settings say)."""
    dense = make_dense_search(settings, client, index.collection, index.vector_store)
    return Retriever.from_settings(index, make_embeddings(settings), settings.retrieval, dense=dense)


def documents(found) -> list[str]:
    return [h.chunk.document_id for h in found]


def test_hybrid_hits_carry_both_ranks_and_the_nearest_similarity(retriever):
    found = retriever.search("IVIG for myasthenia gravis", 8)
    assert len(found) == 8 and found.best_dense is not None
    assert [h.score for h in found] == sorted((h.score for h in found), reverse=True)
    assert any(h.lexical_rank and h.dense_rank for h in found)


def test_filters_keep_only_the_documents_they_name(retriever):
    question = "IVIG for myasthenia gravis"
    assert set(documents(retriever.search(question, 8, {"doc_type": "policy"}))) == {
        "ivig-policy", "ivig-policy-2019", "cpap-policy"}
    assert set(documents(retriever.search(question, 8, {"issuer": "AAN"}))) == {"mg-guideline"}
    assert set(documents(retriever.search(question, 8, {"issuer": ["AAN", "Plan B"]}))) == {"mg-guideline", "cpap-policy"}
    assert set(documents(retriever.search(question, 8, {"document_ids": ["ivig-handbook"]}))) == {"ivig-handbook"}


def test_a_superseded_document_is_weighted_down_unless_status_is_filtered(retriever):
    question = "Is IVIG medically necessary for myasthenia gravis exacerbation?"
    both = {"status": ["current", "superseded"]}  # filtering on status turns the weighting off
    weighted = {h.chunk.chunk_id: h for h in retriever.search(question, 20)}
    unweighted = {h.chunk.chunk_id: h for h in retriever.search(question, 20, both)}
    assert weighted.keys() == unweighted.keys()
    for cid, hit in weighted.items():
        factor = SUPERSEDED_WEIGHT if hit.chunk.status == "superseded" else 1.0
        assert hit.score == pytest.approx(factor * unweighted[cid].score)
    ranked = documents(retriever.search(question, 20))
    assert ranked.index("ivig-policy") < ranked.index("ivig-policy-2019")


def test_one_document_holds_at_most_max_per_document_places_ahead_of_the_others(retriever):
    question = "Which part of the IVIG handbook covers dosing?"  # every part of the handbook matches
    retriever.max_per_document = 2
    spread = documents(retriever.search(question, 10))
    seen: dict[str, int] = {}
    nth = [seen.__setitem__(d, seen.get(d, 0) + 1) or seen[d] for d in spread]  # 1st, 2nd, ... hit of its document
    kept = [i for i, n in enumerate(nth) if n <= 2]
    held = [i for i, n in enumerate(nth) if n > 2]
    assert spread[:2] == ["ivig-handbook"] * 2 and held and max(kept) < min(held)
    assert {spread[i] for i in held} == {"ivig-handbook"}  # held back, then given the places left over
    retriever.max_per_document = 0  # no limit: the handbook takes the first places
    assert documents(retriever.search(question, 10))[:6] == ["ivig-handbook"] * 6


def test_a_code_in_the_question_lifts_the_document_that_lists_it(retriever, index):
    assert documents(retriever.search("Is CPT 90283 covered?", 4))[0] == "ivig-policy"
    assert documents(retriever.search("Is E0601 covered?", 4))[0] == "cpap-policy"
    # the same words, the code written so that it is not read as one: only the code's weight differs
    words = Retriever(index, None, mode="bm25")
    coded = {h.chunk.chunk_id: h for h in words.search("Is J1459 covered?", 20, prefer="policy")}
    plain = {h.chunk.chunk_id: h for h in words.search("Is j1459 covered?", 20, prefer="policy")}
    assert coded.keys() == plain.keys() and coded
    for cid, hit in coded.items():
        factor = CODE_WEIGHT if "J1459" in hit.chunk.codes else 1.0
        assert hit.score == pytest.approx(factor * plain[cid].score)


def test_without_a_vector_store_search_is_by_words_only(settings):
    lexical_only = open_index(settings.index_path, stamp=embedder_stamp(settings))
    found = Retriever(lexical_only, make_embeddings(settings), mode="bm25").search("IVIG for chronic fatigue syndrome", 4)
    assert found and found.best_dense is None and all(h.dense_rank is None for h in found)
    assert found[0].chunk.document_id == "ivig-policy"  # its superseded twin ranks first by words, weighted by half
    assert found[0].chunk.section.endswith("Experimental, investigational or unproven")


def test_the_mask_marks_the_rows_a_filter_keeps(index):
    assert index.mask() is None
    rows = dict(zip(index.order, index.mask(doc_type="guideline")))
    assert {cid for cid, keep in rows.items() if keep} == {
        cid for cid in index.order if index.chunks[cid].doc_type == "guideline"}
    both = dict(zip(index.order, index.mask(doc_type=["policy"], issuer="Plan A", status="current")))
    assert {index.chunks[cid].document_id for cid, keep in both.items() if keep} == {"ivig-policy"}
    assert index.mask(issuer="Nobody").sum() == 0


def test_an_index_built_by_another_embedder_is_refused(settings, tmp_path):
    with pytest.raises(EmbedderMismatch, match="fake:384"):
        open_index(settings.index_path, stamp="all-MiniLM-L6-v2:fp32:0123456789ab")
    with pytest.raises(IndexUnavailable, match="no index"):
        open_index(tmp_path / "empty", stamp=embedder_stamp(settings))
