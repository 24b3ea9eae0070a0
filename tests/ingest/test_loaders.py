"""Each loader on small fixtures the tests write, and on real files from ../shared/real-corpus."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.errors import EmptyDocument, EncryptedPDF, FileTooLarge, UnreadableDocument
from ingest.loaders import load_document
from pdfs import encrypt_pdf, make_pdf

MB = 1_000_000

POLICY_PAGES = [
    ["ACME Health Medical Policy Manual", "Immune Globulin Policy", "1.0 DESCRIPTION",
     "Immune globulin is a blood product used for the treat-", "ment of immune disorders.", "Page 1 of 3"],
    ["ACME Health Medical Policy Manual", "2.0 POLICY", "2.1 IVIG is covered for myasthenia gravis exacer-",
     "bations when the patient is hospitalized.", "2.2 IVIG is covered before thymectomy.", "Page 2 of 3"],
    ["ACME Health Medical Policy Manual", "3.0 EXCLUSIONS", "3.1 Maintenance IVIG is not covered.",
     "I. Experimental and investigational", "IVIG for autism is investigational.", "Page 3 of 3"],
]


def write(tmp_path: Path, name: str, data: bytes | str) -> Path:
    path = tmp_path / name
    path.write_bytes(data.encode() if isinstance(data, str) else data)
    return path


def test_pdf_pages_headings_running_lines_and_hyphenation(tmp_path):
    doc = load_document(write(tmp_path, "p.pdf", make_pdf(POLICY_PAGES)), max_bytes=MB)
    assert doc.pages == 3
    texts = [b.text for b in doc.blocks]
    assert "Immune globulin is a blood product used for the treatment of immune disorders." in texts
    assert not any("ACME Health Medical Policy Manual" in t for t in texts), "running header kept"
    assert not any("Page" in t and "of 3" in t for t in texts), "page-number line kept"
    by_text = {b.text: b for b in doc.blocks}
    covered = by_text["2.1 IVIG is covered for myasthenia gravis exacerbations when the patient is hospitalized."]
    assert covered.page == 2 and covered.section == ("2.0 POLICY",)
    assert by_text["3.1 Maintenance IVIG is not covered."].section == ("3.0 EXCLUSIONS",)
    assert by_text["IVIG for autism is investigational."].section == ("I. Experimental and investigational",)


def test_pdf_with_owner_password_and_empty_user_password_reads_normally(tmp_path):
    for algorithm in ("AES-256", "AES-128", "RC4-128"):
        data = encrypt_pdf(make_pdf(POLICY_PAGES), user_password="", owner_password="payer-secret", algorithm=algorithm)
        doc = load_document(write(tmp_path, f"enc-{algorithm}.pdf", data), max_bytes=MB)
        assert any("Maintenance IVIG is not covered." in b.text for b in doc.blocks), algorithm


@pytest.mark.parametrize(
    ("name", "data", "error", "reason"),
    [
        ("corrupt.pdf", make_pdf(POLICY_PAGES)[:400], UnreadableDocument, "not a readable PDF"),
        ("empty.pdf", b"", EmptyDocument, "empty"),
        ("locked.pdf", encrypt_pdf(make_pdf(POLICY_PAGES), user_password="u", owner_password="o"), EncryptedPDF, "password"),
        ("scan.pdf", make_pdf([[], []]), UnreadableDocument, "image-only"),
        ("binary.md", bytes(range(256)) * 4, UnreadableDocument, "binary"),
        ("latin1.txt", "Caf\xe9 policy: coverage criteria".encode("latin-1"), UnreadableDocument, "UTF-8"),
        ("blank.md", "   \n\n", EmptyDocument, "empty"),
        ("pdf-in-disguise.md", make_pdf(POLICY_PAGES), UnreadableDocument, "a PDF named"),
    ],
)
def test_bad_files_raise_named_errors(tmp_path, name, data, error, reason):
    with pytest.raises(error) as excinfo:
        load_document(write(tmp_path, name, data), max_bytes=MB)
    assert name in excinfo.value.message and reason in excinfo.value.message


def test_file_over_the_size_limit_is_refused(tmp_path):
    path = write(tmp_path, "big.txt", "word " * 50_000)
    with pytest.raises(FileTooLarge, match="over the"):
        load_document(path, max_bytes=100_000)


def test_markdown_front_matter_and_heading_path(tmp_path):
    md = """---
title: IVIG for MG
doc_type: policy
issuer: Criterion model policy
effective_date: 2025-01-01
codes: {hcpcs: [J1459]}
---
# IVIG for MG

## Medical necessity criteria

### Myasthenia gravis

IVIG is considered **medically necessary** when ALL of the following are met:

