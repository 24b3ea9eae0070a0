"""Schemathesis against the running service, as a client would meet it: the app served by uvicorn
on a loopback port (auth on, a maintainer key), the `st` command line with every check
(server errors, status codes, content types, headers, response schemas, negative and positive
data, Allow, auth, resource use) and its default example budget over every phase (examples,
coverage, fuzzing, stateful). Zero failures, zero 5xx, zero timeouts."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from app.service import create_app
from ingest.sync import sync
from service_kit import KEYS, served, service_settings, write_corpus

CONFIG = Path(__file__).with_name("schemathesis.toml")


@pytest.mark.slow
def test_schemathesis_finds_nothing_against_the_running_service(tmp_path):
    # one key does all the fuzzing: the rate limiter is not what is under test
    settings = service_settings(tmp_path / "data", auth="on", rate_limit_per_minute=1_000_000)
    sync([write_corpus(tmp_path / "corpus")], settings)
    st = Path(sys.executable).with_name("st")
    with served(create_app(settings)) as url:
        run = subprocess.run(
            [str(st), "--config-file", str(CONFIG), "run", f"{url}/openapi.json", "--checks", "all",
             "-H", f"Authorization: Bearer {KEYS['maintainer']}", "--request-timeout", "30",
             "--seed", "20261203", "--no-color"],
            capture_output=True, text=True, timeout=900, cwd=tmp_path)  # its cache stays out of the repo
    report = run.stdout[-6000:] + run.stderr[-2000:]
    assert run.returncode == 0, report
    assert "18 selected" in run.stdout and "generated" in run.stdout, report  # it did run, over every operation
