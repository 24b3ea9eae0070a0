"""``report.html``: the eval report for someone who will not open JSON. One self-contained file
(inline CSS and SVG, no scripts, no external assets)."""

from __future__ import annotations

import math
from html import escape

from evals.metrics import HEADLINE, HIGHER_IS_BETTER
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

CSS = """
body{font:15px/1.5 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;color:#1f2933;max-width:1100px;margin:2rem auto;padding:0 1rem}
h1{margin-bottom:.2rem}h2{margin-top:2.2rem;border-bottom:1px solid #d9e2ec;padding-bottom:.2rem}
.meta{color:#52606d}.gate{padding:.8rem 1rem;border-radius:6px;font-weight:600;margin:1rem 0}
.pass{background:#e3f9e5;color:#05400a}.fail{background:#ffe3e3;color:#610404}
table{border-collapse:collapse;margin:.6rem 0;font-size:14px}th,td{border:1px solid #d9e2ec;padding:.3rem .6rem;text-align:left;vertical-align:top}
th{background:#f0f4f8}td.num{text-align:right;font-variant-numeric:tabular-nums}
.good{background:#e3f9e5}.bad{background:#ffe3e3}.diag{font-weight:700}
details{border:1px solid #d9e2ec;border-radius:6px;padding:.4rem .8rem;margin:.5rem 0}summary{cursor:pointer;font-weight:600}
.problems{color:#8a1c1c}
"""
CHART_MIN_CASES, CHART_MAX_TAGS = 3, 40
BAR_COLOURS = {"verdict_accuracy": "#2f6fde", "source_recall_at_k": "#f0a202"}


def _rate_class(name: str, value) -> str:
    if name not in HIGHER_IS_BETTER or not isinstance(value, float):
        return "num"
    return "num good" if value >= 0.8 else "num bad" if value < 0.5 else "num"


def _table(header: list[str], rows: list[list[tuple[str, str]]]) -> str:
    """rows of (text, css class) cells."""
    head = "".join(f"<th>{escape(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f'<td class="{cls}">{escape(text)}</td>' for text, cls in row) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def charted_tags(per_tag: dict[str, dict]) -> dict[str, dict]:
    """The tags worth a bar: at least CHART_MIN_CASES cases, the largest first (all, when none is)."""
    big = [t for t, m in per_tag.items() if m["n_cases"] >= CHART_MIN_CASES] or list(per_tag)
    big.sort(key=lambda t: (-per_tag[t]["n_cases"], t))
    return {t: per_tag[t] for t in big[:CHART_MAX_TAGS]}


def bar_chart(per_tag: dict[str, dict], k: int) -> str:
    """Horizontal grouped bars: verdict accuracy and recall@k per tag (0 to 1)."""
    label_w, bar_w, bar_h, gap, top = 230, 460, 12, 12, 36
    row_h = 2 * bar_h + gap
    height = top + row_h * max(len(per_tag), 1) + 24
    width = label_w + bar_w + 70
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" role="img" '
             f'aria-label="Verdict accuracy and recall@{k} per tag" font-family="system-ui,sans-serif" font-size="12">']
    x = label_w
    for i, (name, colour) in enumerate(BAR_COLOURS.items()):
        lx = label_w + i * 200
        parts.append(f'<rect x="{lx}" y="6" width="12" height="12" fill="{colour}"/>'
                     f'<text x="{lx + 18}" y="16">{escape(metric_label(name, k).replace("_", " "))}</text>')
    for tick in (0, 0.25, 0.5, 0.75, 1.0):
        tx = x + tick * bar_w
        parts.append(f'<line x1="{tx}" y1="{top - 6}" x2="{tx}" y2="{height - 20}" stroke="#d9e2ec"/>'
                     f'<text x="{tx}" y="{height - 6}" text-anchor="middle" fill="#52606d">{tick:g}</text>')
    for row, (tag, metrics) in enumerate(per_tag.items()):
        y = top + row * row_h
        parts.append(f'<text x="{label_w - 8}" y="{y + bar_h + 4}" text-anchor="end">'
                     f'{escape(tag)} ({metrics["n_cases"]})</text>')
        for j, (name, colour) in enumerate(BAR_COLOURS.items()):
            value, by = metrics.get(name), y + j * bar_h
            if value is None:
                parts.append(f'<text x="{x + 4}" y="{by + bar_h - 2}" fill="#7b8794">n/a</text>')
                continue
            w = max(value * bar_w, 1)
            parts.append(f'<rect x="{x}" y="{by}" width="{w:.1f}" height="{bar_h - 1}" fill="{colour}">'
                         f'<title>{escape(tag)}: {name} {value:.3f}</title></rect>'
                         f'<text x="{x + w + 4:.1f}" y="{by + bar_h - 2}" fill="#323f4b">{value:.2f}</text>')
    parts.append("</svg>")
    return "".join(parts)


