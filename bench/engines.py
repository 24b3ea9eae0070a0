"""The engine a benchmark measures: over a given index, or over corpus/ ingested into a temporary one."""

from __future__ import annotations

from pathlib import Path


def engine_over(tmp: str, index: Path | None, corpus: Path = Path("corpus")):
    from app.engine import Engine
    from app.settings import Settings
    from ingest.sync import sync

    settings = Settings(data_dir=Path(tmp))
    if index:
        settings = settings.with_index(index)
    else:
        sync([corpus], settings)
    return Engine.from_settings(settings), settings
