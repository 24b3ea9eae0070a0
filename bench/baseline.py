"""The naive LangChain pipeline every tutorial builds, as the benchmark's baseline.

Files read as plain text (PDFs one document per page, HTML through BeautifulSoup's ``get_text``),
``RecursiveCharacterTextSplitter(chunk_size=1000, chunk_overlap=200)``, ``HuggingFaceEmbeddings``
on the same bundled all-MiniLM-L6-v2 weights with its defaults, ``langchain_chroma.Chroma`` with
its default settings (an embedded client in a temporary directory, our embedder, never Chroma's
own), and ``similarity_search(k=4)``: the answer is the top passages, with no LLM.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from fnmatch import fnmatch
from pathlib import Path

from langchain_core.documents import Document
from langchain_core.embeddings import Embeddings

CHUNK_SIZE = 1000
CHUNK_OVERLAP = 200
K = 4
EXTENSIONS = (".pdf", ".md", ".markdown", ".html", ".htm", ".txt")
EXCLUDE = ("README.md", "SOURCE.md", "CONTRIBUTING.md", "CHANGELOG.md")


@dataclass
class BaselineIngest:
    files: int = 0
    pages: int = 0  # PDF pages read
    chunks: int = 0
    chars: int = 0  # characters embedded
    seconds: float = 0.0
    failed: list[tuple[str, str]] = field(default_factory=list)


def corpus_files(folder: Path, extensions=EXTENSIONS, exclude=EXCLUDE) -> list[Path]:
    """The files both pipelines read: same extensions and exclusions as Criterion's defaults."""
    return sorted(
        p for p in folder.rglob("*")
        if p.is_file() and p.suffix.lower() in extensions and not any(fnmatch(p.name, e) for e in exclude)
        and not any(part.startswith(".") for part in p.relative_to(folder).parts)
    )


def load_file(path: Path, document_id: str) -> list[Document]:
    """One Document per file, or per page for a PDF; metadata holds the document id."""
    suffix = path.suffix.lower()
    if suffix == ".pdf":
        from pypdf import PdfReader

        reader = PdfReader(str(path))
        if reader.is_encrypted:
            reader.decrypt("")
        return [
            Document(page_content=page.extract_text() or "", metadata={"document_id": document_id, "page": n})
            for n, page in enumerate(reader.pages, start=1)
        ]
    text = path.read_text(encoding="utf-8", errors="replace")
    if suffix in (".html", ".htm"):
        from bs4 import BeautifulSoup

        text = BeautifulSoup(text, "html.parser").get_text("\n")
    return [Document(page_content=text, metadata={"document_id": document_id})]


def make_baseline_embeddings(model_dir: Path) -> Embeddings:
    """HuggingFaceEmbeddings as a tutorial builds it: the model and nothing else (CPU, offline)."""
    from langchain_huggingface import HuggingFaceEmbeddings

    return HuggingFaceEmbeddings(model_name=str(model_dir), model_kwargs={"device": "cpu"})


class BaselinePipeline:
    def __init__(self, embeddings: Embeddings, persist_directory: Path):
        self.embeddings = embeddings
        self.persist_directory = persist_directory
        self.store = None
        self.texts: list[str] = []

    def ingest(self, folder: Path) -> BaselineIngest:
        import chromadb
        from langchain_chroma import Chroma
        from langchain_text_splitters import RecursiveCharacterTextSplitter

        report = BaselineIngest()
        started = time.perf_counter()
        docs: list[Document] = []
        for path in corpus_files(folder):
            try:
                loaded = load_file(path, path.relative_to(folder).with_suffix("").as_posix())
            except Exception as exc:  # a naive pipeline skips what it cannot read
                report.failed.append((str(path), f"{type(exc).__name__}: {exc}"))
                continue
            report.files += 1
            if path.suffix.lower() == ".pdf":
                report.pages += len(loaded)
            docs.extend(d for d in loaded if d.page_content.strip())
        splitter = RecursiveCharacterTextSplitter(chunk_size=CHUNK_SIZE, chunk_overlap=CHUNK_OVERLAP)
        splits = splitter.split_documents(docs)
        self.texts = [d.page_content for d in splits]
        self.store = Chroma.from_documents(
            splits, self.embeddings, persist_directory=str(self.persist_directory),
            client_settings=chromadb.Settings(anonymized_telemetry=False),
        )
        report.chunks = len(splits)
        report.chars = sum(len(t) for t in self.texts)
        report.seconds = time.perf_counter() - started
        return report

    def open(self) -> "BaselinePipeline":
        """Reopen the collection a previous :meth:`ingest` persisted (another process)."""
        import chromadb
        from langchain_chroma import Chroma

        self.store = Chroma(embedding_function=self.embeddings, persist_directory=str(self.persist_directory),
                            client_settings=chromadb.Settings(anonymized_telemetry=False))
        return self

    def search(self, question: str, k: int = K) -> list[Document]:
        return self.store.similarity_search(question, k=k)

    def ranked_documents(self, question: str, k: int = K) -> list[str]:
        """Distinct document ids of the top-k passages, in rank order (at most k)."""
        return list(dict.fromkeys(d.metadata["document_id"] for d in self.search(question, k)))
