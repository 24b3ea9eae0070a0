"""One error shape for every 4xx and 5xx: ``{"error": {"code", "message"}}`` — our ``AppError``
family, request validation (422), Starlette's own 404/405, and anything unexpected (500)."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from app.api.logs import emit
from app.api.models import ErrorBody
from app.errors import AppError

CODES = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found", 405: "method_not_allowed",
         406: "not_acceptable", 409: "conflict", 413: "request_too_large", 415: "unsupported_media_type",
         422: "invalid_request", 429: "rate_limited", 500: "internal_error", 503: "unavailable"}

ERROR_RESPONSES = {
    status: {"model": ErrorBody, "description": description}
    for status, description in {
        400: "Bad request", 401: "Missing or unknown API key", 403: "The key's role may not do this",
        404: "Not found", 409: "Conflict", 413: "Body or upload too large", 415: "Unsupported file type",
        422: "Invalid request, or text over a limit (the code names it)",
        429: "Rate limit or failed-authentication limit reached (see Retry-After)",
        503: "No usable index, or the answer ran past api.request_timeout_s",
    }.items()
}


def error(status: int, code: str, message: str, headers: dict | None = None) -> JSONResponse:
    return JSONResponse({"error": {"code": code, "message": message}}, status_code=status, headers=headers)


def install(app: FastAPI) -> None:
    @app.exception_handler(AppError)
    def app_error(_: Request, exc: AppError) -> JSONResponse:
        return error(exc.status, exc.code, exc.message, getattr(exc, "headers", None))

    @app.exception_handler(RequestValidationError)
    def invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        problems = []
        for e in exc.errors():
            where = ".".join(str(p) for p in e["loc"][1:]) or str(e["loc"][0])
            problems.append(f"{where}: {e['msg']}")
        return error(422, "invalid_request", "; ".join(problems) or "invalid request")

    @app.exception_handler(HTTPException)
    def http_error(_: Request, exc: HTTPException) -> JSONResponse:
        return error(exc.status_code, CODES.get(exc.status_code, "http_error"), str(exc.detail), exc.headers)

    @app.exception_handler(Exception)
    def unexpected(request: Request, exc: Exception) -> JSONResponse:
        # this runs in a worker thread where sys.exc_info() is empty: log the exception itself
        route = getattr(request.scope.get("route"), "path", None)
        emit("unhandled_error", logging.ERROR, exc_info=exc, method=request.method, route=route)
        return error(500, "internal_error", "an unexpected error occurred; it has been logged")
