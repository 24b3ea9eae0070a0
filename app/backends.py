"""The one factory for swappable parts: embedders, the Chroma client and vector store, the decider
and the abstention gate, chat models.

Backends are named by strings in :class:`~app.settings.Settings`; an unknown name raises a
``ValueError`` listing the accepted forms. Heavy imports happen here, lazily, when a part is built.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from functools import lru_cache
from typing import Callable

from langchain_core.embeddings import Embeddings

from app.errors import ConfigurationError
from app.model_files import BUNDLED, model_path, onnx_export_dir  # noqa: F401 — part of this factory's API
from app.settings import Settings

EMBEDDERS = ("sentence-transformers", "onnx", "fake")
FP32_ONNX = "onnx/model.onnx"  # app.onnx_embedder.FP32_FILE, named here without importing onnxruntime
MAX_SEQ_TOKENS = 256  # all-MiniLM-L6-v2 reads this many word pieces, [CLS] and [SEP] included

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")


def embedder_stamp(settings: Settings) -> str:
    """Names the vectors an index holds: backend, model and a digest of the weights' config.
    An index refuses queries from an embedder with another stamp."""
    backend = settings.embedding.backend
    if backend == "fake":
        return "fake:384"
    from app.onnx_embedder import weights_digest

    path = model_path(settings)
    # the fp32 ONNX export gives the torch vectors (the export checks cosine ≥ 0.9999): one stamp
    variant = settings.embedding.onnx_file if backend == "onnx" and settings.embedding.onnx_file != FP32_ONNX else "fp32"
    return f"{path.name}:{variant}:{weights_digest(path)[:12]}"


def make_embeddings(settings: Settings, *, for_ingest: bool = False) -> Embeddings:
    """The configured embedder: for answering (``embedding.query_threads``) or, ``for_ingest``, for
    encoding documents (``embedding.ingest_threads``, ONNX Runtime; 0: one per core)."""
    backend = settings.embedding.backend
    if backend == "fake":
        from langchain_core.embeddings import DeterministicFakeEmbedding

        return DeterministicFakeEmbedding(size=384)
    if backend == "onnx":
        threads = (settings.embedding.ingest_threads or os.cpu_count() or 1) if for_ingest \
            else settings.embedding.query_threads
        return _onnx_embeddings(settings, threads)
    if backend == "sentence-transformers":
        from langchain_huggingface import HuggingFaceEmbeddings

        return HuggingFaceEmbeddings(
            model_name=str(model_path(settings)),
            model_kwargs={"device": "cpu", "local_files_only": True},
            encode_kwargs={"normalize_embeddings": True, "batch_size": settings.embedding.batch_size},
            show_progress=False,
        )
    raise ConfigurationError(f"unknown embedding.backend {backend!r}; accepted: {', '.join(EMBEDDERS)}")


def _onnx_embeddings(settings: Settings, threads: int | None = None) -> Embeddings:
    """The export made at install time, run by ONNX Runtime; never exported here (no surprise
    minute of tracing, nor a download, on the first question). Without an export, the fp32 file's
    vectors come from torch instead (the same vectors, the same stamp), with a warning; the int8
    file's cannot."""
    from app.onnx_embedder import FP32_FILE, INT8_FILE, OnnxEmbeddings, is_exported

    export_dir = onnx_export_dir(settings)
    source = model_path(settings)
    if not is_exported(export_dir, source) and settings.embedding.onnx_file == FP32_FILE:
        logging.getLogger("criterion").warning(
            "no ONNX export of %s in %s (make it with `python -m app.onnx_embedder`); encoding with torch, "
            "the same vectors, slower to load", source.name, export_dir)
        torch_model = make_embeddings(settings.model_copy(update={"embedding": settings.embedding.model_copy(
            update={"backend": "sentence-transformers"})}))
        if threads:
            import torch

            torch.set_num_threads(threads)  # as the torch backend answers: its query threads
        return torch_model
    if not is_exported(export_dir, source):
        raise ConfigurationError(
            f"embedding.backend 'onnx' needs the ONNX export of {source} in {export_dir}, and there is "
            f"none (or it was made from other weights); make it with `make install` or "
            f"`python -m app.onnx_embedder` (local weights, no download), or set embedding.onnx_dir"
        )
    onnx_file = settings.embedding.onnx_file
    if not (export_dir / onnx_file).is_file():
        raise ConfigurationError(
            f"embedding.onnx_file {onnx_file!r} is not in {export_dir}; accepted: "
            f"{INT8_FILE!r} (int8) or {FP32_FILE!r} (fp32)"
        )
    return OnnxEmbeddings(export_dir, onnx_file, batch_size=settings.embedding.batch_size, threads=threads)


def make_token_counter(settings: Settings) -> Callable[[list[str]], list[int]]:
    """Counts word pieces the way the embedder will (without [CLS]/[SEP])."""
    if settings.embedding.backend == "fake":
        return lambda texts: [len(t.split()) for t in texts]
    return _hf_counter(str(model_path(settings) / "tokenizer.json"))


@lru_cache(maxsize=4)
def _hf_counter(tokenizer_file: str) -> Callable[[list[str]], list[int]]:
    from tokenizers import Tokenizer

    tok = Tokenizer.from_file(tokenizer_file)
    tok.no_truncation()
    tok.no_padding()

    def count(texts: list[str]) -> list[int]:
        return [len(e.ids) for e in tok.encode_batch(texts, add_special_tokens=False)]

    return count


