"""``criterion ask`` on a terminal: the answer drawn with Rich — the verdict line in its colour, the
criteria as a table, the dose checks, statements, conflicts and missing information, then the
numbered references with their quotes. Piped or redirected, the CLI prints the plain Markdown of
``app/engine/compose/markdown.py`` instead, which scripts and tests read."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table
from rich.text import Text

from app.schemas import Answer, Citation

VERDICTS = {  # label, style
    "yes": ("Yes — meets the criteria", "bold green"),
    "no": ("No — does not meet the criteria", "bold red"),
    "conditional": ("Conditional — covered when the criteria are met", "bold yellow"),
    "insufficient_evidence": ("Insufficient evidence", "bold magenta"),
    "cannot_answer": ("Cannot answer from the indexed documents", "bold magenta"),
    "informational": ("Informational", "bold cyan"),
}
STATUS = {"met": ("met", "green"), "not_met": ("NOT met", "bold red"), "not_documented": ("not documented", "yellow"),
          "not_applicable": ("n/a", "dim")}


def cited(text: str, ids: list[int]) -> Text:
    """Text (never read as Rich markup) with its citation markers, [1][2], in the reference colour."""
    out = Text(text)
    if ids:
        out.append(" " + "".join(f"[{i}]" for i in ids), style="cyan")
    return out


def bullet(body: Text, mark: str = "  •") -> Table:
    """A list item whose wrapped lines stay indented under its first."""
    grid = Table.grid(padding=(0, 1, 0, 0))
    grid.add_column(no_wrap=True)
    grid.add_column()
    grid.add_row(Text(mark), body)
    return grid


def verdict_line(answer: Answer) -> Text:
    label, style = VERDICTS.get(answer.verdict, (answer.verdict, "bold"))
    line = Text("Verdict: ", style="bold").append(label, style=style)
    if answer.reason:
        line.append(f" ({answer.reason.replace('_', ' ')})")
    if answer.confidence is not None:
        line.append(f" · confidence {answer.confidence:.2f}", style="dim")
    return line


def criteria_table(answer: Answer) -> Table:
    table = Table(title="Criteria", title_justify="left", title_style="bold", show_lines=True, expand=True)
    table.add_column("Criterion", ratio=3)
    table.add_column("Status", no_wrap=True)
    table.add_column("Why", ratio=2)
    for c in answer.criteria:
        label, style = STATUS.get(c.status, (c.status, ""))
        table.add_row(cited(c.text, c.citations), Text(label, style=style), Text(c.detail))
    return table


def reference(c: Citation) -> Text:
    where = ", ".join(x for x in (c.section, f"p. {c.page}" if c.page else "", c.issuer,
                                  f"effective {c.effective_date}" if c.effective_date else "") if x)
    line = Text(f"[{c.id}] ", style="bold cyan").append(c.title, style="bold").append(f" ({c.document_id})", style="dim")
    if where:
        line.append(f" — {where}")
    return line.append("\n    “").append(c.quote, style="italic").append("”")


def render_answer(answer: Answer, console: Console) -> None:
    """The whole answer on ``console``."""
    say = lambda *parts, **kw: console.print(*parts, highlight=False, **kw)
    say(verdict_line(answer))
    if answer.needs_review:
        say(Text("Needs human review: the engine is not confident in this verdict; check it against the criteria "
                 "and citations below before relying on it.", style="bold yellow"))
    say(cited(answer.summary, []))
    if answer.criteria:
        say()
        say(criteria_table(answer))
    if answer.numeric_checks:
        say(Text("\nDose and schedule checks", style="bold"))
        for n in answer.numeric_checks:
            within, style = {None: ("unclear", "yellow"), True: ("within", "green"), False: ("outside", "bold red")}[
                n.within_limit]
            say(bullet(Text(f"{n.quantity}: {n.requested}; limit: {n.limit} — ").append(within, style=style)
                       .append_text(cited("", n.citations))))
    for name, statements in answer.sections.items():
        say(Text(f"\n{name}", style="bold"))
        for s in statements:
            say(bullet(cited(s.text, s.citations)))
    if answer.conflicts:
        say(Text("\nWhere sources disagree", style="bold"))
        for conflict in answer.conflicts:
            say(bullet(Text(conflict.topic)))
            for p in conflict.positions:
                say(bullet(cited(p.text, p.citations), "      –"))
    if answer.missing_information:
        say(Text("\nMissing information", style="bold"))
        for m in answer.missing_information:
            say(bullet(Text(m)))
    say(Text("\nReferences", style="bold"))
    if not answer.citations:
        say(Text("  No source was cited.", style="dim"))
    for c in answer.citations:
        say(reference(c))
