"""Shared fixtures: offline by default, a temporary data dir, the fake embedder, real-corpus paths."""

from __future__ import annotations

import os
import socket
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared" / "real-corpus"
sys.path.insert(0, str(Path(__file__).parent))

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"
os.environ["ANONYMIZED_TELEMETRY"] = "False"
os.environ["TOKENIZERS_PARALLELISM"] = "false"


@pytest.fixture(autouse=True)
def _isolated(tmp_path, monkeypatch):
    """Each test runs with its own data dir and no network beyond loopback."""
    monkeypatch.setenv("CRITERION_DATA_DIR", str(tmp_path / "data"))
    real_connect = socket.socket.connect

    def guarded_connect(self, address):
        host = address[0] if isinstance(address, tuple) else address
        if isinstance(host, str) and not (host.startswith("127.") or host in ("localhost", "::1") or host.startswith("/")):
            raise RuntimeError(f"test tried to reach the network: {address!r}")
        return real_connect(self, address)

    monkeypatch.setattr(socket.socket, "connect", guarded_connect)
    yield


@pytest.fixture
def fake_settings(tmp_path):
    """Settings with the deterministic fake embedder and an index under tmp_path."""
    from app.settings import Settings

    return Settings(data_dir=tmp_path / "data", embedding={"backend": "fake"})


@pytest.fixture
def real_settings(tmp_path):
    from app.settings import Settings

    return Settings(data_dir=tmp_path / "data")


@pytest.fixture(scope="session")
def real_corpus() -> Path:
    if not SHARED.is_dir():
        pytest.skip(f"needs the shared real corpus at {SHARED} (absent on this machine)")
    return SHARED
