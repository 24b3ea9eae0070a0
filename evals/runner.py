"""Runs gold cases through the engine, in process, and scores them.

The engine is handed in (anything with ``ask(question, patient=..., k=...)`` and an ``index``
whose ``chunks`` map chunk ids to chunks), so tests run the harness on a fake engine. An engine
error on one case is recorded against that case and the run goes on.
"""

from __future__ import annotations

import re
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
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
    asked: str | None = None  # a follow-up: the question it resolved to


def resolve(case: GoldCase, slots) -> tuple[str, str | None]:
    """The question and patient facts the engine is asked: a follow-up case is read against its
    prior turns as /v1/chat reads a session's messages (the prior turns are not answered)."""
    if not case.turns:
        return case.question, case.patient
    from app.api.conversation import Conversation, follow

    conversation = Conversation()
    for turn in case.turns:
        conversation = follow(conversation, turn.message, turn.patient, slots)
    conversation = follow(conversation, case.question, case.patient, slots)
    return conversation.question or "", conversation.patient_text


def ask_one(engine, case: GoldCase, slots=None) -> CaseRun:
    started = time.perf_counter()
    asked = None
    try:
        question, patient = resolve(case, slots) if case.turns else (case.question, case.patient)
        asked = question if case.turns else None
        answer = engine.ask(question, patient=patient, **case.scope)
        error = None
    except Exception as exc:  # one broken case must not hide the others' scores
        answer, error = None, f"{type(exc).__name__}: {getattr(exc, 'message', None) or exc}"
    return CaseRun(case, answer, round((time.perf_counter() - started) * 1000, 1), error, asked)


def conversation_slots(engine, cases: list[GoldCase]):
    """What the chat service learns from the index about its terms, when some case is a follow-up."""
    if not any(case.turns for case in cases):
        return None
    from app.api.slots import NO_CORPUS, Slots

    index = getattr(engine, "index", None)
    return Slots.from_index(index) if getattr(index, "documents", None) else NO_CORPUS


def run_cases(cases: list[GoldCase], engine, *, workers: int = 1, progress: Progress | None = None) -> list[CaseRun]:
    """Every case through ``engine.ask``; results keep the cases' order."""
    progress = progress or (lambda done, total: None)
    total = len(cases)
    slots = conversation_slots(engine, cases)
    if workers <= 1:
        runs = []
        for case in cases:
            runs.append(ask_one(engine, case, slots))
            progress(len(runs), total)
        return runs
    with ThreadPoolExecutor(max_workers=workers) as pool:
        futures = [pool.submit(ask_one, engine, case, slots) for case in cases]
        for done, _ in enumerate(as_completed(futures), start=1):  # counted as they finish, not in order
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
    report = build_report(
        cases, runs, outcomes, summarize(outcomes, k),
        settings_hash=settings_hash or "", corpus_hash=corpus_hash(getattr(index, "manifest", None)),
    )
    add_follow_up_scores(report, runs)
    return report


def same_question(asked: str | None, expected: str | None) -> bool:
    """Equal to one of the expected question's '|' alternatives, ignoring case, spacing and end punctuation."""
    norm = lambda q: " ".join(re.sub(r"[?.!\s]+$", "", q or "").lower().split())
    return asked is not None and expected is not None and norm(asked) in {norm(e) for e in expected.split("|")}


def add_follow_up_scores(report: dict, runs: list[CaseRun]) -> None:
    """For cases with prior turns: each row's resolved question and whether it is the expected one;
    in the metrics, the follow-ups' count, verdict accuracy and resolved-question accuracy."""
    rows = {row["id"]: row for row in report["cases"]}
    follow_ups = [r for r in runs if r.case.turns]
    for run in follow_ups:
        row = rows[run.case.id]
        row["resolved_question"] = run.asked
        row["expected_question"] = run.case.expected_question
        if run.case.expected_question is not None:
            row["question_correct"] = same_question(run.asked, run.case.expected_question)
            if not row["question_correct"]:
                row["problems"] = row["problems"] + [f"resolved to {run.asked!r}"]
    if not follow_ups:
        return
    scored = [rows[r.case.id]["question_correct"] for r in follow_ups if r.case.expected_question is not None]
    report["metrics"]["follow_up_cases"] = len(follow_ups)
    report["metrics"]["follow_up_verdict_accuracy"] = round(
        sum(bool(rows[r.case.id]["correct"]) for r in follow_ups) / len(follow_ups), 4)
    report["metrics"]["resolved_question_accuracy"] = round(sum(scored) / len(scored), 4) if scored else None


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
