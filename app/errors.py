"""One error family. Everything the service can refuse is an ``AppError`` with a status, a
stable code and a readable message; the service renders it as ``{"error": {"code", "message"}}``.
"""

from __future__ import annotations


class AppError(Exception):
    status: int = 500
    code: str = "internal_error"

    def __init__(self, message: str, *, status: int | None = None, code: str | None = None):
        super().__init__(message)
        self.message = message
        if status is not None:
            self.status = status
        if code is not None:
            self.code = code

    def body(self) -> dict:
        return {"error": {"code": self.code, "message": self.message}}


class ConfigurationError(AppError, ValueError):
    """A setting names something that does not exist (an unknown backend, a missing ONNX export)."""

    status, code = 500, "configuration_error"


class BadRequest(AppError):
    status, code = 400, "bad_request"


class NotFound(AppError):
    status, code = 404, "not_found"


class IndexUnavailable(AppError):
    """The index is missing, locked by another writer, or was built by another embedder."""

    status, code = 503, "index_unavailable"


class IndexLocked(IndexUnavailable):
    code = "index_locked"


class EmbedderMismatch(IndexUnavailable):
    code = "embedder_mismatch"


# --- bad documents: ingest reports them by name, goes on with the rest, exits non-zero ---


class DocumentError(AppError):
    status, code = 422, "unreadable_document"


class UnreadableDocument(DocumentError):
    pass


class EncryptedPDF(DocumentError):
    code = "encrypted_pdf"


class EmptyDocument(DocumentError):
    code = "empty_document"


class FileTooLarge(DocumentError):
    status, code = 413, "file_too_large"


class UnsupportedFileType(DocumentError):
    status, code = 415, "unsupported_file_type"
