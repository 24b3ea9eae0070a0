"""The HTTP service: ``create_app(settings)`` builds everything once — the embedder and the index
are loaded in the lifespan — and routes stay thin and sync over it.

    /v1/ask  /v1/chat[/stream]  /v1/chat/completions  /v1/models     (app/api/ask.py, completions.py)
    /v1/documents[/{id}]                                               (app/api/documents.py)
    /v1/determinations  /v1/feedback                  (app/api/determinations.py, feedback.py)
    /healthz  /readyz  /metrics                                        (app/api/health.py)
    /  (the web page, app/web/)   /docs  /openapi.json

Every error is ``{"error": {"code", "message"}}``. Auth is bearer API keys with roles
(app/api/access.py); limits on body size, per-key rate and failed authentications per address
(app/api/limits.py); every question, patient and conversation held to its size before any work
(app/api/bounds.py); every answer held to a deadline on a bounded pool (app/api/runtime.py);
OPTIONS, HEAD and ``Cache-Control: no-store`` (app/api/protocol.py); JSON logs without question
text and an append-only audit trail (app/api/logs.py, audit.py).
"""

from __future__ import annotations

from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles

from app.api import ask, completions, determinations, documents, feedback, handlers, health, logs
from app.api.access import Keyring
from app.api.audit import AuditLog, Recorder
from app.api.chat import Chats
from app.api.limits import AuthFailures, BodyLimit, RateLimiter
from app.api.metrics import Metrics, ObservedRequests
from app.api.protocol import Protocol
from app.api.runtime import BuildEngine, Runtime
from app.api.sessions import SessionStore
from app.api.uploads import UploadFolder
from app.engine import Engine
from app.settings import Settings

LOOPBACK = ("127.0.0.1", "localhost", "::1")
WEB = Path(__file__).parent / "web"
PAGE_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}
MULTIPART_OVERHEAD = 64 * 1024


def create_app(settings: Settings, build_engine: BuildEngine = Engine.from_settings) -> FastAPI:
    """The service over ``settings``; ``build_engine(settings, embeddings=…)`` opens the engine
    (tests pass a fake one)."""
    api = settings.api
    if api.auth == "off" and api.host not in LOOPBACK:
        raise ValueError(f"refusing to serve on {api.host} with auth off; bind 127.0.0.1 or turn auth on")
    keyring = Keyring.from_settings(api)
    if api.auth == "on" and not len(keyring):
        raise ValueError("auth is on but no API keys are configured: set CRITERION_API__KEYS_FILE or "
                         "CRITERION_API__KEYS (`python -m app.api.access new --role clinician --name NAME` makes "
                         "one), or CRITERION_API__AUTH=off on 127.0.0.1")
    logs.configure()

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        app.state.uploads.clean_partials()
        app.state.runtime.start()  # loads the embedder, opens the index (or records why not)
        yield

    app = FastAPI(title="Criterion", version="0.1.0", lifespan=lifespan, responses=handlers.ERROR_RESPONSES,
                  docs_url=None,  # served below from the packaged Swagger UI: no CDN, works offline
                  description="Cited medical-necessity determinations from coverage policies and guidelines. "
                              "Decision support only: verify every answer against the cited source.")
    _mount_docs(app)
    metrics = Metrics()
    runtime = Runtime(settings, build_engine)
    recorder = Recorder(metrics, AuditLog(settings.data_dir / "audit.jsonl"), logs.Fingerprints(settings.data_dir))
    sessions = SessionStore(settings.data_dir / "sessions.sqlite3", ttl_seconds=api.session_ttl_minutes * 60)
    app.state.settings = settings
    app.state.keyring = keyring
    app.state.limiter = RateLimiter(api.rate_limit_per_minute)
    app.state.auth_failures = AuthFailures(api.max_auth_failures, api.auth_failure_window_s)
    app.state.bounds = runtime.bounds
    app.state.metrics = metrics
    app.state.runtime = runtime
    app.state.recorder = recorder
    app.state.chats = Chats(sessions, runtime, recorder)
    app.state.uploads = UploadFolder(settings.data_dir / "uploads")

    handlers.install(app)
    app.add_middleware(Protocol, router=app.router)
    app.add_middleware(BodyLimit, max_bytes=api.max_body_bytes,
                       upload_bytes=int(api.max_upload_mb * 1_000_000) + MULTIPART_OVERHEAD)
    app.add_middleware(ObservedRequests, metrics=metrics)
    for module in (health, ask, completions, documents, determinations, feedback):
        app.include_router(module.router)

    @app.get("/", include_in_schema=False)
    async def page() -> FileResponse:
        return FileResponse(WEB / "index.html", headers=PAGE_HEADERS)

    app.mount("/static", StaticFiles(directory=WEB), name="static")
    return app


def _mount_docs(app: FastAPI) -> None:
    """OpenAPI docs at /docs from the Swagger UI 5 bundle that the fastapi-offline package ships
    (it reads OpenAPI 3.1; the default page loads a CDN)."""
    import fastapi_offline
    from fastapi.openapi.docs import get_swagger_ui_html

    bundle = Path(fastapi_offline.__file__).parent / "static"
    app.mount("/docs-assets", StaticFiles(directory=bundle), name="docs-assets")

    @app.get("/docs", include_in_schema=False)
    def docs():
        return get_swagger_ui_html(openapi_url="/openapi.json", title="Criterion API",
                                   swagger_js_url="/docs-assets/swagger-ui-bundle.js",
                                   swagger_css_url="/docs-assets/swagger-ui.css",
                                   swagger_favicon_url="/docs-assets/favicon.png")
