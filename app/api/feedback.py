"""``POST /v1/feedback``: a thumbs up or down on an answer, with a comment and, optionally, the
verdict it should have had. Stored append-only in ``<data_dir>/feedback.jsonl`` (one JSON object a
line, each written whole with one ``O_APPEND`` write under an exclusive ``flock``, so concurrent
requests and processes never interleave), for ``criterion feedback export`` to turn into draft
eval cases. The file holds the question and patient text it was sent (the logs never do); it is
created readable by its owner only."""

from __future__ import annotations

import fcntl
import json
import os
import time
import uuid
from pathlib import Path
from typing import Annotated, Iterator, Literal

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, ConfigDict, Field

from app.api.access import Principal, caller
from app.api.logs import emit
from app.api.models import SOMETHING
from app.errors import AppError
from app.schemas import Verdict

router = APIRouter(tags=["feedback"])

FEEDBACK_FILE = "feedback.jsonl"
MAX_COMMENT_CHARS = 4000
MAX_STORE_BYTES = 200 * 1024 * 1024  # a full store refuses more rather than fill the disk
DocumentId = Annotated[str, Field(min_length=1, max_length=300)]


class FeedbackStoreFull(AppError):
    status, code = 507, "feedback_store_full"


class FeedbackRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    question: str = Field(min_length=1, pattern=SOMETHING, description="The question the answer was given to "
                          "(at most api.max_question_chars).")
    patient: str | None = Field(None, description="The patient context it was given with (at most api.max_patient_chars).")
    answer_verdict: Verdict = Field(description="The verdict the answer gave.")
    rating: Literal["up", "down"]
    comment: str = Field("", max_length=MAX_COMMENT_CHARS, description="What was right or wrong with the answer.")
    expected_verdict: Verdict | None = Field(None, description="The verdict the answer should have given (makes a "
                                             "thumbs-down a runnable draft eval case).")
    cited_documents: list[DocumentId] = Field(default_factory=list, max_length=50, description="Document ids the "
                                              "answer cited (the answer's citations[].document_id).")


class FeedbackReceipt(BaseModel):
    id: str
    stored_at: str


class FeedbackLog:
    """Append-only JSON lines; :meth:`entries` reads them back, skipping any line it cannot parse."""

    def __init__(self, path: Path, max_bytes: int = MAX_STORE_BYTES):
        self.path = path
        self.max_bytes = max_bytes

    def append(self, entry: dict) -> None:
        line = (json.dumps(entry, ensure_ascii=False, sort_keys=True) + "\n").encode("utf-8")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)  # other threads and processes (a second worker, the exporter) wait
            size = os.fstat(fd).st_size
            if size and os.pread(fd, 1, size - 1) != b"\n":
                line = b"\n" + line  # a write cut short (a full disk, a kill) spoils its own line, never this one
            if size + len(line) > self.max_bytes:
                raise FeedbackStoreFull(f"the feedback store {self.path.name} is full ({self.max_bytes:,} bytes); "
                                        "a maintainer should export and archive it")
            view = memoryview(line)
            while view:  # one write in practice; a short write is finished, never interleaved (the lock)
                view = view[os.write(fd, view):]
        finally:
            os.close(fd)  # releases the lock

    def entries(self) -> Iterator[dict]:
        if not self.path.exists():
            return
        with open(self.path, "rb") as fh:
            fcntl.flock(fh.fileno(), fcntl.LOCK_SH)
            for raw in fh:
                try:
                    entry = json.loads(raw)
                except ValueError:
                    continue
                if isinstance(entry, dict):
                    yield entry


def feedback_log(data_dir: Path) -> FeedbackLog:
    return FeedbackLog(data_dir / FEEDBACK_FILE)


@router.post("/v1/feedback", status_code=201, response_model=FeedbackReceipt,
             summary="Rate an answer (thumbs up or down, with a comment); kept for draft eval cases")
def feedback(body: FeedbackRequest, request: Request, who: Principal = Depends(caller)) -> FeedbackReceipt:
    state = request.app.state
    state.bounds.ask(body.question, body.patient)
    stored_at = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    entry = {"id": uuid.uuid4().hex, "at": stored_at, "who": who.name, "role": who.role, **body.model_dump()}
    feedback_log(state.settings.data_dir).append(entry)
    state.recorder.audit.write({"at": stored_at, "who": who.name, "role": who.role, "action": "feedback",
                                "feedback_id": entry["id"], "rating": body.rating})
    emit("feedback", who=who.name, rating=body.rating, answer_verdict=body.answer_verdict,
         expected_verdict=body.expected_verdict, comment_chars=len(body.comment))
    return FeedbackReceipt(id=entry["id"], stored_at=stored_at)
