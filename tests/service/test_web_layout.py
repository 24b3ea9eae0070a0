"""The page's layouts in headless Chromium: printed, the seed answer's determination fills one
page of its own (no form, no API-key box) before the evidence; on a 390 px phone nothing scrolls
sideways, criteria are stacked cards and the form folds to one line after asking; the documents
page lists, uploads with progress, previews a section's chunks and retires. Screenshots go to
tests/artifacts/. A thumbs-down with a comment on the page becomes a draft case `criterion eval` runs."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

import chromium
from app.api.feedback import FEEDBACK_FILE
from app.cli import app as cli
from evals.cases import load_cases
from service_kit import SEED, SEED_PATIENT
from test_web_page import GOLD_SEED_PATIENT, ROOT
from web_kit import ARTIFACTS, ask, browsing, no_horizontal_scroll, phone, printed, words

pytestmark = pytest.mark.skipif(not chromium.available(),
                                reason=f"needs Debian's chromium at {chromium.CHROMIUM} (`make browser` installs it)")

# The seed answer's criteria as the bundled corpus words them (README): long, cited, with numbers
CRITERIA = [
    {"text": "The patient had an inadequate response to corticosteroids and to at least 2 nonsteroidal "
             "immunosuppressants (for example azathioprine, mycophenolate mofetil, tacrolimus, methotrexate, "
             "cyclosporine), each given at an adequate dose for an adequate duration (at least 12 months for "
             "azathioprine and at least 6 months for the others), or has contraindications to them.",
     "status": "not_met", "detail": "1 of the required 2 nonsteroidal immunosuppressants documented (mycophenolate "
                                    "mofetil)", "citations": [1]},
    {"text": "The starting dose is no more than 1 g/kg every 3 weeks or 2 g/kg every 4 weeks.", "status": "met",
     "detail": "requested 1 g/kg vs limit 2 g/kg; requested every 3 weeks vs at most every 3 weeks", "citations": [1]},
    {"text": "The prescriber is a neurologist with neuromuscular expertise.", "status": "not_documented",
     "detail": "", "citations": [2]},
]


@pytest.fixture
def page(settings, tmp_path):
    with browsing(settings, tmp_path / "profile") as page:
        yield page


def test_the_seed_answers_determination_prints_on_one_page(page):
    browser, url = page
    ask(browser, url, SEED, SEED_PATIENT)
    check_printed_determination(browser)


def check_printed_determination(browser) -> list[str]:
    """Printed on A4, the determination (verdict, summary, criteria, checks, missing information, with
    the question and patient it answers) fills the first page and the evidence starts on the next;
    nothing that is only for the screen is printed."""
    blocks = browser.js("[...document.querySelectorAll('#answer .determination :is(.verdict, .summary, "
                        "td, .checks li, .missing li)')].map(e => e.innerText)")
    question = browser.js("state.asked.question")
    patient = browser.js("state.asked.patient")
    pages = printed(browser)
    assert len(pages) >= 2  # the determination's page, then the evidence
    first = pages[0]
    for block in [*blocks, question, patient]:  # all of the determination is on the first page
        assert words(block) in first, block
    assert "References" not in first and "References" in pages[1]
    everything = " ".join(pages)
    for screen_only in ("Single question", "API key", "Patient context", "Print Letter", "Open the section",
                        "Documents API", "passages indexed"):
        assert words(screen_only) not in everything, screen_only
    hidden = browser.js("['#ask-form', '#key-box', 'nav.views', '.answer-tools', '#viewer', 'footer']"
                        ".map(s => getComputedStyle(document.querySelector(s)).display)")
    assert set(hidden) == {"none"}
    return pages


@pytest.mark.slow
def test_the_bundled_seed_answer_prints_its_determination_on_one_page_and_fits_a_phone(tmp_path):
    """The seed question with the gold patient over the two documents its answer cites, with the
    bundled embedding model: five long criteria, checks and missing information on one A4 page;
    at 390 px, the criteria as cards and nothing scrolling sideways."""
    from app.settings import Settings
    from ingest.sync import sync

    corpus = tmp_path / "corpus"
    for name in ("policies/immune-globulin.md", "guidelines/myasthenia-gravis-ivig-evidence.md"):
        (corpus / name).parent.mkdir(parents=True, exist_ok=True)
        (corpus / name).write_text((ROOT / "corpus" / name).read_text())
    settings = Settings(data_dir=tmp_path / "data", api={"auth": "off"})
    sync([corpus], settings)
    with browsing(settings, tmp_path / "profile") as (browser, url):
        ask(browser, url, SEED, GOLD_SEED_PATIENT, timeout=120)
        assert browser.js("document.querySelectorAll('#answer .criteria tbody tr').length") >= 4
        check_printed_determination(browser)
        browser.send("Emulation.setEmulatedMedia", media="")
        phone(browser)
        browser.js("render(state.answer)")
        assert browser.js("getComputedStyle(document.querySelector('#answer .criteria tr')).display") == "flex"
        assert no_horizontal_scroll(browser)
        browser.screenshot(ARTIFACTS / "web-390-seed-bundled-corpus.png")


def test_a_390px_phone_has_no_sideways_scroll_stacked_criteria_and_a_folded_form(page):
    browser, url = page
    phone(browser)
    ask(browser, url, SEED, SEED_PATIENT)
    assert browser.js("window.innerWidth") == 390
    assert no_horizontal_scroll(browser)
    # the form folds to the question and an Edit button once the answer is in
    assert browser.js("getComputedStyle(document.querySelector('#ask-form .fields')).display") == "none"
    assert browser.js("document.querySelector('#asked-question').textContent") == SEED
    assert browser.js("document.querySelector('#answer').getBoundingClientRect().top") < 300
    # criteria as stacked cards: an answer with the bundled corpus's long criteria, rendered by the page
    browser.js(f"render({{...state.answer, criteria: {CRITERIA!r}}})".replace("True", "true"))
    cards = browser.js("[...document.querySelectorAll('#answer .criteria tbody tr')].map(tr => {"
                       "const r = tr.getBoundingClientRect(); return [getComputedStyle(tr).display, r.left, r.right]})")
    assert len(cards) == 3 and all(display == "flex" and right <= 390 for display, _, right in cards)
    assert browser.js("getComputedStyle(document.querySelector('#answer .criteria thead')).display") == "none"
    first = browser.js("[...document.querySelector('#answer .criteria tbody tr').children].map(td => "
                       "[td.className, Math.round(td.getBoundingClientRect().top)])")
    assert min(first, key=lambda cell: cell[1])[0].startswith("status")  # the status heads its card
    assert no_horizontal_scroll(browser)
    browser.screenshot(ARTIFACTS / "web-390-answer.png")
    # a citation opens its section over the page, and closing it returns to the answer
    browser.js("document.querySelector('#answer a.cite').click()")
    browser.wait_for("document.querySelector('#viewer-quote') !== null")
    assert browser.js("document.querySelector('#viewer').getBoundingClientRect().width") == 390
    assert no_horizontal_scroll(browser)
    browser.screenshot(ARTIFACTS / "web-390-source.png")
    browser.js("document.querySelector('#viewer-close').click()")
    assert browser.js("document.querySelector('#viewer').hidden")
    browser.js("document.querySelector('#edit-question').click()")
    assert browser.js("getComputedStyle(document.querySelector('#ask-form .fields')).display") == "block"
    assert browser.js("document.activeElement.id") == "question"
    browser.open(f"{url}/#documents")
    browser.wait_for("document.querySelectorAll('#doc-rows tr').length === 2")
    assert no_horizontal_scroll(browser)


def test_the_documents_page_uploads_with_progress_previews_chunks_and_retires(page, tmp_path):
    browser, url = page
    browser.open(f"{url}/#documents")
    browser.wait_for("document.querySelectorAll('#doc-rows tr').length === 2")
    rows = browser.js("[...document.querySelectorAll('#doc-rows tr')].map(tr => tr.dataset.id)")
    assert rows == ["policies/immune-globulin", "policies/pap"]
    assert browser.js("document.querySelectorAll('#doc-rows .retire').length") == 0  # corpus files are not retired here

    knee = tmp_path / "knee-arthroscopy.md"
    knee.write_text("---\ntitle: Knee arthroscopy\nissuer: Test plan\neffective_date: 2026-03-01\n---\n"
                    "# Knee arthroscopy\n\n## Policy\n\nArthroscopic debridement of the knee is not covered for "
                    "osteoarthritis of the knee.\n")
    browser.send("DOM.enable")
    root = browser.send("DOM.getDocument")["root"]["nodeId"]
    node = browser.send("DOM.querySelector", nodeId=root, selector="#upload-file")["nodeId"]
    browser.send("DOM.setFileInputFiles", files=[str(knee)], nodeId=node)
    browser.js("window.seen = []; new MutationObserver(() => seen.push(document.querySelector('#upload-status')"
               ".textContent)).observe(document.querySelector('#upload-status'), {childList: true, subtree: true});"
               "document.querySelector('#upload-button').click()")
    browser.wait_for("document.querySelectorAll('#doc-rows tr').length === 3", timeout=60)
    seen = browser.js("seen")
    assert any("Uploading knee-arthroscopy.md: 100%" in s for s in seen), seen  # progress, then ingesting
    assert any("checking and ingesting" in s for s in seen), seen
    assert seen[-1] == "added: uploads/knee-arthroscopy (1 chunk)"
    assert browser.js("document.querySelector('#upload-progress').hidden")

    # the new document's detail opens; its section's chunks are previewed
    browser.wait_for("document.querySelector('#doc-detail h2')?.textContent === 'Knee arthroscopy'")
    browser.js("document.querySelector('#doc-detail .preview').click()")
    chunk = browser.wait_for("document.querySelector('#chunk-preview .chunk-text')?.textContent")
    assert chunk == "Arthroscopic debridement of the knee is not covered for osteoarthritis of the knee."
    assert "uploads/knee-arthroscopy#" in browser.js("document.querySelector('#chunk-preview .chunk-head').textContent")
    browser.screenshot(ARTIFACTS / "web-documents.png")

    browser.js("window.confirm = () => true;"
               "document.querySelector('#doc-rows tr[data-id=\"uploads/knee-arthroscopy\"] .retire').click()")
    browser.wait_for("document.querySelectorAll('#doc-rows tr').length === 2", timeout=60)
    assert "retired uploads/knee-arthroscopy" in browser.js("document.querySelector('#upload-status').textContent")


def test_the_letter_button_makes_the_determination_letter(page):
    browser, url = page
    ask(browser, url, SEED, SEED_PATIENT)
    browser.js("document.querySelector('#letter').click()")
    link = browser.wait_for("document.querySelector('#letter-link')?.href", timeout=60)
    assert link.startswith("blob:")
    assert browser.js("document.querySelector('#letter-link').textContent").endswith(".pdf)")
    assert browser.js("state.letter.type") == "application/pdf"  # (the page's policy lets it open, not fetch, a blob:)
    assert browser.js("state.letter.slice(0, 5).text()") == "%PDF-"


def test_the_documents_page_with_auth_on_uses_the_key_box_and_shows_refusals(settings, tmp_path):
    from app.service import create_app
    from service_kit import KEYS, served

    with served(create_app(settings)) as url:  # auth on: keys for each role
        browser = chromium.Browser(tmp_path / "profile")
        try:
            browser.open(f"{url}/#documents")
            refused = browser.wait_for("!document.querySelector('#doc-error').hidden && "
                                       "document.querySelector('#doc-error').textContent")
            assert refused.startswith("unauthorized: ")
            browser.js(f"document.querySelector('#api-key').value = '{KEYS['clinician']}'; showDocuments()")
            browser.wait_for("document.querySelectorAll('#doc-rows tr').length === 2")
            knee = tmp_path / "knee.md"
            knee.write_text("# Knee\n\nArthroscopic debridement is not covered for osteoarthritis of the knee.\n")
            browser.send("DOM.enable")
            root = browser.send("DOM.getDocument")["root"]["nodeId"]
            node = browser.send("DOM.querySelector", nodeId=root, selector="#upload-file")["nodeId"]
            browser.send("DOM.setFileInputFiles", files=[str(knee)], nodeId=node)
            browser.js("document.querySelector('#upload-button').click()")
            status = browser.wait_for("document.querySelector('#upload-status .error-text')?.textContent")
            assert status.startswith("forbidden: ")  # a clinician may read, not upload
            assert browser.js("document.querySelectorAll('#doc-rows tr').length") == 2
        finally:
            browser.close()


def test_a_thumbs_down_with_a_comment_on_the_page_becomes_a_draft_case_eval_accepts(page, settings, tmp_path,
                                                                                       monkeypatch):
    browser, url = page
    ask(browser, url, SEED, SEED_PATIENT)
    browser.js("document.querySelector('#feedback-down').click()")
    assert browser.js("document.querySelector('#feedback-form').hidden") is False
    browser.js("document.querySelector('#feedback-comment').value = 'Only one immunosuppressant was tried.';"
               "document.querySelector('#feedback-expected').value = 'no';"
               "document.querySelector('#feedback-send').click()")
    stored = browser.wait_for("document.querySelector('#feedback-out').textContent.startsWith('Thanks') && "
                              "document.querySelector('#feedback-out').textContent", timeout=30)
    assert "stored" in stored and browser.js("document.querySelector('#feedback-form').hidden") is True

    out = tmp_path / "drafts.yaml"
    exported = CliRunner().invoke(cli, ["feedback", "export", "--feedback", str(settings.data_dir / FEEDBACK_FILE),
                                        "--out", str(out)])
    assert exported.exit_code == 0, exported.output
    (case,) = load_cases(out)
    assert (case.question, case.patient, case.expected_verdict) == (SEED, SEED_PATIENT, "no")
    assert "Only one immunosuppressant was tried." in out.read_text()
    monkeypatch.setenv("CRITERION_EMBEDDING__BACKEND", "fake")  # the index the page's fixture built
    thresholds = tmp_path / "thresholds.yaml"
    thresholds.write_text("floors: {}\n")
    ran = CliRunner().invoke(cli, ["eval", "--cases", str(out), "--index", str(settings.index_path),
                                   "--out", str(tmp_path / "report"), "--thresholds", str(thresholds)])
    assert ran.exit_code == 0, ran.output
    assert [c["id"] for c in json.loads((tmp_path / "report" / "report.json").read_text())["cases"]] == [case.id]
