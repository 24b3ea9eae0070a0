"""``--corpus DIR``: evaluate against a temporary index of DIR; the default index is untouched."""

from __future__ import annotations

import hashlib
import json

import typer
from eval_fakes import IndexedEngine
from typer.testing import CliRunner

from evals.cli import make_eval_command
from ingest.sync import sync


def doc(title: str, body: str) -> str:
    return f"---\ntitle: {title}\ndoc_type: policy\nstatus: current\n---\n# {title}\n\n## Policy\n\n{body}\n"


def snapshot(index_dir):
    return {p.relative_to(index_dir).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(index_dir.rglob("*")) if p.is_file()}


def test_corpus_is_ingested_into_a_temporary_index_and_the_default_index_is_untouched(
        tmp_path, monkeypatch, fake_settings):
    monkeypatch.setenv("CRITERION_EMBEDDING__BACKEND", "fake")
    default_corpus = tmp_path / "default"
    (default_corpus / "policies").mkdir(parents=True)
    (default_corpus / "policies" / "oxygen.md").write_text(doc("Home oxygen", "Oxygen is covered when saturation is 88 or less."))
    assert sync([default_corpus], fake_settings).ok
    before = snapshot(fake_settings.index_path)

    org = tmp_path / "org-library"
    (org / "policies").mkdir(parents=True)
    (org / "guidelines").mkdir()
    (org / "policies" / "ivig.md").write_text(doc("Immune globulin", "Maintenance immune globulin for myasthenia is not covered."))
    (org / "guidelines" / "pots.md").write_text(doc("POTS", "Propranolol lowers tachycardia in postural tachycardia syndrome."))
    cases = tmp_path / "cases.yaml"
    cases.write_text(
        "- {id: ivig, question: 'Is maintenance immune globulin covered for myasthenia?', expected_verdict: 'yes',"
        " expected_sources: [policies/ivig], tags: [ivig]}\n"
        "- {id: pots, question: 'Does propranolol help tachycardia?', expected_verdict: 'yes',"
        " expected_sources: [guidelines/pots], tags: [pots]}\n")

    built = []

    def factory(settings):
        built.append(settings.index_path)
        return IndexedEngine(settings)

    app = typer.Typer()
    app.command("eval")(make_eval_command(factory))
    app.command("noop")(lambda: None)
    out = tmp_path / "out"
    result = CliRunner().invoke(app, ["eval", "--cases", str(cases), "--corpus", str(org), "--out", str(out)])
    assert result.exit_code == 0, result.output

    report = json.loads((out / "report.json").read_text())
    assert [c["retrieved_document_ids"][0] for c in report["cases"]] == ["policies/ivig", "guidelines/pots"]
    assert report["metrics"]["source_recall_at_k"] == 1.0 and report["metrics"]["citation_validity"] == 1.0
    assert report["corpus_hash"] and report["settings_hash"]

    [temporary] = built
    assert fake_settings.index_path not in temporary.parents and temporary != fake_settings.index_path
    assert not temporary.exists(), "the temporary index is removed after the run"
    assert snapshot(fake_settings.index_path) == before
