"""The deployment path: a real `chroma run` server on 127.0.0.1, written by ingest and read by
the engine through HttpClient (store 'chroma-http')."""

from __future__ import annotations

from app.engine import Engine
from app.settings import Settings
from ingest.sync import sync


def test_ingest_and_answer_through_a_chroma_server(tmp_path, chroma_server):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "pap.md").write_text(
        "# PAP devices\n\n## Medical necessity criteria\n\n### Obstructive sleep apnea\n\n"
        "CPAP is considered medically necessary for obstructive sleep apnea when ALL of the following are met:\n"
        "- The AHI is ≥ 15 events per hour.\n")
    settings = Settings(data_dir=tmp_path / "data", embedding={"backend": "fake"}, store="chroma-http",
                        chroma={"host": "127.0.0.1", "port": chroma_server})
    report = sync([corpus], settings)
    assert report.ok and report.chunks_embedded == report.chunks_total > 0
    assert not (settings.index_path / "chroma").exists(), "vectors went to a local store, not the server"
    engine = Engine.from_settings(settings)
    assert engine.index.vector_store._collection.count() == len(engine.index.chunks)
    answer = engine.ask("Is CPAP medically necessary for obstructive sleep apnea?", "AHI 22 events per hour")
    assert answer.verdict == "yes" and answer.citations