def max_chunk_tokens(settings: Settings) -> int:
    """The chunk bound actually used: the configured size, never past what the embedder reads."""
    limit = MAX_SEQ_TOKENS - 2 if settings.embedding.backend != "fake" else 10_000
    return min(settings.chunking.max_tokens, limit)


def make_chroma_client(settings: Settings):
    import chromadb

    chroma_settings = chromadb.Settings(anonymized_telemetry=False)
    if settings.store == "chroma-local":
        path = settings.index_path / "chroma"
        path.mkdir(parents=True, exist_ok=True)
        return chromadb.PersistentClient(path=str(path), settings=chroma_settings)
    if settings.store == "chroma-http":
        return chromadb.HttpClient(host=settings.chroma.host, port=settings.chroma.port, settings=chroma_settings)
    raise ConfigurationError(f"unknown store {settings.store!r}; accepted: chroma-local, chroma-http")


def make_vector_store(settings: Settings, embeddings: Embeddings, client=None, *, stamp: str | None = None,
                      collection: str | None = None):
    """LangChain's Chroma over our client; the collection is cosine, searched near-exactly (a wide HNSW
    ef), and records its embedder. The HNSW settings apply when a collection is created (each ingest
    generation creates its own)."""
    from langchain_chroma import Chroma

    return Chroma(
        client=client if client is not None else make_chroma_client(settings),
        collection_name=collection or settings.chroma.collection,
        embedding_function=embeddings,
        collection_metadata={"embedder": stamp or embedder_stamp(settings)},
        collection_configuration={"hnsw": {"space": "cosine", "ef_search": settings.chroma.ef_search,
                                           "ef_construction": settings.chroma.ef_construction}},
    )


def make_dense_search(settings: Settings, client, collection: str, store):
    """Dense search over the index's collection (``store`` is its LangChain vector store), as
    ``retrieval.dense_query`` says. Over the embedded store, 'chroma' searches the collection's
    vectors exactly, in memory: each process replays Chroma's unpersisted log into its own HNSW
    graph, so the graph's approximate answers differ from process to process (see
    ``app.engine.retrieve.dense``); a Chroma server holds one graph for all its clients."""
    from app.engine.retrieve.dense import ChromaSearch, VectorStoreSearch

    if settings.retrieval.dense_query == "chroma":
        return ChromaSearch(client.get_collection(collection), exact=settings.store == "chroma-local")
    return VectorStoreSearch(store)


DECIDERS = ("rules", "compiled")


def make_similarity(settings: Settings, embeddings):
    """Closeness of meaning by the loaded embedder (``app.engine.decide.meaning``), shared by the gate
    and the decider; None for an embedder whose similarities mean nothing (none, or the tests' fake)."""
    if embeddings is None or settings.embedding.backend == "fake":
        return None
    from app.engine.decide.meaning import EmbeddingSimilarity

    return EmbeddingSimilarity(embeddings)


def make_decider(settings: Settings, similarity=None):
    """The decider ``decision.backend`` names (see ``app.engine.decide.Decider``). 'compiled' matches
    questions to the compiled records by meaning with ``similarity`` (``make_similarity``); without
    one it is the rules alone."""
    from app.engine.decide.rules import RulesDecider

    if settings.decision.backend == "rules":
        return RulesDecider()
    if settings.decision.backend == "compiled":
        if similarity is None:
            return RulesDecider()
        from app.engine.decide.layered import LayeredDecider

        return LayeredDecider(RulesDecider(), similarity)
    raise ConfigurationError(f"unknown decision.backend {settings.decision.backend!r}; accepted: {', '.join(DECIDERS)}")


def make_gate(settings: Settings, similarity=None):
    """The abstention gate; its dense-similarity checks need an embedder whose similarities mean
    something, so the fake embedder of the tests gets none. ``similarity`` (``make_similarity``)
    lets it read the patient's record beside the question before refusing."""
    from app.engine.decide.gate import Gate

    if settings.embedding.backend == "fake":
        return Gate(None)
    return Gate(settings.retrieval.min_similarity, similarity)


def make_composer(settings: Settings):
    """The optional LLM composer (None: the extractive composer alone)."""
    if settings.llm.composer != "llm":
        return None
    from app.engine.compose.llm import LLMComposer

    return LLMComposer(make_llm(settings), timeout_s=settings.llm.timeout_s)


def make_llm(settings: Settings):
    """A LangChain chat model for the optional LLM composer."""
    from langchain.chat_models import init_chat_model

    kwargs: dict = {"timeout": settings.llm.timeout_s, "max_retries": 0, "temperature": 0}
    if settings.llm.base_url:
        kwargs["base_url"] = settings.llm.base_url
    if settings.llm.api_key:
        kwargs["api_key"] = settings.llm.api_key
    if ":" not in settings.llm.model:
        raise ConfigurationError(
            f"llm.model {settings.llm.model!r} must be 'provider:model', e.g. 'openai:qwen2.5-7b-instruct'"
        )
    return init_chat_model(settings.llm.model, **kwargs)


def settings_digest(settings: Settings) -> str:
    """A short digest of the settings that change answers (for eval reports)."""
    relevant = settings.model_dump(mode="json", include={"embedding", "chunking", "retrieval", "decision", "llm"})
    relevant.get("llm", {}).pop("api_key", None)
    return hashlib.sha256(json.dumps(relevant, sort_keys=True).encode()).hexdigest()[:12]