def risk_coverage_chart(points: list[dict]) -> str:
    """The risk–coverage curve as a line with a dot per cut: coverage (0 to 1) across, risk up
    (0 to the largest risk, rounded up to a tenth); lower and further right is better."""
    left, top, plot_w, plot_h, bottom = 64, 14, 440, 220, 46
    y_max = max(math.ceil(max(p["risk"] for p in points) * 10 - 1e-9) / 10, 0.1)
    x = lambda c: left + c * plot_w
    y = lambda r: top + plot_h - r / y_max * plot_h
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{left + plot_w + 24}" height="{top + plot_h + bottom}" '
             'role="img" aria-label="Risk against coverage" font-family="system-ui,sans-serif" font-size="12">']
    for tick in (0, 0.25, 0.5, 0.75, 1.0):
        parts.append(f'<line x1="{x(tick):.1f}" y1="{top}" x2="{x(tick):.1f}" y2="{top + plot_h}" stroke="#d9e2ec"/>'
                     f'<text x="{x(tick):.1f}" y="{top + plot_h + 16}" text-anchor="middle" fill="#52606d">{tick:g}</text>')
    for i in range(5):
        r = y_max * i / 4
        parts.append(f'<line x1="{left}" y1="{y(r):.1f}" x2="{left + plot_w}" y2="{y(r):.1f}" stroke="#d9e2ec"/>'
                     f'<text x="{left - 6}" y="{y(r) + 4:.1f}" text-anchor="end" fill="#52606d">{round(r, 3):g}</text>')
    parts.append(f'<line x1="{left}" y1="{top + plot_h}" x2="{left + plot_w}" y2="{top + plot_h}" stroke="#52606d"/>'
                 f'<line x1="{left}" y1="{top}" x2="{left}" y2="{top + plot_h}" stroke="#52606d"/>'
                 f'<text x="{left + plot_w / 2}" y="{top + plot_h + 38}" text-anchor="middle">'
                 "coverage (share of questions answered, most confident first)</text>"
                 f'<text transform="translate(16 {top + plot_h / 2}) rotate(-90)" text-anchor="middle">'
                 "risk (share answered wrong)</text>")
    line = " ".join(f"{x(p['coverage']):.1f},{y(p['risk']):.1f}" for p in points)
    parts.append(f'<polyline points="{line}" fill="none" stroke="#2f6fde" stroke-width="2"/>')
    for p in points:
        cut = "no confidence" if p["confidence"] is None else f"confidence ≥ {p['confidence']:g}"
        parts.append(f'<circle cx="{x(p["coverage"]):.1f}" cy="{y(p["risk"]):.1f}" r="3" fill="#2f6fde">'
                     f'<title>{escape(cut)}: coverage {p["coverage"]:.3f}, risk {p["risk"]:.3f}</title></circle>')
    parts.append("</svg>")
    return "".join(parts)


def confidence_section(m: dict) -> list[str]:
    """The "Confidence" section: the review figures, accuracy at coverage, the risk–coverage plot;
    nothing when the run had no confidences."""
    rows = coverage_rows(m)
    if not rows:
        return []
    out = [f"<h2>Confidence</h2><p>{escape(CONFIDENCE_INTRO)}</p>",
           _table(["measure", "value", "what it means"],
                  [[(n, ""), (fmt(m.get(n), n), _rate_class(n, m.get(n))), (d, "")] for n, d in CONFIDENCE_FIGURES.items()]),
           _table(["coverage", "cases", "accuracy", "risk"],
                  [[(q, ""), (str(n), "num"), (fmt(a), _rate_class("verdict_accuracy", a)), (fmt(r), "num")]
                   for q, n, a, r in rows])]
    if m.get("risk_coverage"):
        out.append("<p>Risk against coverage: each dot keeps only the questions at least as confident as its own "
                   "(hover for the confidence); lower is better.</p>" + risk_coverage_chart(m["risk_coverage"]))
    return out


