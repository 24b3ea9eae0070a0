"""The answer as readable Markdown: verdict, criteria table, sections with numbered citation
markers, conflicts, and a reference list with document, section, page and the quoted words."""

from __future__ import annotations

from app.schemas import Answer

_STATUS = {"met": "met", "not_met": "NOT met", "not_documented": "not documented", "not_applicable": "n/a"}


def _marks(ids: list[int]) -> str:
    return "".join(f"[{i}]" for i in ids)


def _label(code: str) -> str:
    """A verdict or reason code as people read it: 'cannot_answer' → 'cannot answer'."""
    return code.replace("_", " ")


def to_markdown(answer: Answer) -> str:
    out = [f"**Verdict: {_label(answer.verdict)}**" + (f" ({_label(answer.reason)})" if answer.reason else "")
           + (f" · confidence {answer.confidence:.2f}" if answer.confidence is not None else ""), ""]
    if answer.needs_review:
        out += ["> **Needs human review**: the engine is not confident in this verdict; check it against the "
                "criteria and citations below before relying on it.", ""]
    out += [answer.summary, ""]
    if answer.criteria:
        out += ["| criterion | status | why |", "|---|---|---|"]
        for c in answer.criteria:
            out.append(f"| {c.text.replace('|', '/')} {_marks(c.citations)} | {_STATUS[c.status]} | {c.detail.replace('|', '/')} |")
        out.append("")
    for name, statements in answer.sections.items():
        out.append(f"### {name}")
        out += [f"- {s.text} {_marks(s.citations)}" for s in statements]
        out.append("")
    if answer.conflicts:
        out.append("### Where sources disagree")
        for conflict in answer.conflicts:
            out.append(f"- {conflict.topic}")
            out += [f"  - {p.text} {_marks(p.citations)}" for p in conflict.positions]
        out.append("")
    if answer.missing_information:
        out.append("### Missing information")
        out += [f"- {m}" for m in answer.missing_information]
        out.append("")
    if answer.citations:
        out.append("### References")
        for c in answer.citations:
            where = ", ".join(x for x in (c.section, f"p. {c.page}" if c.page else "", c.effective_date) if x)
            out.append(f"[{c.id}] {c.title} ({c.document_id}){' — ' + where if where else ''}: “{c.quote}”")
    return "\n".join(out).rstrip() + "\n"
