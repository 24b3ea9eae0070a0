"""The server-scale bench at a tiny size against a real `chroma run` server: every checkpoint's
figures are there and sane, and the report states them with the machine. No timing is asserted
(the figures come from `python -m bench.server_scale --chunks 1000000`)."""

from __future__ import annotations

import os
import shutil

import pytest

from bench import server_scale

pytestmark = pytest.mark.integration


@pytest.fixture(autouse=True)
def needs_chroma():
    if not server_scale.CHROMA.exists() and not shutil.which("chroma"):
        pytest.skip("the chroma CLI (from the chromadb package) is not installed: no server to fill")


def test_tiny_run_reports_every_figure(tmp_path):
    reports = []
    result = server_scale.run(400, 3, tmp_path / "work", budget_s=2.0, report=reports.append)

    assert len(reports) == 1 and result["checkpoints"] and result["workers"] == 4
    row = result["checkpoints"][-1]
    assert row["chunks"] == row["count"] == 400
    assert row["add_rate"] > 0 and row["disk_mb"] > 0 and row["server_rss_mb"] > 0
    assert row["server_peak_mb"] >= row["server_rss_mb"] * 0.5
    assert row["bm25"]["build_s"] >= 0 and row["bm25"]["disk_mb"] >= 0
    for store in ("server", "embedded"):
        assert row[store]["worker_rss_mb"] > 0
        for mode in server_scale.MODES:
            figures = row[store][mode]
            assert figures["n"] >= 4, (store, mode)  # every worker timed at least one query
            assert 0 < figures["p50"] <= figures["p95"], (store, mode)
    assert row["embedded"]["add_rate"] > 0

    text = server_scale.render(result)
    assert f"{os.cpu_count()} cores" in text and "RAM" in text and "chromadb" in text
    assert "| 400 server |" in text and "| 400 embedded |" in text
    assert "Acceptance (issue #18): hybrid p95 ≤ 100 ms with 4 workers at 400 chunks" in text
    assert not (tmp_path / "work" / "embedded").exists()


def test_rows_are_the_same_in_every_process():
    synth = server_scale.Synthetic()
    ids, vectors, texts, metadatas, lexical = synth.rows(80, 90)
    again = synth.rows(80, 90)
    assert ids == again[0] and texts == again[2] and (vectors == again[1]).all()
    assert {"document_id", "issuer", "title", "section", "page_start", "source_sha256"} <= set(metadatas[0])
    assert metadatas[0]["issuer"] in server_scale.ISSUERS and abs(float((vectors[0] ** 2).sum()) - 1) < 1e-5
    assert len(synth.queries(5, 1000)) == 5
