"""Runs gold cases through the engine, in process, and scores them.

The engine is handed in (anything with ``ask(question, patient=..., k=...)`` and an ``index``
whose ``chunks`` map chunk ids to chunks), so tests run the harness on a fake engine. An engine
error on one case is recorded against that case and the run goes on.
"""

from __future__ import annotations

import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator

from app.schemas import Answer
from evals.cases import GoldCase
from evals.metrics import score_case, summarize
from evals.report import build_report, corpus_hash

Progress = Callable[[int, int], None]  # (done, total)


@dataclass
class CaseRun:
    case: GoldCase
    answer: Answer | None
    latency_ms: float
    error: str | None = None


def ask_one(engine, case: GoldCase) -> CaseRun:
    started = time.perf_counter()
    try:
        answer = engine.ask(case.question, patient=case.patient)
        error = None
    except Exception as exc:  # one broken case must not hide the others' scores
        answer, error = None, f"{type(exc).__name__}: {getattr(exc, 'message', None) or exc}"
    return CaseRun(case, answer, round((time.perf_counter() - started) * 1000, 1), error)


def run_cases(cases: list[GoldCase], engine, *, workers: int = 1, progress: Progress | None = None) -> list[CaseRun]:
    """Every case through ``engine.ask``; results keep the cases' order."""
    progress = progress or (lambda done, total: None)
    total = len(cases)
    if workers <= 1:
        runs = []
        for case in cases:
            runs.append(ask_one(engine, case))
            progress(len(runs), total)
        return runs
    with ThreadPoolExecutor(max_workers=workers) as pool:
        futures = [pool.submit(ask_one, engine, case) for case in cases]
        for done, future in enumerate(futures, start=1):
            future.result()
            progress(done, total)
        return [f.result() for f in futures]


def run_eval(cases: list[GoldCase], engine, k: int = 5, *, workers: int = 1, progress: Progress | None = None,
             settings_hash: str | None = None) -> dict:
    """Run and score every case; returns the report (see :func:`evals.report.build_report`).
    ``k`` is the cutoff of the retrieval metrics, over distinct retrieved documents."""
    runs = run_cases(cases, engine, workers=workers, progress=progress)
    index = getattr(engine, "index", None)
    chunk_text = {cid: chunk.text for cid, chunk in (getattr(index, "chunks", None) or {}).items()}
    outcomes = [score_case(r.case, r.answer, chunk_text, r.latency_ms, r.error) for r in runs]
    if settings_hash is None and getattr(engine, "settings", None) is not None:
        from app.backends import settings_digest

        settings_hash = settings_digest(engine.settings)
    return build_report(
        cases, runs, outcomes, summarize(outcomes, k),
        settings_hash=settings_hash or "", corpus_hash=corpus_hash(getattr(index, "manifest", None)),
    )


@contextmanager
def temporary_index(corpus: Path, settings) -> Iterator[tuple[object, object]]:
    """Ingest ``corpus`` into a fresh index in a temporary directory (document ids relative to
    ``corpus``); yields (settings pointing at it, the sync report). The index is always a local
    one, whatever the configured store, so the default index is never touched; it is deleted on
    exit."""
    from ingest.sync import sync

    with tempfile.TemporaryDirectory(prefix="criterion-eval-") as tmp:
        eval_settings = settings.model_copy(update={"store": "chroma-local", "index_dir": Path(tmp) / "index"})
        report = sync([Path(corpus)], eval_settings, rebuild=True)
        yield eval_settings, report
