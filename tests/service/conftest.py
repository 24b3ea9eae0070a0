"""Service fixtures: settings over a tiny indexed corpus, and the app in-process (TestClient)."""

from __future__ import annotations

from typing import Iterator

import pytest
from fastapi.testclient import TestClient

from app.service import create_app
from app.settings import Settings
from ingest.sync import sync
from service_kit import service_settings, write_corpus


@pytest.fixture
def settings(tmp_path) -> Settings:
    settings = service_settings(tmp_path / "data")
    sync([write_corpus(tmp_path / "corpus")], settings)
    return settings


@pytest.fixture
def client(settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings)) as c:
        yield c
