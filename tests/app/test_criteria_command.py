"""`criterion criteria DOC_ID` shows a maintainer what ingest compiled from a document: the
criteria tree with each criterion's typed reading, the other records, each with its quote and
chunk id; an unknown id or a missing index is one clear line."""

from __future__ import annotations

from typer.testing import CliRunner

from app.cli import app
from app.engine.retrieve.index import current_generation
from ingest.sync import sync

from test_engine import POLICY


def test_the_tree_with_typed_readings_quotes_and_chunk_ids(tmp_path, fake_settings, monkeypatch):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "pap.md").write_text(POLICY)
    sync([corpus], fake_settings)
    monkeypatch.setenv("CRITERION_EMBEDDING__BACKEND", "fake")
    result = CliRunner().invoke(app, ["criteria", "pap", "--index", str(fake_settings.index_path)])
    assert result.exit_code == 0, result.output
    out = result.output
    assert "pap — Sleep apnea PAP devices" in out and "1. Obstructive sleep apnea" in out
    assert "ALL of (phrase): CPAP is considered medically necessary" in out
    assert "- The patient is age 18 years or older.  => age >= 18" in out
    assert "- The AHI is ≥ 15 events per hour on a sleep study.  => ahi >= 15 events/h" in out
    assert "Experimental / investigational (1)" in out and "CPAP for snoring" in out
    assert out.count("[pap#") >= 4  # the indication, its two criteria, the experimental statement

    as_json = CliRunner().invoke(app, ["criteria", "pap", "--index", str(fake_settings.index_path), "--json"])
    assert as_json.exit_code == 0 and '"document_id": "pap"' in as_json.output


def test_an_unknown_document_or_a_missing_index_is_one_line(tmp_path, fake_settings):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "pap.md").write_text(POLICY)
    sync([corpus], fake_settings)
    assert current_generation(fake_settings.index_path) is not None
    unknown = CliRunner().invoke(app, ["criteria", "nope", "--index", str(fake_settings.index_path)])
    assert unknown.exit_code == 1 and unknown.output.strip().startswith("error: no document 'nope'")
    missing = CliRunner().invoke(app, ["criteria", "pap", "--index", str(tmp_path / "none")])
    assert missing.exit_code == 2 and "no index at" in missing.output