- The patient has [generalized MG](http://example.org).
- ANY of the following:
  - MG-ADL of 6 or more.

## Limitations and exclusions

| Item | Limit |
|---|---|
| Dose | 2 g/kg per course |
"""
    doc = load_document(write(tmp_path, "p.md", md), max_bytes=MB)
    assert doc.metadata["doc_type"] == "policy" and doc.metadata["codes"] == {"hcpcs": ["J1459"]}
    blocks = {b.text.strip(): b.section for b in doc.blocks}
    assert blocks["IVIG is considered medically necessary when ALL of the following are met:"] == (
        "IVIG for MG", "Medical necessity criteria", "Myasthenia gravis")
    assert blocks["- The patient has generalized MG."][-1] == "Myasthenia gravis"
    nested = next(b for b in doc.blocks if "MG-ADL" in b.text)
    assert nested.text == "  - MG-ADL of 6 or more." and nested.section[-1] == "Myasthenia gravis"
    assert blocks["Dose | 2 g/kg per course"] == ("IVIG for MG", "Limitations and exclusions")


def test_html_headings_and_dropped_scripts(tmp_path):
    html = """<html><head><title>Colorectal screening</title><style>p{color:red}</style></head>
    <body><script>var secret = 1;</script><h1>Colorectal Cancer</h1>
    <h2>Adults aged 50 to 75 years</h2><p><b>Grade:</b> A.</p><div>Screen every year<br><br>with FIT.</div>
    <h2>Adults aged 76 to 85</h2><p>Grade C: selectively offer.</p></body></html>"""
    doc = load_document(write(tmp_path, "c.html", html), max_bytes=MB)
    assert doc.metadata["title"] == "Colorectal screening"
    texts = {b.text: b.section for b in doc.blocks}
    assert "var secret" not in " ".join(texts) and "color:red" not in " ".join(texts)
    assert texts["Grade: A."] == ("Colorectal Cancer", "Adults aged 50 to 75 years")
    assert texts["Grade C: selectively offer."] == ("Colorectal Cancer", "Adults aged 76 to 85")
    assert "with FIT." in texts


def test_plain_text_with_policy_numbering(tmp_path):
    text = "Sleep apnea devices\n\n1.0 POLICY\nCPAP is covered for AHI of 15 or more.\n\n2.0 EXCLUSIONS\nDental devices are excluded.\n"
    doc = load_document(write(tmp_path, "s.txt", text), max_bytes=MB)
    sections = {b.text: b.section for b in doc.blocks}
    assert sections["Dental devices are excluded."] == ("2.0 EXCLUSIONS",)
    assert doc.metadata["title"] == "Sleep apnea devices"


@pytest.mark.integration
def test_real_tricare_pdf_pages_and_policy_sections(real_corpus):
    path = real_corpus / "tricare" / "tricare_genetic_testing_policy.pdf"
    doc = load_document(path, max_bytes=50 * MB)
    assert doc.pages == 2
    sections = {b.section[0] for b in doc.blocks if b.section}
    assert {"1.0 DESCRIPTION", "2.0 POLICY", "3.0 EXCLUSIONS"} <= sections
    exclusions = [b for b in doc.blocks if b.section and b.section[0] == "3.0 EXCLUSIONS"]
    assert exclusions and all(b.page == 2 for b in exclusions)
    assert not any("TRICARE Manuals - Display" in b.text for b in doc.blocks), "browser print footer kept"


@pytest.mark.integration
def test_real_uspstf_html_population_sections(real_corpus):
    doc = load_document(real_corpus / "uspstf" / "colorectal-cancer-screening.html", max_bytes=50 * MB)
    populations = {b.section[1] for b in doc.blocks if len(b.section) > 1}
    assert any("50 to 75" in p for p in populations) and any("76 to 85" in p for p in populations)


def test_a_statement_set_as_a_heading_is_kept_as_text(tmp_path):
    md = """# Shoulder injury

#### Interscalene block

##### Single block

One injection before surgery.

##### Continuous interscalene block for 48 hours gives little extra relief and is not recommended.

#### Subacromial injection

Single injections may be used.
"""
    doc = load_document(write(tmp_path, "s.md", md), max_bytes=MB)
    blocks = {b.text: b.section for b in doc.blocks}
    statement = "Continuous interscalene block for 48 hours gives little extra relief and is not recommended."
    assert blocks[statement] == ("Shoulder injury", "Interscalene block")  # it closes "Single block"
    assert blocks["One injection before surgery."] == ("Shoulder injury", "Interscalene block", "Single block")
    assert blocks["Single injections may be used."] == ("Shoulder injury", "Subacromial injection")


@pytest.mark.integration
def test_real_ngc_statements_under_headings_are_in_the_text(real_corpus):
    doc = load_document(real_corpus / "ngc-federal" / "ngc-10966.md", max_bytes=50 * MB)
    assert any("continuous ISB is not recommended" in b.text for b in doc.blocks)


@pytest.mark.integration
def test_real_ngc_markdown_front_matter_and_headings(real_corpus):
    doc = load_document(real_corpus / "ngc-federal" / "ngc-10008.md", max_bytes=50 * MB)
    assert "ankle" in doc.metadata["title"].lower() and doc.metadata["id"] == 10008
    assert any(b.section[:2] == ("Recommendations", "Major Recommendations") for b in doc.blocks)


def test_doc_type_is_inferred_when_front_matter_lacks_it(tmp_path, real_corpus):
    from ingest.metadata import infer_doc_type, normalise

    kinds = {}
    for folder in ("uspstf", "ngc-federal", "tricare"):
        for path in sorted((real_corpus / folder).iterdir()):
            if path.suffix in (".html", ".md", ".pdf") and path.name != "SOURCE.md":
                kinds.setdefault(folder, set()).add(infer_doc_type(load_document(path, max_bytes=50 * MB)))
    assert kinds == {"uspstf": {"guideline"}, "ngc-federal": {"guideline"}, "tricare": {"policy"}}
    # front matter wins; a text with no cues stays a plain document
    stated = tmp_path / "p.md"
    stated.write_text("---\ntitle: A guideline\ndoc_type: policy\n---\n# Scope\n\nThe guideline recommends it.\n", encoding="utf-8")
    assert normalise(load_document(stated, max_bytes=MB), "p")["doc_type"] == "policy"
    plain = tmp_path / "notes.txt"
    plain.write_text("Minutes of the meeting on the new building.\n", encoding="utf-8")
    assert normalise(load_document(plain, max_bytes=MB), "notes")["doc_type"] == "document"
