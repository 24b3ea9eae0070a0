"""The harness end to end on fake engines: run, report, export, gate, and the CLI's exit codes."""

from __future__ import annotations

import json

import pytest
import typer
from eval_fakes import MINI_CASES_YAML, MiniEngine, ScriptedEngine, broken_retriever, make_answer
from typer.testing import CliRunner

from evals.cases import load_cases
from evals.cli import make_eval_command
from evals.export import export_qrels
from evals.gate import check_gate, load_thresholds
from evals.report import write_reports
from evals.runner import run_eval


@pytest.fixture
def cases_file(tmp_path):
    f = tmp_path / "cases.yaml"
    f.write_text(MINI_CASES_YAML)
    return f


def cli(engine_factory) -> typer.Typer:
    """The command registered the way app/cli.py registers it."""
    app = typer.Typer()
    app.command("eval")(make_eval_command(engine_factory))

    @app.command()
    def version() -> None:  # a second command, so `eval` is a subcommand as in `criterion eval`
        pass

    return app


def invoke(engine_factory, *args):
    return CliRunner().invoke(cli(engine_factory), ["eval", *map(str, args)])


def test_a_good_engine_scores_full_marks_and_passes_the_gate(cases_file):
    report = run_eval(load_cases(cases_file), MiniEngine(), k=5, settings_hash="abc")
    m = report["metrics"]
    assert m["verdict_accuracy"] == 1.0 and m["source_recall_at_k"] == 1.0 and m["source_mrr"] == 1.0
    assert m["citation_validity"] == 1.0 and m["citation_precision"] == 1.0 and m["must_mention_rate"] == 1.0
    assert m["cannot_answer_precision"] == 1.0 and m["cannot_answer_recall"] == 1.0
    assert check_gate(m, load_thresholds()) == []
    assert set(report) >= {"metrics", "cases", "settings_hash", "corpus_hash", "created_at"}
    assert report["settings_hash"] == "abc" and len(report["corpus_hash"]) == 64
    first = report["cases"][0]
    assert first["id"] == "ivig-maintenance" and first["correct"] is True
    assert first["retrieved_document_ids"] == ["policies/ivig"] and first["cited_document_ids"] == ["policies/ivig"]
    assert first["must_mention_missing"] == [] and first["latency_ms"] >= 0


def test_a_deliberately_broken_retriever_fails_the_gate_through_the_cli(cases_file, tmp_path):
    result = invoke(lambda settings: MiniEngine(broken_retriever), "--cases", cases_file, "--out", tmp_path / "out")
    assert result.exit_code == 1, result.output
    assert "gate failed" in result.output
    assert "source_recall_at_k 0.000 is below the floor" in result.output
    saved = json.loads((tmp_path / "out" / "report.json").read_text())
    assert saved["gate"]["passed"] is False and saved["metrics"]["source_recall_at_k"] == 0.0


def test_the_same_cli_exits_0_with_a_working_retriever(cases_file, tmp_path):
    result = invoke(lambda settings: MiniEngine(), "--cases", cases_file, "--out", tmp_path / "out")
    assert result.exit_code == 0, result.output
    assert "gate passed" in result.output and "verdict_accuracy" in result.output


def test_a_drop_against_the_baseline_fails_the_cli(cases_file, tmp_path):
    assert invoke(lambda s: MiniEngine(), "--cases", cases_file, "--out", tmp_path / "base").exit_code == 0

    def one_worse(settings):  # the POTS question is now answered "no"
        engine = MiniEngine()
        good_ask = engine.ask

        def ask(question, patient=None, filters=None, k=None):
            answer = good_ask(question, patient)
            return answer.model_copy(update={"verdict": "no"}) if "POTS" in question else answer

        engine.ask = ask
        return engine

    result = invoke(one_worse, "--cases", cases_file, "--out", tmp_path / "new",
                    "--baseline", tmp_path / "base" / "report.json")
    assert result.exit_code == 1
    assert "verdict_accuracy fell from 1.000 (baseline) to 0.800" in result.output


