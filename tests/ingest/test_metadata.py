"""Document metadata for any corpus: front matter, a sidecar manifest beside the files, and what a
PDF's or page's first page states; each field recorded with where it came from; bad manifest rows,
bad dates and untitled PDFs reported while the rest ingests; chunk ids and texts untouched."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from app.backends import embedder_stamp, make_chroma_client
from app.engine.retrieve.index import open_index
from ingest.dates import parse_date, parse_release
from ingest.loaders import load_document
from ingest.manifest import ngc_developers
from ingest.metadata import resolve
from ingest.sync import sync
from pdfs import make_pdf

ROOT = Path(__file__).resolve().parents[2]
MB = 1_000_000

PLAIN = "# {title}\n\n## Policy\n\n{title} is covered when the patient meets every criterion below.\n"
NGC_HEADER = ("ngc_id,title,developers,date_released,federal_developer,copyright_statement_says_free,"
              "has_major_recommendations,chars,copyright_statement\n")
PAYER_PAGE = ["Acme Health Plan", "Medical Policy Number: MP-0042", "Hyperbaric Oxygen Therapy",
              "Effective Date: 01/15/2025", "Revision Date: 03/01/2024", "1.0 POLICY",
              "Hyperbaric oxygen is covered for diabetic foot ulcers of Wagner grade 3 or higher."]


def documents(settings) -> dict:
    return open_index(settings.index_path, stamp=embedder_stamp(settings)).documents


def folder(tmp_path: Path, files: dict[str, str | bytes]) -> Path:
    root = tmp_path / "corpus"
    root.mkdir(parents=True, exist_ok=True)
    for name, body in files.items():
        (root / name).write_bytes(body if isinstance(body, bytes) else body.encode())
    return root


def test_dates_keep_the_precision_they_are_written_with():
    assert parse_date("2014 Dec 16") == "2014-12-16" and parse_date("2017 Sep") == "2017-09"
    assert parse_date("October 31, 2024") == parse_date("10/31/2024") == "2024-10-31"
    assert parse_date("2014") == "2014"
    assert parse_date("Spring 2014") is None and parse_date("2024-02-30") is None and parse_date("14") is None
    assert parse_release("1996 (revised 2014 Dec 16)") == ("1996", "2014-12-16")
    assert parse_release("2013 Jul 1") == ("2013-07-01", None)


def test_ngc_developers_lose_their_organisation_type():
    assert ngc_developers("U.S. Preventive Services Task Force - Independent Expert Panel") == \
        "U.S. Preventive Services Task Force"
    assert ngc_developers("Department of Defense - Federal Government Agency [U.S.]; Department of Veterans "
                          "Affairs - Federal Government Agency [U.S.]") == \
        "Department of Defense; Department of Veterans Affairs"
    assert ngc_developers("National Heart, Lung, and Blood Institute (U.S.) - Federal Government Agency [U.S.]") == \
        "National Heart, Lung, and Blood Institute (U.S.)"


def test_an_ngc_style_manifest_gives_issuer_and_dates_and_says_so(tmp_path, fake_settings):
    root = folder(tmp_path, {
        "ngc-1.md": PLAIN.format(title="Knee arthroscopy"),
        "ngc-2.md": PLAIN.format(title="Home oxygen"),
        "manifest.csv": NGC_HEADER
        + 'ngc-1,Knee arthroscopy,U.S. Preventive Services Task Force - Independent Expert Panel,'
          '1996 (revised 2014 Dec 16),True,False,True,100,"Requests regarding copyright, see AHRQ"\n'
        + 'ngc-2,Home oxygen,"Department of Defense - Federal Government Agency [U.S.]; Department of Veterans '
          'Affairs - Federal Government Agency [U.S.]",2017 Sep,True,False,True,100,public domain\n',
    })
    report = sync([root], fake_settings)
    assert report.ok and sorted(report.added) == ["ngc-1", "ngc-2"] and not report.warnings
    assert not any("manifest.csv" in path for path, _ in report.skipped), "the manifest is read, not skipped"
    docs = documents(fake_settings)
    knee, oxygen = docs["ngc-1"], docs["ngc-2"]
    assert knee["issuer"] == "U.S. Preventive Services Task Force"
    assert (knee["effective_date"], knee["issue_date"], knee["revision_date"]) == ("2014-12-16", "1996", "2014-12-16")
    assert knee["metadata_sources"]["issuer"] == knee["metadata_sources"]["effective_date"] == "manifest"
    assert knee["metadata_sources"]["title"] == "manifest"  # over the first heading (here the same words)
    assert oxygen["issuer"] == "Department of Defense; Department of Veterans Affairs"
    assert oxygen["effective_date"] == "2017-09" and oxygen["metadata_sources"]["revision_date"] == "none"
    chunks = open_index(fake_settings.index_path, stamp=embedder_stamp(fake_settings)).chunks.values()
    assert {(c.document_id, c.issuer, c.effective_date) for c in chunks} == {
        ("ngc-1", "U.S. Preventive Services Task Force", "2014-12-16"),
        ("ngc-2", "Department of Defense; Department of Veterans Affairs", "2017-09")}


def test_front_matter_wins_over_the_manifest_and_the_manifest_over_the_first_page(tmp_path, fake_settings):
    root = folder(tmp_path, {
        "stated.md": "---\ntitle: Stated\nissuer: Front Matter Plan\neffective_date: 2026-01-01\n---\n"
                     + PLAIN.format(title="Stated"),
        "hbot.pdf": make_pdf([PAYER_PAGE], title="Hyperbaric oxygen"),
        "manifest.yaml": "stated.md: {issuer: Manifest Plan, effective_date: 2020-01-01, policy_number: P-7}\n"
                         "hbot.pdf: {issuer: Manifest Plan}\n",
    })
    assert sync([root], fake_settings).ok
    stated, hbot = documents(fake_settings)["stated"], documents(fake_settings)["hbot"]
    assert (stated["issuer"], stated["effective_date"], stated["policy_number"]) == \
        ("Front Matter Plan", "2026-01-01", "P-7")
    assert {k: stated["metadata_sources"][k] for k in ("issuer", "effective_date", "policy_number")} == \
        {"issuer": "front-matter", "effective_date": "front-matter", "policy_number": "manifest"}
    assert hbot["issuer"] == "Manifest Plan" and hbot["metadata_sources"]["issuer"] == "manifest"
    # what the manifest does not say comes from the PDF itself
    assert hbot["title"] == "Hyperbaric oxygen" and hbot["metadata_sources"]["title"] == "pdf-metadata"
    assert (hbot["policy_number"], hbot["effective_date"], hbot["revision_date"]) == ("MP-0042", "2025-01-15", "2024-03-01")
    assert {hbot["metadata_sources"][k] for k in ("policy_number", "effective_date", "revision_date")} == {"first-page"}


def test_a_payer_pdf_without_a_manifest_states_its_own_metadata(tmp_path):
    path = tmp_path / "hbot.pdf"
    path.write_bytes(make_pdf([["Cigna Medical Coverage Policy", "Effective Date: March 15, 2025",
                                "Coverage Policy Number: 0123", "Hyperbaric Oxygen Therapy", "1.0 POLICY",
                                "Covered for Wagner grade 3 ulcers; Aetna and UnitedHealthcare policies differ."]]))
    meta, warnings = resolve(load_document(path, max_bytes=MB), "hbot")
    assert (meta["issuer"], meta["effective_date"], meta["policy_number"]) == ("Cigna", "2025-03-15", "0123")
    assert meta["title"] == "Cigna Medical Coverage Policy" and meta["metadata_sources"]["title"] == "first-page"
    assert not warnings


def test_an_html_page_without_a_date_records_none_rather_than_inventing_one(tmp_path):
    path = tmp_path / "lung.html"
    path.write_text("<html><head><title>Lung Cancer: Screening</title></head><body><h1>Lung Cancer: Screening</h1>"
                    "<p>Source: U.S. Preventive Services Task Force recommendation (ePSS record).</p>"
                    "<p>Literature scans conducted in April 2019 found no new evidence.</p></body></html>")
    meta, warnings = resolve(load_document(path, max_bytes=MB), "lung")
    assert meta["issuer"] == "USPSTF" and meta["metadata_sources"]["issuer"] == "first-page"
    assert meta["effective_date"] == "" and meta["metadata_sources"]["effective_date"] == "none"
    assert meta["metadata_sources"]["title"] == "html-title" and not warnings


def test_bad_manifest_rows_and_dates_are_warnings_and_the_rest_ingests(tmp_path, fake_settings):
    root = folder(tmp_path, {
        "ngc-1.md": PLAIN.format(title="Knee arthroscopy"),
        "ngc-2.md": PLAIN.format(title="Home oxygen"),
        "manifest.csv": NGC_HEADER
        + "ngc-1,Knee arthroscopy,Centers for Disease Control and Prevention - Federal Government Agency [U.S.],"
          "Spring 2014,True,False,True,100,x\n"
        + "ngc-404,Gone,Someone - Independent Expert Panel,2014,True,False,True,100,x\n"
        + "ngc-2,Home oxygen,Someone - Independent Expert Panel,2016 Jun 21,True,False,True,100,x\n",
    })
    report = sync([root], fake_settings)
    assert report.ok and sorted(report.added) == ["ngc-1", "ngc-2"]
    manifest = str(root / "manifest.csv")
    reasons = [reason for path, reason in report.warnings if path == manifest]
    assert len(reasons) == 2, report.warnings
    assert any("line 2 (ngc-1)" in r and "date_released 'Spring 2014' is not a date" in r for r in reasons)
    assert any("line 3 (ngc-404): ngc_id 'ngc-404' names a file that is not in" in r for r in reasons)
    knee = documents(fake_settings)["ngc-1"]
    assert knee["issuer"] == "Centers for Disease Control and Prevention"  # the row's other fields still count
    assert knee["effective_date"] == "" and knee["metadata_sources"]["effective_date"] == "none"
    assert documents(fake_settings)["ngc-2"]["effective_date"] == "2016-06-21"


def test_an_unreadable_manifest_is_a_warning_not_a_failure(tmp_path, fake_settings):
    root = folder(tmp_path, {"a.md": PLAIN.format(title="Knee arthroscopy"), "manifest.yaml": "a.md: [unclosed\n"})
    report = sync([root], fake_settings)
    assert report.ok and report.added == ["a"]
    assert [(Path(p).name, r.split(":")[0]) for p, r in report.warnings] == [("manifest.yaml", "not read, no metadata taken from it")]


def test_a_pdf_with_no_extractable_title_is_reported_and_ingested(tmp_path, fake_settings):
    long = "Immune globulin is covered for myasthenia gravis exacerbations when the patient is hospitalized " * 2
    untitled = make_pdf([["1.0 POLICY", long], ["3.0 EXCLUSIONS", long.replace("covered", "not covered")]],
                        title="Microsoft Word - draft.docx")  # a placeholder, and no line short enough to be a title
    root = folder(tmp_path, {"untitled.pdf": untitled, "fine.md": PLAIN.format(title="Home oxygen")})
    report = sync([root], fake_settings)
    assert report.ok and sorted(report.added) == ["fine", "untitled"]
    assert report.warnings == [(str(root / "untitled.pdf"), "no title in the document (none in its PDF metadata, "
                                                           "none on its first page); the file name is used")]
    entry = documents(fake_settings)["untitled"]
    assert entry["title"] == "untitled" and entry["metadata_sources"]["title"] == "filename"
    assert entry["metadata_warnings"] == [report.warnings[0][1]]


def test_a_malformed_date_on_a_first_page_is_reported(tmp_path):
    path = tmp_path / "p.pdf"
    path.write_bytes(make_pdf([["Acme Health Plan policy", "Effective Date: to be announced", "1.0 POLICY", "Covered."]]))
    meta, warnings = resolve(load_document(path, max_bytes=MB), "p")
    assert meta["effective_date"] == ""
    assert warnings == ["first page: Effective Date 'to be announced' is not a date; not taken"]


def test_a_new_manifest_row_reaches_chunks_and_vectors_without_changing_ids_or_text(tmp_path, fake_settings):
    root = folder(tmp_path, {"ngc-1.md": PLAIN.format(title="Knee arthroscopy")})
    assert sync([root], fake_settings).ok
    before = open_index(fake_settings.index_path, stamp=embedder_stamp(fake_settings))
    (root / "manifest.csv").write_text("file,issuer,effective_date\nngc-1.md,Acme Health,2025-02-01\n")
    report = sync([root], fake_settings)
    assert report.updated == ["ngc-1"] and report.chunks_embedded == len(before.chunks)
    after = open_index(fake_settings.index_path, stamp=embedder_stamp(fake_settings))
    assert [(c.chunk_id, c.text) for c in after.chunks.values()] == [(c.chunk_id, c.text) for c in before.chunks.values()]
    assert {c.issuer for c in after.chunks.values()} == {"Acme Health"}
    stored = make_chroma_client(fake_settings).get_collection(after.collection).get(include=["metadatas"])
    assert {m["issuer"] for m in stored["metadatas"]} == {"Acme Health"}, "the dense side filters on stale metadata"
    assert sync([root], fake_settings).unchanged == ["ngc-1"]  # nothing changed: nothing re-read


def test_the_cli_prints_metadata_warnings(tmp_path):
    root = folder(tmp_path, {"a.md": PLAIN.format(title="Knee"), "manifest.csv": "file,issuer\ngone.pdf,Acme\n"})
    env = {**os.environ, "CRITERION_EMBEDDING__BACKEND": "fake"}
    run = subprocess.run([sys.executable, "-m", "app.cli", "ingest", str(root), "--index", str(tmp_path / "ix")],
                         capture_output=True, text=True, env=env, cwd=ROOT)
    assert run.returncode == 0, run.stderr
    printed = " ".join(run.stderr.split())  # rich wraps long lines
    assert "warning" in printed and "line 2 (gone.pdf): file 'gone.pdf' names a file that is not in" in printed
    assert "added 1" in printed and "warnings 1" in printed


# ------------------------------------------------------------------ the real corpus, small subsets


def test_real_ngc_files_take_issuer_and_date_from_their_manifest(real_corpus, tmp_path, fake_settings):
    ngc = real_corpus / "ngc-federal"
    root = tmp_path / "ngc-federal"
    root.mkdir()
    for name in ("ngc-9568.md", "ngc-10008.md", "ngc-9978.md", "manifest.csv"):
        shutil.copy(ngc / name, root / name)
    report = sync([root], fake_settings)
    assert report.ok and len(report.added) == 3
    # the manifest lists 116 documents; the 113 not copied are each named in a warning
    assert len(report.warnings) == 113 and all("names a file that is not in" in r for _, r in report.warnings)
    docs = documents(fake_settings)
    assert docs["ngc-9568"]["issuer"] == "U.S. Preventive Services Task Force"
    assert (docs["ngc-9568"]["issue_date"], docs["ngc-9568"]["effective_date"]) == ("1996", "2013-03-19")
    assert docs["ngc-9978"]["issuer"] == "Department of Defense; Department of Veterans Affairs; Veterans Health Administration"
    assert docs["ngc-10008"]["effective_date"] == "2013-09-03"
    assert all(d["metadata_sources"]["issuer"] == d["metadata_sources"]["effective_date"] == "manifest"
               and d["metadata_sources"]["title"] == "front-matter" for d in docs.values())


def test_a_real_tricare_pdf_states_payer_manual_number_and_revision(real_corpus):
    doc = load_document(real_corpus / "tricare" / "tricare_genetic_testing_policy.pdf", max_bytes=50 * MB)
    meta, warnings = resolve(doc, "tricare/tricare_genetic_testing_policy")
    assert meta["issuer"] == "TRICARE" and meta["policy_number"] == "6010.63-M, Chapter 6, Section 3.1"
    assert (meta["issue_date"], meta["revision"], meta["revision_date"]) == ("2000-03-10", "C-24", "2024-10-31")
    assert meta["effective_date"] == "2024-10-31" and meta["metadata_sources"]["effective_date"] == "first-page"
    assert meta["title"].startswith("TRICARE Manuals") and meta["metadata_sources"]["title"] == "pdf-metadata"
    assert not warnings


def test_real_uspstf_pages_name_the_task_force_and_no_date(real_corpus):
    for name in ("colorectal-cancer-screening.html", "bladder-cancer-in-adults-screening.html"):
        meta, warnings = resolve(load_document(real_corpus / "uspstf" / name, max_bytes=50 * MB), name)
        assert meta["issuer"] == "USPSTF" and meta["metadata_sources"]["issuer"] == "first-page"
        # the pages hold no publication date ("literature scans conducted in April 2019" is not one)
        assert meta["effective_date"] == "" and meta["metadata_sources"]["effective_date"] == "none"
        assert not warnings
