"""What the service tests share: a tiny corpus, API keys for each role, settings with the fake
embedder, and the app served by uvicorn on a free 127.0.0.1 port (for real HTTP clients)."""

from __future__ import annotations

import socket
import threading
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterator

from app.api.access import hash_key
from app.settings import Settings

SEED = "Is IVIG 1 g/kg every 3 weeks medically necessary for a patient with refractory myasthenia gravis?"
SEED_PATIENT = "MG-ADL 9, up from 6; prednisone 40 mg daily and mycophenolate tried; no respiratory compromise"
CPAP = "Is CPAP covered for obstructive sleep apnea?"

KEYS = {"clinician": "key-for-clinician", "reviewer": "key-for-reviewer", "maintainer": "key-for-maintainer"}

IVIG = """---
title: Immune globulin
doc_type: policy
issuer: Test plan
effective_date: 2026-01-01
---
# Immune globulin

## Myasthenia gravis: acute exacerbation

IVIG is considered medically necessary for an acute exacerbation of myasthenia gravis when ALL of the following are met:
- The MG diagnosis is confirmed by AChR antibodies.
- The patient is under the care of a neurologist.
- The course is a total dose of 2 g/kg divided over 2 to 5 days.

## Myasthenia gravis: maintenance

Maintenance IVIG for myasthenia gravis is not covered except for refractory generalized MG when ALL of the following are met:
- The patient had an inadequate response to corticosteroids and to at least 2 nonsteroidal immunosuppressants such as azathioprine and mycophenolate.
- The MG-ADL total score is 6 or more.

## CIDP

IVIG is considered medically necessary for chronic inflammatory demyelinating polyradiculoneuropathy (CIDP) when ALL of the following are met:
- The diagnosis meets the EAN/PNS criteria.
- The patient has progressive or relapsing weakness for at least 2 months.
"""

PAP = """---
title: Positive airway pressure
doc_type: policy
issuer: Test plan
effective_date: 2026-01-01
---
# Positive airway pressure

## Policy

CPAP is covered for obstructive sleep apnea when the AHI is 15 or more events per hour.
CPAP is not covered for snoring without obstructive sleep apnea.
"""


class PacedEngine:
    """A fake engine over the real one (the tiny corpus, fake embedder) whose pace the test sets:
    ``pause(question)`` seconds pass where retrieval would, then it passes the ``retrieved``
    checkpoint and reports ``composing`` as the real engine does, and composes; a question holding ``BROKEN`` raises. It counts what it did."""

    def __init__(self, engine, pause: Callable[[str], float]):
        self.engine = engine
        self.index = engine.index
        self.pause = pause
        self.started = self.composed = 0

    def ask(self, question, patient=None, filters=None, k=None, progress=None, checkpoint=None):
        self.started += 1
        if "BROKEN" in question:
            raise RuntimeError("the fake engine broke on purpose")
        time.sleep(self.pause(question))
        if checkpoint is not None:
            checkpoint("retrieved")
        if progress is not None:
            progress("composing", {"passages": 0, "retrieval_ms": 0.0})
        answer = self.engine.ask(question, patient, filters, k, checkpoint=checkpoint)
        self.composed += 1
        return answer


def paced(pause: Callable[[str], float], built: list | None = None):
    """A ``build_engine`` for ``create_app`` that opens the real engine inside a ``PacedEngine``
    (appended to ``built``, so the test can read its counts)."""
    from app.engine import Engine

    def build(settings: Settings, embeddings=None) -> PacedEngine:
        engine = PacedEngine(Engine.from_settings(settings, embeddings=embeddings), pause)
        if built is not None:
            built.append(engine)
        return engine

    return build


def bearer(role: str) -> dict:
    return {"Authorization": f"Bearer {KEYS[role]}"}


def write_corpus(folder: Path) -> Path:
    (folder / "policies").mkdir(parents=True, exist_ok=True)
    (folder / "policies" / "immune-globulin.md").write_text(IVIG)
    (folder / "policies" / "pap.md").write_text(PAP)
    return folder


def service_settings(data_dir: Path, **api) -> Settings:
    keys = ",".join(f"{role}-user:{role}:{hash_key(key)}" for role, key in KEYS.items())
    return Settings(data_dir=data_dir, embedding={"backend": "fake"},
                    api={"keys": keys, "rate_limit_per_minute": 10_000, **api})


@contextmanager
def served(app) -> Iterator[str]:
    """The app served by uvicorn in a thread on a free loopback port; yields its base URL."""
    import uvicorn

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.time() + 30
    while not server.started:
        if time.time() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()
