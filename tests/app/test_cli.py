"""The command line reports configuration mistakes in one line, without a traceback."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from app.cli import app


@pytest.mark.parametrize("env, expected", [
    ({"CRITERION_RETRIEVAL__K": "abc"}, "error: invalid settings: retrieval.k: Input should be a valid integer"),
    ({"CRITERION_EMBEDDING__BACKEND": "nope"}, "error: unknown embedding.backend 'nope'; accepted:"),
    ({"CRITERION_LLM__COMPOSER": "llm", "CRITERION_LLM__TIMEOUT_S": "90"},
     "error: invalid settings: api.request_timeout_s (60) must be above llm.timeout_s (90)"),
])
def test_a_bad_setting_is_one_clear_line(tmp_path, monkeypatch, env, expected):
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    result = CliRunner().invoke(app, ["ask", "Is CPAP covered?", "--index", str(tmp_path / "index")])
    assert result.exit_code == 2
    assert result.output.strip().startswith(expected)
    assert "Traceback" not in result.output and len(result.output.strip().splitlines()) == 1
