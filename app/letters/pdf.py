"""The letter as a PDF, laid out by ReportLab (pure Python; no browser at run time) from the same
blocks as the HTML. Text is set in Bitstream Vera, the TrueType family that ships inside the
ReportLab package, embedded and subset, so ≥, ≤, µ, ×, curly quotes and dashes print as written and
a PDF reader (pypdf included) extracts the same text; a character outside the font is replaced by
its nearest plain spelling rather than printed as a box."""

from __future__ import annotations

import io
import os
import threading
import unicodedata
from functools import lru_cache
from xml.sax.saxutils import escape

from app.letters.determination import Determination
from app.letters.layout import TITLE, Fields, Heading, Items, Para, Table, layout

FONT = "CriterionVera"
_FILES = {"": "Vera.ttf", "-Bold": "VeraBd.ttf", "-Italic": "VeraIt.ttf", "-BoldItalic": "VeraBI.ttf"}
_PLAIN = {"\u2192": "->", "\u2190": "<-", "\u2264": "<=", "\u2265": ">=", "\u2212": "-", "\u2009": " ", "\u202f": " ",
          "\u2011": "-", "\u00ad": ""}
_lock = threading.Lock()


@lru_cache(maxsize=1)
def _fonts() -> frozenset[int]:
    """Register the Vera family once; the code points it can draw."""
    import reportlab
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    folder = os.path.join(os.path.dirname(reportlab.__file__), "fonts")
    for suffix, name in _FILES.items():
        pdfmetrics.registerFont(TTFont(FONT + suffix, os.path.join(folder, name)))
    pdfmetrics.registerFontFamily(FONT, normal=FONT, bold=FONT + "-Bold", italic=FONT + "-Italic",
                                  boldItalic=FONT + "-BoldItalic")
    return frozenset(pdfmetrics.getFont(FONT).face.charToGlyph)


def printable(text: str) -> str:
    """``text`` with every character the font cannot draw replaced by a plain spelling."""
    drawable = _fonts()
    out = []
    for ch in text:
        if ord(ch) in drawable or ch in "\n\t":
            out.append(ch)
            continue
        plain = _PLAIN.get(ch)
        if plain is None:
            plain = unicodedata.normalize("NFKD", ch).encode("ascii", "ignore").decode() or "?"
        out.append(plain if all(ord(c) in drawable for c in plain) else "?")
    return "".join(out)


def render_pdf(d: Determination) -> bytes:
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import LETTER
    from reportlab.lib.units import mm
    from reportlab.platypus import ListFlowable, ListItem, SimpleDocTemplate, Spacer
    from reportlab.platypus import Table as RLTable, TableStyle

    with _lock:  # font registration and ReportLab's module state are shared by the worker threads
        _fonts()
        styles = _styles()
        buffer = io.BytesIO()
        doc = SimpleDocTemplate(buffer, pagesize=LETTER, leftMargin=18 * mm, rightMargin=18 * mm, topMargin=16 * mm,
                                bottomMargin=18 * mm, title=f"{TITLE} {d.reference}", author="Criterion",
                                subject=d.question[:200], creator="Criterion (decision support)",
                                initialFontName=FONT, initialFontSize=9.5)
        width = doc.width
        story = []
        for block in layout(d):
            if isinstance(block, Heading):
                story.append(_p(block.text, styles[f"h{min(block.level, 3)}"]))
            elif isinstance(block, Para) and block.style == "pre":  # a paragraph a line: linear to lay out
                story += [_p(line, styles["body"]) for line in block.text.split("\n") if line.strip()]
            elif isinstance(block, Para):
                story.append(_p(block.text, styles[block.style]))
            elif isinstance(block, Fields):
                rows = [[_p(label, styles["label"]), _p(value or " ", styles["body"])] for label, value in block.rows]
                table = RLTable(rows, colWidths=[width * 0.3, width * 0.7], splitInRow=1)
                table.setStyle(TableStyle(_grid(colors) + [
                    *[("LINEBELOW", (1, i), (1, i), 0.8, colors.black) for i, (_, v) in enumerate(block.rows) if not v],
                    ("BACKGROUND", (0, 0), (0, -1), colors.HexColor("#f4f4f4"))]))
                story.append(table)
            elif isinstance(block, Table):
                widths = [width * w for w in block.widths] if block.widths else None
                rows = [[_p(h, styles["th"]) for h in block.header]]
                rows += [[_p(v, styles["cell"]) for v in row] for row in block.rows]
                table = RLTable(rows, colWidths=widths, repeatRows=1, splitInRow=1)
                table.setStyle(TableStyle(_grid(colors) + [("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8e8e8"))]))
                story.append(table)
            elif isinstance(block, Items):
                items = [ListItem(_p(i, styles["body"]), leftIndent=12) for i in block.items]
                story.append(ListFlowable(items, bulletType="1" if block.numbered else "bullet", start=None if
                                          block.numbered else "\u2022", leftIndent=12, bulletFontName=FONT))
            story.append(Spacer(1, 2))
        doc.build(story, onFirstPage=_footer(d), onLaterPages=_footer(d))
        return buffer.getvalue()


