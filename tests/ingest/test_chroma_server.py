"""The deployment path: a real `chroma run` server on 127.0.0.1, written by ingest and read by
the engine through HttpClient (store 'chroma-http')."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from app.engine import Engine
from app.settings import Settings
from ingest.sync import sync

CHROMA = Path(sys.executable).parent / "chroma"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def chroma_server(tmp_path):
    if not CHROMA.exists() and not shutil.which("chroma"):
        pytest.skip("the chroma CLI (from the chromadb package) is not installed")
    port = free_port()
    proc = subprocess.Popen([str(CHROMA if CHROMA.exists() else "chroma"), "run", "--path", str(tmp_path / "server"),
                             "--host", "127.0.0.1", "--port", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                break
        except OSError:
            time.sleep(0.3)
    else:
        proc.kill()
        pytest.fail("chroma server did not start within 60 s")
    yield port
    proc.terminate()
    proc.wait(timeout=20)


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
