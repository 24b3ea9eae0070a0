"""The eval report: one dict (saved as ``report.json``) rendered as ``report.md`` and
``report.html``. Everything a reader needs is in the dict, so an old ``report.json`` can be
re-rendered, compared against (``--baseline``) or exported (``--export-qrels``)."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timezone
from pathlib import Path

from evals.metrics import HEADLINE
from evals.report_format import (
    CONFIDENCE_FIGURES,
    CONFIDENCE_INTRO,
    PER_TAG_COLUMNS,
    confidence_note,
    coverage_rows,
    failing,
    fmt,
    metric_label,
)
from evals.report_html import render_html


def corpus_hash(manifest: dict | None) -> str:
    """sha256 over the index manifest's document ids and file hashes ('' without a manifest)."""
    if not manifest:
        return ""
    docs = manifest.get("documents", {})
    lines = "".join(f"{doc_id}\t{docs[doc_id].get('sha256', '')}\n" for doc_id in sorted(docs))
    return hashlib.sha256(lines.encode()).hexdigest()


def case_problems(outcome, k: int) -> list[str]:
    """Why a case fails, in words; empty when it passes."""
    problems = []
    if outcome.error:
        problems.append(f"engine error: {outcome.error}")
    elif not outcome.correct:
        problems.append(f"verdict {outcome.verdict!r}, expected {outcome.expected_verdict!r}")
    rank = outcome.first_relevant_rank()
    if outcome.answerable and not outcome.error and (rank is None or rank > k):
        where = f"first at rank {rank}" if rank else "not retrieved"
        problems.append(f"no expected source in the top {k} retrieved documents ({where})")
    problems += [f"invalid citation {reason}" for reason in outcome.invalid_citations]
    problems += [f"does not mention {m!r}" for m in outcome.must_mention_missing if not outcome.error]
    problems += [f"mentions forbidden {m!r}" for m in outcome.must_not_mention_found]
    return problems


def build_report(cases, runs, outcomes, metrics: dict, *, settings_hash: str, corpus_hash: str) -> dict:
    k = metrics["k"]
    records = []
    for case, run, o in zip(cases, runs, outcomes):
        answer = run.answer
        records.append({
            "id": case.id, "question": case.question, "patient": case.patient, "tags": list(case.tags),
            "expected_verdict": o.expected_verdict, "verdict": o.verdict, "correct": o.correct,
            "expected_sources": o.expected_sources, "retrieved_document_ids": o.retrieved_document_ids,
            "cited_document_ids": o.cited_document_ids, "first_relevant_rank": o.first_relevant_rank(),
            "must_mention_missing": o.must_mention_missing, "must_not_mention_found": o.must_not_mention_found,
            "invalid_citations": o.invalid_citations, "latency_ms": o.latency_ms, "error": o.error,
            "confidence": o.confidence, "needs_review": o.needs_review,
            "summary": answer.summary if answer else "", "reason": answer.reason if answer else None,
            "problems": case_problems(o, k),
        })
    return {
        "metrics": metrics,
        "cases": records,
        "settings_hash": settings_hash,
        "corpus_hash": corpus_hash,
        "created_at": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }


def _cell(text) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def _table(header: list[str], rows: list[list]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    return lines + ["| " + " | ".join(_cell(c) for c in row) + " |" for row in rows]


def confidence_section(m: dict) -> list[str]:
    """The "Confidence" section's lines; none when the run had no confidences."""
    rows = coverage_rows(m)
    if not rows:
        return []
    out = ["", "## Confidence", "", CONFIDENCE_INTRO, ""]
    out += _table(["measure", "value", "meaning"], [[n, fmt(m.get(n), n), d] for n, d in CONFIDENCE_FIGURES.items()])
    out += ["", "Accuracy at coverage:", ""]
    return out + _table(["coverage", "cases", "accuracy", "risk"], [[q, n, fmt(a), fmt(r)] for q, n, a, r in rows])


def render_markdown(report: dict) -> str:
    m = report["metrics"]
    k = m["k"]
    out = ["# Criterion eval report", "",
           f"{m['n_cases']} cases ({m['n_answerable']} answerable), k = {k} · created {report['created_at']} · "
           f"settings `{report['settings_hash'] or 'n/a'}` · corpus `{(report['corpus_hash'] or 'n/a')[:12]}`", ""]
    gate = report.get("gate")
    if gate is not None:
        out.append("**Gate: PASSED**" if gate["passed"] else "**Gate: FAILED**")
        out += [f"- {f}" for f in gate["failures"]] + [""]
    out += ["## Headline metrics", ""]
    out += _table(["metric", "value", "meaning"], [[metric_label(n, k), fmt(m.get(n), n), d] for n, d in HEADLINE.items()])
    out += ["", "## Per tag", ""]
    out += _table(["tag", *(metric_label(c, k) if c != "n_cases" else "cases" for c in PER_TAG_COLUMNS)],
                  [[tag, *(fmt(row.get(c)) for c in PER_TAG_COLUMNS)] for tag, row in m["per_tag"].items()])
    out += ["", "## Confusion matrix", "", "Rows: expected verdict; columns: verdict given.", ""]
    cols = list(next(iter(m["confusion_matrix"].values()), {}))  # every row has every label
    out += _table(["expected \\ given", *cols], [[e, *(row.get(g, 0) for g in cols)] for e, row in m["confusion_matrix"].items()])
    out += confidence_section(m)
    bad = failing(report)
    out += ["", f"## Failing cases ({len(bad)} of {m['n_cases']})", ""]
    for c in bad:
        out += [f"### {c['id']}", "", f"- **Question:** {c['question']}"]
        if c.get("patient"):
            out.append(f"- **Patient:** {c['patient']}")
        out += [f"- **Expected:** {c['expected_verdict']} · **Got:** {c['verdict']}{confidence_note(c)}",
                f"- **Expected sources:** {', '.join(c['expected_sources']) or '(none)'}",
                f"- **Retrieved:** {', '.join(c['retrieved_document_ids']) or '(none)'}",
                f"- **Cited:** {', '.join(c['cited_document_ids']) or '(none)'}"]
        if c.get("summary"):
            out.append(f"- **Answer:** {c['summary'].strip()}")
        out += ["- **Problems:**", *(f"  - {p}" for p in c["problems"]), ""]
    if not bad:
        out.append("Every case passed.")
    return "\n".join(out) + "\n"


def write_reports(report: dict, out_dir: Path) -> dict[str, Path]:
    """Writes report.json, report.md and report.html into ``out_dir``; returns their paths."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = {"json": out_dir / "report.json", "md": out_dir / "report.md", "html": out_dir / "report.html"}
    paths["json"].write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    paths["md"].write_text(render_markdown(report), encoding="utf-8")
    paths["html"].write_text(render_html(report), encoding="utf-8")
    return paths


def load_report(path: Path) -> dict:
    return json.loads(Path(path).read_text(encoding="utf-8"))
