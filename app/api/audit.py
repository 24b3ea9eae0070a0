"""What happened, recorded three ways: the append-only audit trail (``<data_dir>/audit.jsonl``:
who, when, the action, the verdict and the cited document ids), the JSON log (fingerprints and
lengths of the text, never the text) and the Prometheus counters."""

from __future__ import annotations

import json
import os
import threading
import time
from pathlib import Path

from app.api.access import Principal
from app.api.logs import Fingerprints, emit
from app.api.metrics import Metrics
from app.schemas import Answer


class AuditLog:
    """One JSON object per line, opened for append only (``O_APPEND``), never rewritten."""

    def __init__(self, path: Path):
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()

    def write(self, entry: dict) -> None:
        line = (json.dumps(entry, sort_keys=True, default=str) + "\n").encode("utf-8")
        with self._lock:
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            try:
                os.write(fd, line)
            finally:
                os.close(fd)


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


class Recorder:
    def __init__(self, metrics: Metrics, audit: AuditLog, fingerprints: Fingerprints):
        self.metrics = metrics
        self.audit = audit
        self.fingerprints = fingerprints

    def answered(self, who: Principal, action: str, question: str, patient: str | None, answer: Answer,
                 **context) -> None:
        documents = sorted({c.document_id for c in answer.citations})
        question_print, patient_print = self.fingerprints.of(question), self.fingerprints.of(patient)
        self.metrics.answers.labels(answer.verdict).inc()
        emit("answer", who=who.name, action=action, verdict=answer.verdict, citations=len(answer.citations),
             question=question_print, patient=patient_print, ms=answer.timings_ms.get("total"), **context)
        self.audit.write({"at": _now(), "who": who.name, "role": who.role, "action": action,
                          "verdict": answer.verdict, "documents": documents, "question": question_print,
                          "patient": patient_print, **context})

    def documents_changed(self, who: Principal, action: str, document_id: str, outcome: dict[str, list]) -> None:
        for name, ids in outcome.items():
            if ids:
                self.metrics.ingested.labels(name).inc(len(ids))
        summary = {name: ids for name, ids in outcome.items() if ids}
        emit(action, who=who.name, document_id=document_id, **summary)
        self.audit.write({"at": _now(), "who": who.name, "role": who.role, "action": action,
                          "document_id": document_id, **summary})

    def rejected(self, who: Principal, code: str, size: int) -> None:
        self.metrics.rejected.labels(code).inc()
        emit("upload_rejected", who=who.name, reason=code, bytes=size)
        self.audit.write({"at": _now(), "who": who.name, "role": who.role, "action": "upload_rejected",
                          "reason": code, "bytes": size})
