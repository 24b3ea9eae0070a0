"""The letter as one self-contained HTML page (no scripts, no external files) with a print
stylesheet: A4/Letter margins, no page break inside a criterion row, blanks drawn as lines to fill.
Every piece of text is escaped; citation markers [n] link to their reference."""

from __future__ import annotations

import re
from html import escape

from app.letters.determination import Determination
from app.letters.layout import Fields, Heading, Items, Para, Table, layout

STYLE = """
:root { color-scheme: light; }
body { font: 11pt/1.45 "DejaVu Sans", "Helvetica Neue", Arial, sans-serif; color: #111; max-width: 52rem;
       margin: 2rem auto; padding: 0 1rem; }
h1 { font-size: 1.5rem; margin: 0 0 .25rem; }
h3 { font-size: 1rem; margin: .9rem 0 .3rem; }
h2 { font-size: 1.1rem; margin: 1.5rem 0 .5rem; border-bottom: 1px solid #999; padding-bottom: .15rem; }
p { margin: .4rem 0; }
.small { font-size: .9em; color: #333; }
.pre { white-space: pre-line; overflow-wrap: anywhere; }
td { overflow-wrap: anywhere; }
.note { border: 1px solid #b58900; background: #fdf6e3; padding: .5rem .75rem; font-size: .92em; }
.verdict { font-size: 1.2rem; font-weight: bold; }
.verdict-no { color: #8b0000; } .verdict-yes { color: #05631e; } .verdict-other { color: #7a4b00; }
table { border-collapse: collapse; width: 100%; margin: .4rem 0; font-size: .93em; }
th, td { border: 1px solid #bbb; padding: .3rem .45rem; text-align: left; vertical-align: top; }
th { background: #eee; }
table.fields th { width: 28%; background: #f6f6f6; font-weight: normal; }
.blank { display: inline-block; min-width: 16rem; border-bottom: 1px solid #333; }
.status-not_met { color: #8b0000; font-weight: bold; } .status-met { color: #05631e; }
.status-not_documented { color: #7a4b00; }
ol.references li, ul li { margin: .2rem 0; }
a.cite { text-decoration: none; }
@page { size: auto; margin: 18mm 16mm; }
@media print {
  body { margin: 0; max-width: none; font-size: 10pt; }
  a { color: inherit; }
  h2, h3 { break-after: avoid; }
  tr, li, .note { break-inside: avoid; }
  thead { display: table-header-group; }
  .note { background: none; }
}
"""
_MARK = re.compile(r"\[(\d+)\]")


def render_html(d: Determination) -> str:
    body = "\n".join(_block(b, d) for b in layout(d))
    return (f'<!doctype html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            f"<title>{escape(d.reference)} · Medical necessity determination</title>\n<style>{STYLE}</style>\n"
            f"</head>\n<body>\n{body}\n</body>\n</html>\n")


def _text(value: str) -> str:
    """Escaped text with each [n] a link to reference n."""
    return _MARK.sub(r'<a class="cite" href="#ref-\1">[\1]</a>', escape(value))


def _block(block, d: Determination) -> str:
    if isinstance(block, Heading):
        return f"<h{block.level}>{escape(block.text)}</h{block.level}>"
    if isinstance(block, Para):
        css = block.style
        if block.style == "verdict":
            css += " verdict-" + ("yes" if d.verdict == "yes" else "no" if d.verdict == "no" else "other")
        return f'<p class="{css}">{_text(block.text)}</p>'
    if isinstance(block, Fields):
        rows = "".join(f"<tr><th>{escape(label)}</th><td>{_text(value) if value else '<span class=blank></span>'}</td></tr>"
                       for label, value in block.rows)
        return f'<table class="fields">{rows}</table>'
    if isinstance(block, Table):
        head = "".join(f"<th>{escape(h)}</th>" for h in block.header)
        rows = "".join("<tr>" + "".join(_cell(block, i, v) for i, v in enumerate(row)) + "</tr>" for row in block.rows)
        return f'<table class="{block.kind}"><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>'
    if isinstance(block, Items):
        if block.items and all(_MARK.match(item) for item in block.items):  # the references
            items = "".join(f'<li id="ref-{_MARK.match(i).group(1)}">{escape(i)}</li>' for i in block.items)
            return f'<ul class="references" style="list-style:none;padding-left:0">{items}</ul>'
        tag = "ol" if block.numbered else "ul"
        return f"<{tag}>" + "".join(f"<li>{_text(i)}</li>" for i in block.items) + f"</{tag}>"
    raise TypeError(f"unknown block {type(block).__name__}")


def _cell(table: Table, column: int, value: str) -> str:
    if table.kind == "criteria" and table.header[column] == "Status":
        status = {"Met": "met", "Not met": "not_met", "Not documented": "not_documented"}.get(value, "")
        return f'<td class="status-{status}">{escape(value)}</td>'
    return f"<td>{_text(value)}</td>"
