"""Routes for documents: list and show what the index holds; maintainers upload (PDF, Markdown,
HTML, text) and delete uploaded documents. This is the one place in ``app/`` that calls
``ingest/``, as any client would: an upload is checked, parsed, placed in the uploads folder and
synced incrementally; then the service swaps in an engine over the new index generation."""

from __future__ import annotations

import re
from pathlib import Path

from fastapi import APIRouter, Depends, File, Path as PathParam, Query, Request, UploadFile
from pydantic import Field

from app.api.access import Principal, caller, maintainer
from app.api.models import (DeleteResult, DocumentCriteria, DocumentDetail, DocumentList, DocumentSummary, Section,
                            UploadResult)
from app.api.sections import SectionNameRequired, SectionText, section_text
from app.api.uploads import check_bytes, safe_name
from app.errors import AppError, DocumentError, NotFound
from ingest.loaders import load_document
from ingest.sync import SyncReport, sync

router = APIRouter(tags=["documents"])


class Conflict(AppError):
    status, code = 409, "conflict"


class DocumentRecord(DocumentDetail):
    """One document as ``GET /v1/documents/{id}`` shows it: its sections, and each metadata field
    with where its value came from."""

    issue_date: str = ""
    revision: str = ""
    revision_date: str = ""
    policy_number: str = ""
    metadata_sources: dict[str, str] = Field(
        default_factory=dict, description="Field → front-matter, html-meta, manifest, pdf-metadata, html-title, "
        "first-heading, first-page, first-line, filename, inferred, default, or none (not found).")
    metadata_warnings: list[str] = Field(default_factory=list, description="What ingest could not use, and why.")


@router.get("/v1/documents", response_model=DocumentList, summary="The documents the index holds")
def list_documents(request: Request, who: Principal = Depends(caller),
                   issuer: str | None = Query(None, max_length=300, description=(
                       "Only this issuer's documents (case-insensitive; a document issued jointly matches each "
                       "of its issuers, as in 'American College of Physicians; American College of Radiology')."))
                   ) -> DocumentList:
    state = request.app.state
    documents = state.runtime.current().index.documents
    items = [_summary(doc_id, entry, state.uploads.root) for doc_id, entry in sorted(documents.items())
             if issuer is None or issued_by(entry.get("issuer", ""), issuer)]
    return DocumentList(count=len(items), documents=items)


@router.get("/v1/documents/{document_id:path}/criteria", response_model=DocumentCriteria | DocumentRecord,
            summary="What ingest compiled from one document: criteria trees, exclusions, limits, recommendations")
def get_document_criteria(request: Request, document_id: str = PathParam(min_length=1, max_length=1000),
                          who: Principal = Depends(caller)):
    """Each record with its quote and chunk id. (A document whose own id ends in '/criteria' is shown
    as ``GET /v1/documents/{id}`` shows it.)"""
    index = request.app.state.runtime.current().index
    entry = index.documents.get(document_id)
    if entry is None and f"{document_id}/criteria" in index.documents:
        return _detail(request, f"{document_id}/criteria")
    if entry is None:
        raise NotFound(f"no document {document_id!r}; GET /v1/documents lists them", code="document_not_found")
    compiled = index.compiled.get(document_id)
    title = entry.get("title", document_id)
    if compiled is None:
        return DocumentCriteria(document_id=document_id, compiler="", title=title, compiled=False)
    return DocumentCriteria.model_validate({**compiled.model_dump(), "title": title})


@router.get("/v1/documents/{document_id:path}/section", response_model=SectionText | DocumentRecord,
            summary="One section's text (its chunks in order, overlaps removed) with the document's provenance")
def get_section(request: Request, document_id: str = PathParam(min_length=1, max_length=1000),
                name: str = Query(None, max_length=2000, description=(  # a plain string in the schema: a query has no null
                    "The section's heading path, ' > ' separated, as a citation's `section` names it "
                    "(empty: the text before a document's first heading).")),
                who: Principal = Depends(caller)):
    """What the page's source viewer shows for a citation. (A document whose own id ends in
    '/section' is shown, without ``name``, as ``GET /v1/documents/{id}`` shows it.)"""
    index = request.app.state.runtime.current().index
    if name is None and f"{document_id}/section" in index.documents:
        return _detail(request, f"{document_id}/section")
    if document_id not in index.documents:
        raise NotFound(f"no document {_shown(document_id)}; GET /v1/documents lists them", code="document_not_found")
    if name is None:
        raise SectionNameRequired("name: the section's heading path is required (a citation's `section`)")
    return section_text(index, document_id, name, _summary(document_id, index.documents[document_id],
                                                           request.app.state.uploads.root))


@router.get("/v1/documents/{document_id:path}", response_model=DocumentRecord, summary="One document and its sections")
def get_document(document_id: str, request: Request, who: Principal = Depends(caller)) -> DocumentRecord:
    return _detail(request, document_id)


_JOINT = re.compile(r"\s*;\s*|\s+/\s+")  # "A; B" and "A / B" name two issuers


