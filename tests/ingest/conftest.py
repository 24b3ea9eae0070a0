"""Ingest fixtures: a real `chroma run` server on 127.0.0.1 (the 'chroma-http' store), skipped when
the chroma CLI is not installed."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

CHROMA = Path(sys.executable).parent / "chroma"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def chroma_server(tmp_path_factory):
    """The port of a `chroma run` server that lives as long as the test module; tests sharing it
    use collection names of their own."""
    if not CHROMA.exists() and not shutil.which("chroma"):
        pytest.skip("the chroma CLI (from the chromadb package) is not installed")
    port = free_port()
    proc = subprocess.Popen([str(CHROMA if CHROMA.exists() else "chroma"), "run",
                             "--path", str(tmp_path_factory.mktemp("chroma") / "server"),
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
