"""The HTTP service (first cut): ``create_app(settings)`` loads the engine once in a lifespan;
routes are thin and sync over it; every error has one shape ``{"error": {"code", "message"}}``.
Chat, the OpenAI-compatible API, documents, the web page and access control are still to come."""

from __future__ import annotations

from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException

from app.errors import AppError
from app.schemas import Answer
from app.settings import Settings

LOOPBACK = ("127.0.0.1", "localhost", "::1")


class AskRequest(BaseModel):
    question: str = Field(min_length=1, max_length=4000)
    patient: str | None = Field(None, max_length=20000)
    filters: dict | None = None
    k: int | None = Field(None, ge=1, le=50)


def create_app(settings: Settings) -> FastAPI:
    if settings.api.auth == "off" and settings.api.host not in LOOPBACK:
        raise ValueError(f"refusing to serve on {settings.api.host} with auth off; bind 127.0.0.1 or turn auth on")

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        from app.engine import Engine

        try:
            app.state.engine = Engine.from_settings(settings)
            app.state.error = None
        except AppError as exc:  # no index yet: stay up, say so on /readyz and /v1/ask
            app.state.engine, app.state.error = None, exc
        yield

    app = FastAPI(title="Criterion", version="0.1.0", lifespan=lifespan)

    @app.exception_handler(AppError)
    def app_error(_: Request, exc: AppError):
        return JSONResponse(exc.body(), status_code=exc.status)

    @app.exception_handler(RequestValidationError)
    def invalid(_: Request, exc: RequestValidationError):
        message = "; ".join(f"{'.'.join(str(p) for p in e['loc'][1:])}: {e['msg']}" for e in exc.errors())
        return JSONResponse({"error": {"code": "invalid_request", "message": message}}, status_code=422)

    @app.exception_handler(HTTPException)
    def http_error(_: Request, exc: HTTPException):
        return JSONResponse({"error": {"code": "http_error", "message": str(exc.detail)}}, status_code=exc.status_code)

    def engine(request: Request):
        if request.app.state.engine is None:
            raise request.app.state.error
        return request.app.state.engine

    @app.get("/healthz")
    def healthz() -> dict:
        return {"status": "ok"}

    @app.get("/readyz")
    def readyz(request: Request):
        eng = engine(request)
        return {"status": "ready", "documents": len(eng.index.documents), "chunks": len(eng.index.chunks),
                "embedder": eng.index.manifest["embedder"]}

    @app.post("/v1/ask", response_model=Answer)
    def ask(body: AskRequest, request: Request) -> Answer:
        return engine(request).ask(body.question, body.patient, body.filters, body.k)

    return app