def test_unusable_cases_exit_2_naming_the_file(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("- {id: a, question: 'q?', expected_verdict: perhaps, expected_sources: []}\n")
    result = invoke(lambda s: MiniEngine(), "--cases", bad, "--out", tmp_path / "out")
    assert result.exit_code == 2
    assert "bad.yaml: case 'a': expected_verdict" in result.output


def test_reports_are_written_and_the_html_is_self_contained(cases_file, tmp_path):
    report = run_eval(load_cases(cases_file), MiniEngine(broken_retriever), k=5)
    report["gate"] = {"passed": False, "failures": ["source_recall_at_k 0.000 is below the floor 0.800"]}
    paths = write_reports(report, tmp_path / "out")
    assert json.loads(paths["json"].read_text())["cases"][0]["id"] == "ivig-maintenance"
    md = paths["md"].read_text()
    assert "## Headline metrics" in md and "## Per tag" in md and "## Confusion matrix" in md
    assert "### ivig-maintenance" in md and "Is maintenance IVIG for myasthenia gravis covered?" in md
    assert "**Expected:** no · **Got:** yes" in md and "**Cited:** policies/cpap" in md
    html = paths["html"].read_text()
    assert "<svg" in html and "Quality gate failed" in html and "ivig-maintenance" in html
    assert "<script" not in html and "<link" not in html and "src=" not in html and "@import" not in html


def test_cases_run_in_parallel_keep_their_order_and_an_engine_error_is_one_wrong_case(cases_file):
    cases = load_cases(cases_file)
    good = MiniEngine()
    answers = {c.question: good.ask(c.question) for c in cases}
    answers[cases[2].question] = RuntimeError("index went away")
    engine = ScriptedEngine(answers, chunks=good.index.chunks)
    report = run_eval(cases, engine, k=5, workers=3)
    assert [c["id"] for c in report["cases"]] == [c.id for c in cases]
    broken = report["cases"][2]
    assert broken["verdict"] == "error" and "index went away" in broken["error"]
    assert report["metrics"]["errors"] == 1 and report["metrics"]["verdict_accuracy"] == 0.8
    assert ("Is CPAP covered for sleep apnea with an AHI of 30?", "AHI 30 on a home sleep test.") in engine.calls
    assert "errors 1 is above the ceiling 0" in check_gate(report["metrics"], load_thresholds())


def test_export_writes_beir_queries_qrels_and_a_trec_run(cases_file, tmp_path):
    report = run_eval(load_cases(cases_file), MiniEngine(broken_retriever), k=5)
    paths = export_qrels(report, tmp_path / "qrels")
    queries = [json.loads(line) for line in paths["queries.jsonl"].read_text().splitlines()]
    assert queries[0] == {"_id": "ivig-maintenance", "text": "Is maintenance IVIG for myasthenia gravis covered?"}
    assert queries[1]["metadata"] == {"patient": "AHI 30 on a home sleep test."}
    qrels = paths["qrels.tsv"].read_text().splitlines()
    assert qrels[0] == "query-id\tcorpus-id\tscore" and "ivig-maintenance\tpolicies/ivig\t1" in qrels
    assert len(qrels) == 1 + 4  # the cannot_answer case has no relevant documents
    run = paths["run.tsv"].read_text().splitlines()
    assert run[0] == "ivig-maintenance\tQ0\tpolicies/cpap\t1\t1.000000\tcriterion"
    assert "ivig-maintenance 0 policies/ivig 1" in paths["qrels.trec"].read_text()


def test_a_scripted_answer_citing_outside_its_retrieval_is_invalid(tmp_path):
    [case] = load_cases(_write(tmp_path / "c.yaml", "- {id: a, question: 'q?', expected_verdict: 'yes', expected_sources: [d]}\n"))
    answer = make_answer("q?", "yes", retrieved=[("d", "d#1")], citations=[("d", "d#2", "exists")])
    engine = ScriptedEngine({"q?": answer}, chunks={})
    report = run_eval([case], engine, k=5)
    assert report["metrics"]["citation_validity"] == 0.0
    assert report["cases"][0]["problems"] == ["invalid citation [1] d#2: cites a chunk that was not retrieved"]


def _write(path, text):
    path.write_text(text)
    return path
