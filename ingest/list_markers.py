"""List markers, as text keeps them: Markdown's '- ', bullets ('•', '–', '*', 'o'), numbering
('1.', 'a)', '(i)', 'IV.') and dotted numbering ('3.9.1'), at the start of a line or, where a PDF
joined a list into one block, inside it ('…the following: 1. X; or 2. Y'). Read by hand, one pass,
no pattern that can backtrack."""

from __future__ import annotations

import re

BULLETS = "-*•●▪◦■–—○·‣⁃➢►"
_ROMAN = {"i", "ii", "iii", "iv", "v", "vi", "vii", "viii", "ix", "x", "xi", "xii"}


def marker(raw: str) -> tuple[int, str | None, str | None, int]:
    """(indent, style, alternative style, where the words start) of one raw line."""
    body = raw.lstrip(" \t")
    indent = len(raw) - len(body) + 3 * raw[:len(raw) - len(body)].count("\t")
    at = len(raw) - len(body)
    none = (indent, None, None, at)
    if len(body) < 3:
        return none
    if body[0] in BULLETS and body[1] in " \t":
        return indent, f"bullet{body[0]}", None, at + 2
    if body[0] == "o" and body[1] == " " and body[2].isupper():
        return indent, "bullet-o", None, at + 2
    opened = body[0] == "("
    j = 1 if opened else 0
    k = j
    while k < len(body) and k - j < 12 and (body[k].isalnum() or body[k] == "."):
        k += 1
    token, close = body[j:k], body[k:k + 1]
    if not opened and token.endswith(".") and "." not in token[:-1]:  # '1. ' and 'a. ': the full stop closes it
        token, close, k = token[:-1], ".", k - 1
    if not token or not close:
        return none
    if not opened and close == " " and "." in token.strip("."):  # '3.9.1 The contractor …'
        parts = token.strip(".").split(".")
        if len(parts) <= 4 and all(p.isdigit() and len(p) <= 2 for p in parts) and body[k + 1:k + 2].isupper():
            return indent, f"dotted{len(parts)}", None, at + k + 1
        return none
    if (opened and close != ")") or (not opened and close not in ".)") or body[k + 1:k + 2] not in (" ", "\t"):
        return none
    words = body[k + 1:].lstrip()
    if not words or not (words[0].isalpha() or words[0] in "(\"'“"):
        return none
    punct = "()" if opened else close
    if token.isdigit() and len(token) <= 3:
        kind, alt = "num", None
    elif token.lower() in _ROMAN:
        kind = "roman" if token.islower() else "ROMAN"
        alt = ("alpha" if token.islower() else "ALPHA") if len(token) == 1 else None
    elif len(token) == 1 and token.isalpha():
        kind, alt = ("alpha" if token.islower() else "ALPHA"), None
    else:
        return none
    start = at + len(body) - len(words)
    return indent, kind + punct, (alt + punct if alt else None), start


_INLINE = re.compile(r"\s(?=(?:\d{1,2}[.)]|[a-z]\)|[ivx]{2,4}\)|\((?:\d{1,2}|[a-z]|[ivx]{2,4})\))\s+[A-Za-z(\"“])"
                     r"|\s(?=[•●▪◦■➢►]\s)")
_BEFORE_INLINE = (":", ";", ".", "; or", "; and", ", or", ", and")


def inline_items(raw: str) -> list[int]:
    """Where items start inside one line: a PDF block keeps its list only as '…the following:
    1. X; or 2. Y' when the numbers did not start lines. A number or letter marker counts after a
    colon, semicolon, full stop or a trailing 'or' / 'and', never inside a sentence ('Section 3.
    The', 'Grade: B. Sex'); a bullet glyph counts anywhere."""
    starts = []
    for m in _INLINE.finditer(raw):
        before = raw[max(0, m.start() - 6):m.start()].rstrip()
        if raw[m.end()] in BULLETS or (before.endswith(_BEFORE_INLINE)
                                       and not before.endswith(("e.g.", "i.e.", "vs.", "etc."))):
            starts.append(m.end())
    return starts