def _p(text: str, style):
    from reportlab.platypus import Paragraph

    return Paragraph(escape(printable(text.replace("\n", " "))), style)  # line breaks read as in the HTML


def _grid(colors) -> list:
    return [("FONT", (0, 0), (-1, -1), FONT, 9),  # a table's own default is Helvetica
            ("GRID", (0, 0), (-1, -1), 0.4, colors.HexColor("#999999")), ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ("LEFTPADDING", (0, 0), (-1, -1), 4), ("RIGHTPADDING", (0, 0), (-1, -1), 4)]


def _styles() -> dict:
    from reportlab.lib import colors
    from reportlab.lib.styles import ParagraphStyle

    base = ParagraphStyle("body", fontName=FONT, bulletFontName=FONT, fontSize=9.5, leading=12.5, spaceAfter=2)
    return {
        "body": base,
        "h1": ParagraphStyle("h1", parent=base, fontName=FONT + "-Bold", fontSize=16, leading=20, spaceAfter=4),
        "h2": ParagraphStyle("h2", parent=base, fontName=FONT + "-Bold", fontSize=12, leading=15, spaceBefore=8,
                             spaceAfter=3, keepWithNext=True),
        "h3": ParagraphStyle("h3", parent=base, fontName=FONT + "-Bold", fontSize=10, leading=13, spaceBefore=5,
                             spaceAfter=2, keepWithNext=True),
        "verdict": ParagraphStyle("verdict", parent=base, fontName=FONT + "-Bold", fontSize=12, leading=15),
        "note": ParagraphStyle("note", parent=base, fontSize=8.5, leading=11, borderColor=colors.HexColor("#b58900"),
                               borderWidth=0.6, borderPadding=4, backColor=colors.HexColor("#fdf6e3"),
                               spaceBefore=4, spaceAfter=6),
        "small": ParagraphStyle("small", parent=base, fontSize=8.5, leading=11, textColor=colors.HexColor("#333333")),
        "label": ParagraphStyle("label", parent=base, fontSize=9),
        "th": ParagraphStyle("th", parent=base, fontName=FONT + "-Bold", fontSize=8.5, leading=11),
        "cell": ParagraphStyle("cell", parent=base, fontSize=8.5, leading=11),
    }


def _footer(d: Determination):
    def draw(canvas, doc) -> None:
        canvas.saveState()
        canvas.setFont(FONT, 7.5)
        canvas.drawString(doc.leftMargin, 10 * 2.835, printable(
            f"{d.reference} · decision support only: verify against the cited source"))
        canvas.drawRightString(doc.leftMargin + doc.width, 10 * 2.835, f"page {doc.page}")
        canvas.restoreState()

    return draw