def issued_by(recorded: str, wanted: str) -> bool:
    """Whether ``wanted`` names the issuer recorded, or one of the issuers of a joint document."""
    wanted = " ".join(wanted.split()).casefold()
    names = [recorded, *_JOINT.split(recorded)]
    return bool(wanted) and any(" ".join(name.split()).casefold() == wanted for name in names)


@router.post("/v1/documents", status_code=201, response_model=UploadResult,
             summary="Upload a document (maintainer): checked, then ingested incrementally")
def upload_document(request: Request, file: UploadFile = File(..., description="PDF, Markdown, HTML or text"),
                    who: Principal = Depends(maintainer)) -> UploadResult:
    state = request.app.state
    settings = state.settings
    max_bytes = int(min(settings.api.max_upload_mb, settings.ingest.max_file_mb) * 1_000_000)
    data = file.file.read(max_bytes + 1)
    name = safe_name(file.filename)
    try:
        check_bytes(name, data, max_bytes)
        load_document(Path(name), max_bytes=max_bytes, data=data)  # corrupt, encrypted, image-only → refused here
    except DocumentError as exc:
        state.recorder.rejected(who, exc.code, len(data))
        raise
    document_id = state.uploads.document_id(name)
    with state.runtime.writing:
        with state.uploads.placed(name, data) as path:
            report = _sync(request)
            refused = report.failed + report.skipped
            failure = next((reason for failed, reason in refused if Path(failed).name == path.name), None)
            if failure:
                raise Conflict(failure) if "already" in failure else DocumentError(f"{path.name}: {failure}")
        state.runtime.reload()
    state.recorder.documents_changed(who, "upload", document_id, _outcome(report))
    outcome = "added" if document_id in report.added else "updated" if document_id in report.updated else "unchanged"
    return UploadResult(outcome=outcome, document=_detail(request, document_id))


@router.delete("/v1/documents/{document_id:path}", response_model=DeleteResult,
               summary="Delete an uploaded document (maintainer)")
def delete_document(document_id: str, request: Request, who: Principal = Depends(maintainer)) -> DeleteResult:
    state = request.app.state
    with state.runtime.writing:
        engine = state.runtime.engine
        entry = engine.index.documents.get(document_id) if engine else None
        if state.uploads.find(document_id) is None:
            if entry is None:
                raise NotFound(f"no document {document_id!r}")
            raise Conflict(f"{document_id!r} was ingested from {entry.get('root')}, not uploaded: remove the file "
                           "there and run `criterion ingest` on that folder", code="not_uploaded")
        state.uploads.remove(document_id)
        report = _sync(request)
        state.runtime.reload()
    state.recorder.documents_changed(who, "delete", document_id, _outcome(report))
    return DeleteResult(document_id=document_id, removed=document_id in report.removed or entry is None)


def _sync(request: Request) -> SyncReport:
    state = request.app.state
    return sync([state.uploads.path], state.settings, embeddings=state.runtime.embeddings)


def _shown(document_id: str) -> str:
    return repr(document_id if len(document_id) <= 200 else document_id[:200] + "…")


def _outcome(report: SyncReport) -> dict[str, list]:
    return {"added": report.added, "updated": report.updated, "removed": report.removed,
            "failed": [Path(p).name for p, _ in report.failed]}


def _summary(doc_id: str, entry: dict, uploads_root: str) -> DocumentSummary:
    return DocumentSummary(id=doc_id, title=entry.get("title", doc_id), issuer=entry.get("issuer", ""),
                           doc_type=entry.get("doc_type", ""), effective_date=entry.get("effective_date", ""),
                           status=entry.get("status", ""), chunks=len(entry.get("chunk_ids", [])),
                           uploaded=entry.get("root") == uploads_root)


def _detail(request: Request, document_id: str) -> DocumentRecord:
    state = request.app.state
    index = state.runtime.current().index
    entry = index.documents.get(document_id)
    if entry is None:
        raise NotFound(f"no document {document_id!r}; GET /v1/documents lists them", code="document_not_found")
    sections: dict[str, Section] = {}
    for chunk_id in index.document_chunks.get(document_id, []):
        chunk = index.chunks[chunk_id]
        section = sections.setdefault(chunk.section, Section(name=chunk.section, chunks=0))
        section.chunks += 1
        if chunk.page_start is not None:
            pages = range(chunk.page_start, (chunk.page_end or chunk.page_start) + 1)
            section.pages = sorted(set(section.pages) | set(pages))
    summary = _summary(document_id, entry, state.uploads.root)
    return DocumentRecord(**summary.model_dump(), source=entry.get("source", ""),
                          last_reviewed=entry.get("last_reviewed", ""), pages=entry.get("pages", 0),
                          sha256=entry.get("sha256", ""), sections=list(sections.values()),
                          issue_date=entry.get("issue_date", ""), revision=entry.get("revision", ""),
                          revision_date=entry.get("revision_date", ""),
                          policy_number=entry.get("policy_number", ""),
                          metadata_sources=entry.get("metadata_sources", {}),
                          metadata_warnings=entry.get("metadata_warnings", []))
