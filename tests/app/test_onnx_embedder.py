"""The ``onnx`` embedding backend: chosen in settings, built by the factory from the install-time
export, agreeing with sentence-transformers, refusing clearly when the export is missing, and
stamped apart from the other embedders so an index never mixes their vectors.

The agreement tests export the bundled model once per session into a temporary directory (about
10 s: torch trace, int8 quantization, a check against torch) and load the torch model: slow."""

from __future__ import annotations

import json

import numpy as np
import pytest

from app.backends import embedder_stamp, make_embeddings, model_path
from app.errors import EmbedderMismatch
from app.engine.retrieve.index import open_index
from app.onnx_embedder import FP32_FILE, INT8_FILE, MARKER, export, source_digest
from app.settings import Settings

SENTENCES = [
    "Lumbar spine MRI is medically necessary after six weeks of failed conservative therapy.",
    "CPAP is covered for obstructive sleep apnea when the apnea-hypopnea index is 15 or more.",
    "IVIG for refractory myasthenia gravis after inadequate response to corticosteroids.",
    "Bariatric surgery requires a body mass index of 40, or 35 with a serious comorbidity.",
    "Continuous glucose monitors are covered for insulin-treated diabetes mellitus.",
    "PA",
]


def onnx_settings(tmp_path, export_dir, onnx_file=INT8_FILE) -> Settings:
    return Settings(data_dir=tmp_path / "data",
                    embedding={"backend": "onnx", "onnx_dir": export_dir, "onnx_file": onnx_file})


@pytest.fixture(scope="session")
def export_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("onnx") / "onnx-model"
    assert export(model_path(Settings()), out)
    return out


@pytest.fixture(scope="session")
def torch_vectors() -> np.ndarray:
    embeddings = make_embeddings(Settings(embedding={"backend": "sentence-transformers"}))
    return np.asarray(embeddings.embed_documents(SENTENCES))


@pytest.mark.slow
@pytest.mark.parametrize(("onnx_file", "floor"), [(FP32_FILE, 0.99999), (INT8_FILE, 0.95)])
def test_the_onnx_backend_agrees_with_sentence_transformers(tmp_path, export_dir, torch_vectors, onnx_file, floor):
    embeddings = make_embeddings(onnx_settings(tmp_path, export_dir, onnx_file))
    documents = np.asarray(embeddings.embed_documents(SENTENCES))
    queries = np.asarray([embeddings.embed_query(s) for s in SENTENCES])
    assert documents.shape == (len(SENTENCES), 384)
    assert np.allclose(np.linalg.norm(documents, axis=1), 1, atol=1e-5)
    assert (documents * torch_vectors).sum(axis=1).min() >= floor
    assert (queries * torch_vectors).sum(axis=1).min() >= floor


@pytest.mark.slow
def test_exporting_again_is_a_no_op(export_dir):
    before = (export_dir / MARKER).read_text()
    assert not export(model_path(Settings()), export_dir)
    assert (export_dir / MARKER).read_text() == before
    assert json.loads(before)["cosine_to_torch"][FP32_FILE] >= 0.9999


@pytest.mark.slow
def test_an_index_built_with_int8_answers_int8_queries_and_refuses_torch_ones(tmp_path, export_dir):
    from app.backends import make_vector_store
    from ingest.sync import sync

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "cpap.md").write_text("# CPAP\n\n## Criteria\n\n" + SENTENCES[1] + "\n")
    (corpus / "lumbar-mri.md").write_text("# Lumbar MRI\n\n## Criteria\n\n" + SENTENCES[0] + "\n")
    int8 = onnx_settings(tmp_path, export_dir)
    assert sync([corpus], int8).ok
    index = open_index(int8.index_path, stamp=embedder_stamp(int8))
    store = make_vector_store(int8, make_embeddings(int8), collection=index.collection)
    assert "CPAP" in store.similarity_search("machine for sleep apnoea", k=1)[0].page_content
    torch_settings = Settings(data_dir=tmp_path / "data", embedding={"backend": "sentence-transformers"})
    with pytest.raises(EmbedderMismatch, match="--rebuild"):
        open_index(torch_settings.index_path, stamp=embedder_stamp(torch_settings))


def test_a_missing_int8_export_is_a_clear_error_naming_the_command(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    settings = Settings(data_dir=tmp_path / "data", embedding={"backend": "onnx", "onnx_file": INT8_FILE})
    with pytest.raises(ValueError, match="python -m app.onnx_embedder") as error:
        make_embeddings(settings)
    assert str(tmp_path / "cache" / "criterion" / "onnx-model") in str(error.value)  # the default place, named
    assert not (tmp_path / "cache" / "criterion").exists()  # nothing exported behind the user's back


@pytest.mark.slow
def test_without_an_export_the_default_fp32_vectors_come_from_torch_with_a_warning(tmp_path, monkeypatch, caplog):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    settings = Settings(data_dir=tmp_path / "data")
    assert (settings.embedding.backend, settings.embedding.onnx_file) == ("onnx", FP32_FILE)  # the default
    with caplog.at_level("WARNING", logger="criterion"):
        embeddings = make_embeddings(settings)
    assert type(embeddings).__name__ == "HuggingFaceEmbeddings"
    assert "no ONNX export" in caplog.text and "python -m app.onnx_embedder" in caplog.text
    assert not (tmp_path / "cache" / "criterion").exists()


def test_an_export_of_other_weights_is_refused(tmp_path):
    out = tmp_path / "onnx-model"
    (out / "onnx").mkdir(parents=True)
    for name in (FP32_FILE, INT8_FILE):
        (out / name).write_bytes(b"not a model")
    (out / MARKER).write_text(json.dumps({"source": "some-other-model"}))
    with pytest.raises(ValueError, match="other weights"):
        make_embeddings(onnx_settings(tmp_path, out))
    (out / MARKER).write_text(json.dumps({"source": source_digest(model_path(Settings()))}))
    with pytest.raises(ValueError, match="onnx_file 'onnx/model_int4.onnx' is not in"):
        make_embeddings(onnx_settings(tmp_path, out, "onnx/model_int4.onnx"))


def test_the_stamp_tells_int8_apart_and_fp32_onnx_shares_torch_s(tmp_path):
    torch_stamp = embedder_stamp(Settings(embedding={"backend": "sentence-transformers"}))
    fp32 = embedder_stamp(onnx_settings(tmp_path, tmp_path, FP32_FILE))
    int8 = embedder_stamp(onnx_settings(tmp_path, tmp_path, INT8_FILE))
    assert fp32 == torch_stamp and int8 != fp32  # the same vectors (cosine ≥ 0.9999 checked at export), or not
    assert "qint8" in int8 and "qint8" not in fp32
    assert embedder_stamp(onnx_settings(tmp_path, tmp_path / "elsewhere", INT8_FILE)) == int8  # where, not what


def test_onnx_dir_defaults_to_the_user_cache_and_comes_from_the_environment(tmp_path, monkeypatch):
    from app.backends import onnx_export_dir

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    assert onnx_export_dir(Settings(data_dir=tmp_path)) == tmp_path / "cache" / "criterion" / "onnx-model"
    monkeypatch.setenv("CRITERION_EMBEDDING__BACKEND", "onnx")
    monkeypatch.setenv("CRITERION_EMBEDDING__ONNX_DIR", str(tmp_path / "export"))
    settings = Settings()
    assert settings.embedding.backend == "onnx" and onnx_export_dir(settings) == tmp_path / "export"
