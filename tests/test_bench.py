"""Smoke tests of the benchmark on a tiny corpus with the fake embedder: the naive baseline
pipeline, both measured sides, the metric and significance plumbing, the report, the real-corpus
subset and the scale replication. No timing is asserted; the real numbers come from `make bench`."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import pytest
import yaml
from langchain_core.embeddings import DeterministicFakeEmbedding
from pdfs import make_pdf

from bench import report, scale, sides
from bench.baseline import BaselinePipeline, corpus_files
from bench.onnx_export import is_exported
from bench.run import real_subset

LONG = " ".join(f"Sentence {i} says lumbar MRI is covered after six weeks of conservative care." for i in range(40))


def tiny_corpus(root: Path) -> Path:
    (root / "policies").mkdir(parents=True)
    (root / "guidelines").mkdir()
    (root / "policies" / "lumbar-mri.md").write_text(f"# Lumbar MRI\n\n## Criteria\n\n{LONG}\n")
    (root / "policies" / "cpap.md").write_text("# CPAP\n\n## Criteria\n\nCPAP is covered when the AHI is 15 or more.\n")
    (root / "guidelines" / "pots.html").write_text(
        "<html><head><script>var x = 1;</script></head><body><h1>POTS</h1><p>Propranolol may help POTS.</p></body></html>")
    (root / "guidelines" / "tms.pdf").write_bytes(make_pdf([["TMS is covered after two failed antidepressants."],
                                                            ["Up to 36 sessions."]]))
    (root / "README.md").write_text("# About this folder\n")
    return root


def tiny_cases(path: Path) -> Path:
    cases = [
        {"id": "mri", "question": "Is lumbar MRI covered after six weeks of conservative care?", "expected_verdict": "informational",
         "expected_sources": ["policies/lumbar-mri"]},
        {"id": "cpap", "question": "CPAP is covered when the AHI is 15 or more.", "expected_verdict": "informational",
         "expected_sources": ["policies/cpap"]},
        {"id": "liver", "question": "Is a liver transplant covered?", "expected_verdict": "cannot_answer", "expected_sources": []},
    ]
    path.write_text(yaml.safe_dump(cases))
    return path


def test_baseline_pipeline_reads_splits_and_ranks_documents(tmp_path):
    corpus = tiny_corpus(tmp_path / "corpus")
    assert [p.name for p in corpus_files(corpus)] == ["pots.html", "tms.pdf", "cpap.md", "lumbar-mri.md"]
    pipeline = BaselinePipeline(DeterministicFakeEmbedding(size=384), tmp_path / "chroma")
    ingest = pipeline.ingest(corpus)
    assert (ingest.files, ingest.pages, ingest.failed) == (4, 2, [])
    # the long policy is split into 1000-character chunks with overlap; the short files stay whole
    assert ingest.chunks == len(pipeline.texts) > 4
    assert max(map(len, pipeline.texts)) <= 1000
    assert not any("var x" in t for t in pipeline.texts)  # script text dropped with the markup
    # the fake embedder hashes text, so a chunk's exact text finds that chunk first
    cpap_chunk = next(t for t in pipeline.texts if "AHI is 15" in t)
    ranked = pipeline.ranked_documents(cpap_chunk)
    assert ranked[0] == "policies/cpap"
    assert len(ranked) == len(set(ranked)) <= 4
    reopened = BaselinePipeline(DeterministicFakeEmbedding(size=384), tmp_path / "chroma").open()
    assert reopened.ranked_documents(cpap_chunk) == ranked


def test_retrieval_metrics_over_distinct_documents():
    cases = [
        {"id": "a", "expected_sources": ["x"], "ranked": ["x", "y"]},               # rank 1
        {"id": "b", "expected_sources": ["x", "z"], "ranked": ["y", "q", "z"]},     # rank 3
        {"id": "c", "expected_sources": ["x"], "ranked": ["1", "2", "3", "4", "x"]},  # rank 5
        {"id": "d", "expected_sources": ["x"], "ranked": []},                       # nothing: 0
        {"id": "e", "expected_sources": [], "ranked": ["x"]},                       # unanswerable: not counted
    ]
    got = report.retrieval(cases)
    assert got["n"] == 4
    assert got["hit_rate@1"] == pytest.approx(1 / 4)
    assert got["hit_rate@5"] == pytest.approx(3 / 4)
    assert got["mrr"] == pytest.approx((1 + 1 / 3 + 1 / 5) / 4, abs=1e-4)
    assert got["mrr@4"] == pytest.approx((1 + 1 / 3) / 4, abs=1e-4)


def test_paired_significance_favours_the_better_run():
    n = 30
    better = [{"id": str(i), "expected_sources": ["x"], "ranked": ["x"]} for i in range(n)]
    worse = [{"id": str(i), "expected_sources": ["x"], "ranked": ["y", "x"] if i % 3 else ["x"]} for i in range(n)]
    sig = report.significance(worse, better)
    assert set(sig) == {"mrr", "hit_rate@1", "mrr@4"}
    row = sig["hit_rate@1"]
    assert (row["baseline"], row["criterion"], row["n"]) == (pytest.approx(1 / 3, abs=1e-3), 1.0, n)
    assert 0 <= row["student_p"] < 0.05 and 0 <= row["fisher_p"] < 0.05


def _args(**kw) -> argparse.Namespace:
    base = dict(raw_sample=4, pdf_probe=True, backend="fake", rounds=1)
    return argparse.Namespace(**(base | kw))


def test_both_sides_and_the_report_on_a_tiny_corpus(tmp_path):
    corpus = tiny_corpus(tmp_path / "corpus")
    cases = tiny_cases(tmp_path / "cases.yaml")
    work = tmp_path / "work"
    work.mkdir()
    crit = sides.run_criterion(_args(corpus=corpus, cases=cases, work=work))
    base = sides.run_baseline(_args(corpus=corpus, cases=cases, work=work))
    lat = sides.run_latency(_args(cases=cases, work=work))
    for side in (crit, base):
        assert [c["id"] for c in side["cases"]] == ["mri", "cpap", "liver"]
        assert {c["file"] for c in side["cases"]} == {"cases.yaml"}  # for the per-file significance rows
        assert side["pdf_ingest"]["pages"] == 2 and side["raw_encoder"]["texts"] <= 4
        assert side["peak_rss_mb"] > 0
    assert all(c["verdict"] is None for c in base["cases"])
    assert all(c["verdict"] for c in crit["cases"])
    assert set(lat) >= {"criterion", "criterion_retrieval", "baseline"}
    json.dumps([crit, base, lat])  # what the side processes write must be JSON
    corpus_run = {"label": "starter", "criterion": crit, "baseline": base, "latency": lat}
    data = {"date": "2026-01-01 00:00 UTC", "wall_seconds": 1.0, "corpora": [corpus_run], "real_note": "skipped (test)",
            "machine": {"cpu": "test cpu", "cores": 2, "usable_cores": 2, "ram_gb": 1.0, "os": "Linux", "machine": "x86_64",
                        "python": "3.11", "load_average_start": (0.0, 0.0, 0.0),
                        "versions": dict.fromkeys(("torch", "sentence-transformers", "transformers", "chromadb",
                                                   "langchain-chroma", "langchain-huggingface", "onnxruntime", "ranx"), "x")}}
    text = report.render(data)
    for heading in ("## Machine", "## Criterion / baseline", "## Significance", "## Acceptance checks", "PDF pages/s"):
        assert heading in text
    assert "| source MRR |" in text and "Real corpus: skipped (test)." in text


def test_real_subset_keeps_named_files_and_a_fixed_sample(tmp_path):
    source = tmp_path / "real"
    for folder, names in {"uspstf": ["a.html", "b.html", "SOURCE.md"], "tricare": ["t.pdf"],
                          "ngc-federal": [f"ngc-{i:03d}.md" for i in range(10)]}.items():
        (source / folder).mkdir(parents=True)
        for name in names:
            (source / folder / name).write_text("x")
    cases = tmp_path / "cases.yaml"
    cases.write_text(yaml.safe_dump([{"id": "one", "question": "q?", "expected_verdict": "yes",
                                      "expected_sources": ["ngc-federal/ngc-007", "uspstf/a"]}]))
    first = real_subset(source, tmp_path / "subset", cases, other_ngc=3)
    again = real_subset(source, tmp_path / "subset2", cases, other_ngc=3)
    assert (first["ngc_referenced"], first["ngc_others"], first["missing_sources"]) == (1, 3, [])
    assert (tmp_path / "subset" / "ngc-federal" / "ngc-007.md").exists()
    assert sorted(p.name for p in (tmp_path / "subset" / "ngc-federal").iterdir()) == \
        sorted(p.name for p in (tmp_path / "subset2" / "ngc-federal").iterdir())
    assert first["files"] == again["files"] == 3 + 1 + 4


def test_scale_replicas_are_unit_vectors_near_their_originals():
    rng = np.random.default_rng(0)
    vectors = rng.standard_normal((5, 384)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    texts = [" ".join(f"word{j}" for j in range(50)) for _ in range(5)]
    src, out, rows = scale.replicate(texts, vectors, 3, 13, np.random.default_rng(1))
    assert list(src) == [3, 4, 0, 1, 2, 3, 4, 0, 1, 2]
    assert np.allclose(np.linalg.norm(out, axis=1), 1, atol=1e-5)
    assert np.allclose(out[:2], vectors[3:5])  # rows below n are the originals
    cosines = (out[2:] * vectors[src[2:]]).sum(axis=1)
    assert (cosines > 0.75).all() and (cosines < 0.999).all()
    assert rows[0] == texts[3] and all(len(r.split()) < 50 for r in rows[2:])
    assert scale.checkpoints(25_000) == [10_000, 25_000] and scale.checkpoints(100_000)[-1] == 100_000


def test_onnx_export_is_recognised_only_when_complete(tmp_path):
    model = tmp_path / "model"
    model.mkdir()
    (model / "config.json").write_text("{}")
    out = tmp_path / "export"
    assert not is_exported(out, model)
    (out / "onnx").mkdir(parents=True)
    from bench.onnx_export import FP32_FILE, INT8_FILE, MARKER, source_digest

    (out / MARKER).write_text(json.dumps({"source": source_digest(model)}))
    assert not is_exported(out, model)  # files missing
    (out / FP32_FILE).write_bytes(b"x")
    (out / INT8_FILE).write_bytes(b"x")
    assert is_exported(out, model)
    (model / "config.json").write_text('{"changed": true}')
    assert not is_exported(out, model)  # other weights: export again


def test_significance_is_also_reported_per_case_file():
    def side(ranked_for):
        return [{"id": f"{f}{i}", "file": f"{f}.yaml", "expected_sources": ["x"], "ranked": ranked_for(f, i)}
                for f in ("old", "new") for i in range(12)]

    base = side(lambda f, i: ["y", "x"])
    crit = side(lambda f, i: ["x"] if f == "new" else ["y", "x"])  # better on the new file only
    lines, _ = report._significance_section([{"label": "real", "baseline": {"cases": base}, "criterion": {"cases": crit}}])
    cells = [[c.strip() for c in line.strip("|").split("|")] for line in lines if line.startswith("| real")]
    rows = {(c[0], c[1]): c for c in cells}  # (corpus, metric) -> corpus, metric, n, base, crit, difference, p, p
    assert rows["real", "source recall@1"][2] == "24" and rows["real · new.yaml", "source recall@1"][2] == "12"
    assert rows["real · new.yaml", "source recall@1"][5] == "+1.000" and rows["real · old.yaml", "source recall@1"][5] == "+0.000"
