"""What HTTP asks of every route and FastAPI leaves to us, as one ASGI middleware:

- ``OPTIONS`` on a path that exists: 204 with ``Allow`` listing the methods its routes accept;
- ``HEAD`` on any ``GET`` route (the page at ``/`` included): the ``GET`` response's headers, no body;
- a 405's ``Allow`` lists every method of the path (FastAPI names only the first route's);
- ``Cache-Control: no-store`` on every ``/v1/`` response, since they carry question, patient and
  answer text that no browser or proxy should keep.
"""

from __future__ import annotations

from starlette.routing import Match, Mount

PROBED = ("GET", "POST", "PUT", "PATCH", "DELETE")
PRIVATE_PREFIX = "/v1/"


class Protocol:
    def __init__(self, app, *, router):
        self.app = app
        self.router = router

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        if scope["method"] == "OPTIONS":
            allowed = self.allowed(scope)
            if allowed:
                return await _no_content(send, allowed)
        head = scope["method"] == "HEAD"
        private = scope["path"].startswith(PRIVATE_PREFIX)

        async def conform(message):
            if message["type"] == "http.response.start":
                headers = [(k, v) for k, v in message.get("headers", [])
                           if not (private and k.lower() == b"cache-control")
                           and not (message["status"] == 405 and k.lower() == b"allow")]
                if private:
                    headers.append((b"cache-control", b"no-store"))
                if message["status"] == 405:
                    headers.append((b"allow", ", ".join(self.allowed(scope)).encode()))
                message = {**message, "headers": headers}
            elif head and message["type"] == "http.response.body":
                message = {**message, "body": b""}
            await send(message)

        if head:
            scope["method"] = "GET"  # in place: the access log reads the route the router sets on it
            try:
                return await self.app(scope, receive, conform)
            finally:
                scope["method"] = "HEAD"
        return await self.app(scope, receive, conform)

    def allowed(self, scope) -> list[str]:
        """The methods some route accepts at this path, in a stable order (empty: no such path).
        A path that a route names literally ('/v1/chat/completions') is that route's alone: a
        templated route it also fits ('/v1/chat/{session_id}') does not add its methods; nor does
        a less specific template ('/v1/documents/{id}' beside '/v1/documents/{id}/criteria')."""
        routes = list(_flat(self.router.routes))
        literal = [r for r in routes if getattr(r, "path", None) == scope["path"] and "{" not in r.path]
        if literal:
            routes = literal
        fitting = [r for r in routes if any(r.matches({**scope, "method": m})[0] != Match.NONE for m in PROBED)]
        if fitting:
            most = max(_fixed_chars(r) for r in fitting)
            routes = [r for r in fitting if _fixed_chars(r) == most]
        methods: set[str] = set()
        for method in PROBED:
            probe = {**scope, "method": method}
            for route in routes:
                match, _ = route.matches(probe)
                if match == Match.FULL:
                    methods.add("GET" if isinstance(route, Mount) else method)  # mounts here serve static files
                    break
        if "GET" in methods:
            methods.add("HEAD")
        return sorted(methods | {"OPTIONS"}) if methods else []


def _fixed_chars(route) -> int:
    """How much of a route's path is fixed text rather than parameters: the more, the more specific."""
    path = getattr(route, "path", "")
    return len(path) - sum(len(part.split("}")[0]) + 2 for part in path.split("{")[1:])


def _flat(routes):
    """The routes themselves: FastAPI wraps an included router's routes (no prefixes are used here)."""
    for route in routes:
        inner = getattr(route, "original_router", None)
        if inner is not None:
            yield from _flat(inner.routes)
        else:
            yield route


async def _no_content(send, allowed: list[str]) -> None:
    await send({"type": "http.response.start", "status": 204,
                "headers": [(b"allow", ", ".join(allowed).encode())]})
    await send({"type": "http.response.body", "body": b""})
