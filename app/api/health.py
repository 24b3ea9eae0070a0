"""Routes for operators: liveness, readiness and Prometheus metrics (no key needed, no text).
They are ``async``: they run on the event loop, so answers filling the thread pool never delay them."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, Field

from app.backends import embedder_stamp
from app.errors import EmbedderMismatch
from app.engine.retrieve.index import current_generation

router = APIRouter(tags=["operations"])


class Health(BaseModel):
    status: str


class Readiness(BaseModel):
    status: str
    documents: int
    chunks: int
    embedder: str
    generation: str = Field(description="The index generation being answered from.")
    latest_generation: str | None = Field(description="The newest committed generation on disk.")


@router.get("/healthz", response_model=Health, summary="The process is up")
async def healthz() -> Health:
    return Health(status="ok")


@router.get("/readyz", response_model=Readiness, summary="The index is open and matches the embedder")
async def readyz(request: Request) -> Readiness:
    state = request.app.state
    engine = state.runtime.current()  # 503 with the reason when there is no usable index
    stamp = embedder_stamp(state.settings)
    if engine.index.manifest.get("embedder") != stamp:
        raise EmbedderMismatch(f"the loaded index was built with {engine.index.manifest.get('embedder')!r}, "
                               f"the service embeds with {stamp!r}")
    latest = current_generation(state.settings.index_path)
    return Readiness(status="ready", documents=len(engine.index.documents), chunks=len(engine.index.chunks),
                     embedder=stamp, generation=engine.index.path.name, latest_generation=latest.name if latest else None)


@router.get("/metrics", response_class=Response, summary="Prometheus metrics",
            responses={200: {"content": {"text/plain": {"schema": {"type": "string"}}}}})
async def metrics(request: Request) -> Response:
    body, content_type = request.app.state.metrics.render()
    return Response(body, media_type=content_type)
