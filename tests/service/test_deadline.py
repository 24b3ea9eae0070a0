"""An answer that runs past ``api.request_timeout_s`` is a 503 in the one error shape, its worker
is freed, and /healthz and /readyz answer at once however many answers are running. The engine
is the real one over the tiny corpus inside a fake that takes as long as the test says."""

from __future__ import annotations

import statistics
import threading
import time

import httpx
from fastapi.testclient import TestClient

from app.service import create_app
from service_kit import CPAP, KEYS, bearer, paced, served

H = bearer("clinician")
SLOW = CPAP.replace("covered", "covered, slowly,")  # the fake engine dawdles on this one


def slow_only(seconds: float):
    return lambda question: seconds if "slowly" in question else 0.0


def with_api(settings, **api):
    return settings.model_copy(update={"api": settings.api.model_copy(update=api)})


def assert_timed_out(r) -> None:
    assert r.status_code == 503, r.text
    error = r.json()["error"]
    assert error["code"] == "answer_timeout" and "api.request_timeout_s" in error["message"]
    assert int(r.headers["retry-after"]) >= 1


def test_an_answer_past_the_deadline_is_a_503_and_its_worker_is_freed(settings):
    engines: list = []
    app = create_app(with_api(settings, request_timeout_s=0.5, answer_workers=1), paced(slow_only(1.5), engines))
    with TestClient(app) as c:
        started = time.monotonic()
        assert_timed_out(c.post("/v1/ask", json={"question": SLOW}, headers=H))
        assert time.monotonic() - started < 1.2  # the request did not wait for the engine
        time.sleep(1.2)  # the engine reaches its checkpoint, sees the deadline passed and stops there
        engine = engines[0]
        assert (engine.started, engine.composed) == (1, 0)
        fast = c.post("/v1/ask", json={"question": CPAP}, headers=H)  # the one worker is free again
        assert fast.status_code == 200 and fast.json()["citations"]


def test_every_answering_endpoint_keeps_the_deadline(settings):
    app = create_app(with_api(settings, request_timeout_s=0.3), paced(slow_only(0.8)))
    with TestClient(app) as c:
        assert_timed_out(c.post("/v1/chat", json={"message": SLOW}, headers=H))
        completion = {"model": "criterion", "messages": [{"role": "user", "content": SLOW}]}
        assert_timed_out(c.post("/v1/chat/completions", json=completion, headers=H))
        stream = c.post("/v1/chat/stream", json={"message": SLOW}, headers=H)
        assert stream.status_code == 200  # the stream had started: the error comes as its last event
        last = stream.text.strip().split("\n\n")[-1]
        assert last.startswith("event: error") and '"answer_timeout"' in last


def test_health_and_readiness_answer_at_once_while_the_thread_pool_is_full_of_answers(settings):
    """More slow answers than the server has threads (anyio's 40): /healthz and /readyz still
    answer in milliseconds, and every answer ends in time, answered or refused."""
    app = create_app(with_api(settings, request_timeout_s=3.0), paced(slow_only(2.0)))
    with served(app) as url:
        outcomes: list[int] = []

        def ask() -> None:
            r = httpx.post(f"{url}/v1/ask", json={"question": SLOW}, headers={"Authorization": f"Bearer {KEYS['clinician']}"},
                           timeout=30)
            outcomes.append(r.status_code)

        askers = [threading.Thread(target=ask) for _ in range(48)]
        for t in askers:
            t.start()
        time.sleep(0.5)  # the answers are running
        with httpx.Client(base_url=url, timeout=10) as ops:
            latencies = []
            for path in ("/healthz", "/readyz") * 10:
                started = time.perf_counter()
                assert ops.get(path).status_code == 200
                latencies.append(time.perf_counter() - started)
        for t in askers:
            t.join()
    assert max(latencies) < 0.5, f"median {statistics.median(latencies) * 1000:.0f} ms, max {max(latencies) * 1000:.0f} ms"
    assert set(outcomes) <= {200, 503} and len(outcomes) == 48 and 503 in outcomes
