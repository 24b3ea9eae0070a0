"""Limits: a per-key rate limit (token bucket, 429 with ``Retry-After``), a limit on failed
authentications per client address (429 with ``Retry-After``), and a request body size limit
enforced before a route reads the body (413)."""

from __future__ import annotations

import json
import math
import threading
import time
from collections import deque
from typing import Callable

from starlette.exceptions import HTTPException

from app.errors import AppError


class RateLimited(AppError):
    status, code = 429, "rate_limited"

    def __init__(self, message: str, retry_after: int):
        super().__init__(message)
        self.headers = {"Retry-After": str(retry_after)}


class RequestTooLarge(AppError):
    status, code = 413, "request_too_large"


class RateLimiter:
    """``per_minute`` requests per key, refilled continuously, bursts up to ``per_minute``."""

    def __init__(self, per_minute: int, clock: Callable[[], float] = time.monotonic):
        self.capacity = float(per_minute)
        self.rate = per_minute / 60.0
        self.clock = clock
        self._buckets: dict[str, tuple[float, float]] = {}  # key -> (tokens, at)
        self._lock = threading.Lock()

    def hit(self, key: str) -> None:
        now = self.clock()
        with self._lock:
            tokens, at = self._buckets.get(key, (self.capacity, now))
            tokens = min(self.capacity, tokens + (now - at) * self.rate)
            if tokens < 1.0:
                self._buckets[key] = (tokens, now)
                wait = math.ceil((1.0 - tokens) / self.rate)
                raise RateLimited(f"rate limit of {int(self.capacity)} requests per minute reached; "
                                  f"retry in {wait} s", retry_after=max(1, wait))
            self._buckets[key] = (tokens - 1.0, now)
            if len(self._buckets) > 10_000:  # forget keys idle long enough to be full again
                full = now - self.capacity / self.rate
                self._buckets = {k: v for k, v in self._buckets.items() if v[1] > full}


class AuthFailures:
    """At most ``limit`` unrecognised keys per client address in any ``window_s`` seconds; past
    that, every request from the address is refused (429) until its oldest failure leaves the
    window, whatever key it carries, so the limit cannot be probed with a correct guess. Other
    addresses, and keys used from them, are unaffected; a success does not reset the count."""

    MAX_CLIENTS = 10_000

    def __init__(self, limit: int, window_s: float, clock: Callable[[], float] = time.monotonic):
        self.limit = limit
        self.window_s = window_s
        self.clock = clock
        self._failures: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def check(self, client: str) -> None:
        now = self.clock()
        with self._lock:
            failures = self._recent(client, now)
            if failures is not None and len(failures) >= self.limit:
                wait = max(1, math.ceil(failures[0] + self.window_s - now))
                raise RateLimited(f"{self.limit} failed authentications from this address in {self.window_s:g} s; "
                                  f"retry in {wait} s", retry_after=wait)

    def failed(self, client: str) -> None:
        now = self.clock()
        with self._lock:
            self._recent(client, now)
            self._failures.setdefault(client, deque(maxlen=self.limit)).append(now)
            if len(self._failures) > self.MAX_CLIENTS:  # forget addresses with nothing in the window
                self._failures = {c: f for c, f in self._failures.items() if f and f[-1] > now - self.window_s}

    def _recent(self, client: str, now: float) -> deque[float] | None:
        failures = self._failures.get(client)
        while failures and failures[0] <= now - self.window_s:
            failures.popleft()
        return failures


class BodyLimit:
    """ASGI middleware: refuse a body over the limit (by ``Content-Length`` before reading it,
    or while it streams in). Uploads (``upload_path``) get their own, larger limit."""

    def __init__(self, app, *, max_bytes: int, upload_bytes: int, upload_path: str = "/v1/documents"):
        self.app = app
        self.max_bytes = max_bytes
        self.upload_bytes = upload_bytes
        self.upload_path = upload_path

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        upload = scope["method"] == "POST" and scope["path"].rstrip("/") == self.upload_path
        limit, what = (self.upload_bytes, "upload") if upload else (self.max_bytes, "request body")
        length = dict(scope.get("headers") or []).get(b"content-length")
        if length is not None and length.isdigit() and int(length) > limit:
            return await _refuse(send, f"the {what} is {int(length)} bytes; the limit is {limit} bytes")
        seen = 0

        async def counted():
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:  # an HTTPException passes FastAPI's body parsing unchanged
                    raise HTTPException(413, f"the {what} is over the limit of {limit} bytes")
            return message

        return await self.app(scope, counted, send)


async def _refuse(send, message: str) -> None:
    body = json.dumps(RequestTooLarge(message).body()).encode()
    await send({"type": "http.response.start", "status": 413,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                            (b"connection", b"close")]})
    await send({"type": "http.response.body", "body": body})
