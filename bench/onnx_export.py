"""The benchmark's name for the ONNX export, which now lives in the app (``app/onnx_embedder.py``,
embedding backend ``onnx``):

    python -m bench.onnx_export [--out DIR] [--force]      (default DIR: <data_dir>/onnx-model)

does what ``python -m app.onnx_embedder`` does (``make install`` runs that): export the bundled
weights to ONNX fp32 and int8, idempotently, no download, and print the export's agreement with
torch. The speed and gold-case measurements of the int8 encoder are ``bench/sides.py``'s ``onnx``
side (``make bench``, written to bench/results.md).
"""

from __future__ import annotations

from pathlib import Path

from app.onnx_embedder import (  # noqa: F401 — re-exported for bench/sides.py, bench/run.py and tests
    FP32_FILE,
    INT8_FILE,
    MARKER,
    OnnxEmbeddings,
    export,
    is_exported,
    main,
    source_digest,
)


def default_out_dir() -> Path:
    """The export directory the app's ``onnx`` backend reads (``embedding.onnx_dir``)."""
    from app.backends import onnx_export_dir
    from app.settings import Settings

    return onnx_export_dir(Settings())


if __name__ == "__main__":
    raise SystemExit(main())