def render_html(report: dict) -> str:
    m = report["metrics"]
    k = m["k"]
    out = ['<!doctype html><html lang="en"><head><meta charset="utf-8">',
           '<meta name="viewport" content="width=device-width,initial-scale=1">',
           f"<title>Criterion eval report</title><style>{CSS}</style></head><body>",
           "<h1>Criterion eval report</h1>",
           f'<p class="meta">{m["n_cases"]} questions with known answers ({m["n_answerable"]} that the documents '
           f"answer), checked against the top {k} retrieved documents. Created {escape(report['created_at'])}; "
           f"settings {escape(report['settings_hash'] or 'n/a')}, corpus {escape((report['corpus_hash'] or 'n/a')[:12])}.</p>"]
    gate = report.get("gate")
    if gate is not None:
        cls, text = ("pass", "Quality gate passed.") if gate["passed"] else ("fail", "Quality gate failed:")
        items = "".join(f"<li>{escape(f)}</li>" for f in gate["failures"])
        out.append(f'<div class="gate {cls}">{text}{f"<ul>{items}</ul>" if items else ""}</div>')
    out.append("<h2>Headline</h2>")
    out.append(_table(["measure", "value", "what it means"],
                      [[(metric_label(n, k), ""), (fmt(m.get(n), n), _rate_class(n, m.get(n))), (d, "")]
                       for n, d in HEADLINE.items()]))
    shown = charted_tags(m["per_tag"])
    note = "" if len(shown) == len(m["per_tag"]) else (
        f" The chart shows the {len(shown)} largest tags (at least {CHART_MIN_CASES} questions); the table lists all.")
    out.append("<h2>By topic</h2><p>Each bar is a share from 0 (none) to 1 (all); the number after a tag is "
               f"its number of questions.{note}</p>")
    out.append(bar_chart(shown, k))
    out.append(_table(["tag", *(metric_label(c, k) if c != "n_cases" else "cases" for c in PER_TAG_COLUMNS)],
                      [[(tag, ""), *((fmt(row.get(c)), _rate_class(c, row.get(c))) for c in PER_TAG_COLUMNS)]
                       for tag, row in m["per_tag"].items()]))
    out.append("<h2>Expected vs. given verdicts</h2><p>Rows are the expected verdict, columns the verdict "
               "Criterion gave; the diagonal (bold) is correct.</p>")
    cols = list(next(iter(m["confusion_matrix"].values()), {}))
    out.append(_table(["expected \\ given", *cols],
                      [[(e, ""), *((str(row.get(g, 0)), "num diag" if g == e else "num") for g in cols)]
                       for e, row in m["confusion_matrix"].items()]))
    out += confidence_section(m)
    bad = failing(report)
    out.append(f"<h2>Questions that failed ({len(bad)} of {m['n_cases']})</h2>")
    for c in bad:
        facts = [("Question", c["question"]), ("Patient", c.get("patient") or ""),
                 ("Expected", c["expected_verdict"]), ("Got", c["verdict"] + confidence_note(c)),
                 ("Expected sources", ", ".join(c["expected_sources"]) or "(none)"),
                 ("Retrieved", ", ".join(c["retrieved_document_ids"]) or "(none)"),
                 ("Cited", ", ".join(c["cited_document_ids"]) or "(none)"), ("Answer", c.get("summary") or "")]
        rows = "".join(f"<tr><th>{escape(name)}</th><td>{escape(value)}</td></tr>" for name, value in facts if value)
        problems = "".join(f"<li>{escape(p)}</li>" for p in c["problems"])
        out.append(f"<details><summary>{escape(c['id'])}: expected {escape(c['expected_verdict'])}, got "
                   f"{escape(c['verdict'])}</summary><table>{rows}</table><ul class=\"problems\">{problems}</ul></details>")
    if not bad:
        out.append("<p>Every question passed.</p>")
    out.append("</body></html>")
    return "\n".join(out) + "\n"
