"""Determination letters: an ``Answer`` read against its index as a reviewer's determination
(``determination.determine``), laid out once (``layout``) and rendered as HTML with a print
stylesheet (``html``), as PDF (``pdf``, ReportLab) and as a FHIR ``ClaimResponse``-shaped resource
(``fhir``). ``render`` picks the renderer by format name."""

from __future__ import annotations

from app.letters.determination import Determination, Party, determine

FORMATS = ("html", "pdf", "json", "fhir")
MEDIA_TYPES = {"html": "text/html; charset=utf-8", "pdf": "application/pdf", "json": "application/json",
               "fhir": "application/fhir+json"}


def render(d: Determination, form: str) -> bytes:
    """The letter in ``form`` (one of ``FORMATS``) as bytes of ``MEDIA_TYPES[form]``."""
    import json

    if form == "html":
        from app.letters.html import render_html

        return render_html(d).encode("utf-8")
    if form == "pdf":
        from app.letters.pdf import render_pdf

        return render_pdf(d)
    if form == "json":
        return d.model_dump_json(indent=2).encode("utf-8")
    if form == "fhir":
        from app.letters.fhir import claim_response

        return json.dumps(claim_response(d), indent=2, ensure_ascii=False).encode("utf-8")
    raise ValueError(f"unknown letter format {form!r}; use one of {', '.join(FORMATS)}")


__all__ = ["Determination", "Party", "determine", "render", "FORMATS", "MEDIA_TYPES"]
