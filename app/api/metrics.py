"""Prometheus metrics (one registry per app) and the middleware that times every request and
writes its JSON access-log line (route template, status, milliseconds, key name; never a body)."""

from __future__ import annotations

import time

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest

from app.api.logs import emit

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter("criterion_http_requests", "HTTP requests by route, method and status.",
                                ["route", "method", "status"], registry=self.registry)
        self.latency = Histogram("criterion_http_request_duration_seconds", "Request latency by route.",
                                 ["route"], buckets=LATENCY_BUCKETS, registry=self.registry)
        self.answers = Counter("criterion_answers", "Answers given, by verdict.", ["verdict"], registry=self.registry)
        self.ingested = Counter("criterion_ingest_documents", "Documents changed through the API, by outcome "
                                "(added, updated, unchanged, removed, failed).", ["outcome"], registry=self.registry)
        self.rejected = Counter("criterion_uploads_rejected", "Uploads refused before ingest, by reason code.",
                                ["reason"], registry=self.registry)

    def render(self) -> tuple[bytes, str]:
        return generate_latest(self.registry), CONTENT_TYPE_LATEST


class ObservedRequests:
    """ASGI middleware: request count and latency by route template, and one access-log line."""

    def __init__(self, app, metrics: Metrics):
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        started = time.perf_counter()
        status = 500

        async def watched(message):
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, watched)
        finally:
            route = getattr(scope.get("route"), "path", None) or scope.get("root_path") or "unmatched"
            elapsed = time.perf_counter() - started
            self.metrics.requests.labels(route, scope["method"], str(status)).inc()
            self.metrics.latency.labels(route).observe(elapsed)
            principal = (scope.get("state") or {}).get("principal")
            emit("request", method=scope["method"], route=route, status=status, ms=round(elapsed * 1000, 1),
                 who=getattr(principal, "name", None))
