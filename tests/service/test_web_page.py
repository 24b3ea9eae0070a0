"""The web page in headless Chromium: the seed question renders a determination with working
citation links (a marker scrolls to and highlights its quote), and chat mode resolves a
follow-up. Screenshots go to tests/artifacts/."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest

import chromium
from app.service import create_app
from ingest.sync import sync
from service_kit import SEED, SEED_PATIENT, served

ROOT = chromium.Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "tests" / "artifacts"
GOLD_SEED_PATIENT = ("MG-ADL 9, up from 6; intermittent diplopia, ptosis, dysarthria and dysphagia; prednisone 40 mg "
                     "daily and mycophenolate tried; prior IVIG courses for exacerbations; back at work 5 hours a day; "
                     "no respiratory compromise.")

pytestmark = pytest.mark.skipif(not chromium.available(),
                                reason=f"needs Debian's chromium at {chromium.CHROMIUM} (apt-get install chromium; "
                                       "`make test` installs it)")


@pytest.fixture
def page(settings, tmp_path):
    local = settings.model_copy(update={"api": settings.api.model_copy(update={"auth": "off", "keys": None})})
    with served(create_app(local)) as url:
        browser = chromium.Browser(tmp_path / "profile")
        try:
            yield browser, url
        finally:
            browser.close()


def test_the_seed_question_renders_a_cited_determination(page):
    browser, url = page
    browser.open(f"{url}/#{urlencode({'q': SEED, 'patient': SEED_PATIENT})}")
    browser.wait_for("document.querySelector('#answer .references li') !== null")
    verdict = browser.js("document.querySelector('#answer .verdict').dataset.verdict")
    assert verdict == "no"  # maintenance needs 2 nonsteroidal immunosuppressants; the record names one
    assert browser.js("document.querySelector('#answer .summary').textContent").strip()
    quotes = browser.js("[...document.querySelectorAll('.references blockquote.quote')].map(q => q.textContent)")
    assert quotes and any("myasthenia gravis" in q for q in quotes)
    markers = browser.js("[...document.querySelectorAll('#answer a.cite')].map(a => a.dataset.ref)")
    assert markers and set(markers) <= {str(i) for i in range(1, len(quotes) + 1)}
    assert browser.js("location.hash") == f"#ask?{urlencode({'q': SEED, 'patient': SEED_PATIENT})}"  # its permalink

    last = max(markers, key=int)
    browser.js(f"document.querySelector('#answer a.cite[data-ref=\"{last}\"]').click()")
    highlighted = browser.wait_for("document.querySelector('.references li.highlight')?.id")
    assert highlighted == f"ref-{last}"
    assert browser.js("document.activeElement.id") == f"ref-{last}"
    browser.screenshot(ARTIFACTS / "web-answer.png")
    assert (ARTIFACTS / "web-answer.png").stat().st_size > 10_000
    assert browser.js("document.querySelector('#footer').textContent").startswith("2 documents")


def test_chat_mode_resolves_a_follow_up(page):
    browser, url = page
    browser.open(f"{url}/#{urlencode({'q': SEED, 'patient': SEED_PATIENT, 'mode': 'chat'})}")
    browser.wait_for("document.querySelectorAll('#turns li').length === 1")
    browser.js("document.querySelector('#question').value = 'what about for CIDP?';"
               "document.querySelector('#submit').click()")
    browser.wait_for("document.querySelectorAll('#turns li').length === 2")
    resolved = browser.js("document.querySelectorAll('#turns li')[1].querySelector('.resolved').textContent")
    assert "CIDP" in resolved and "refractory" not in resolved  # the new condition replaces the old with its modifier
    facts = browser.js("document.querySelector('#facts').textContent")
    assert "mycophenolate" in facts and "MG-ADL" not in facts  # a score of the old condition does not carry over
    first_ref = browser.js("document.querySelector('.references li').textContent")
    assert "CIDP" in first_ref
    browser.screenshot(ARTIFACTS / "web-chat.png")


def test_errors_are_shown_on_the_page(page):
    browser, url = page
    browser.open(f"{url}/#{urlencode({'q': 'x' * 5000})}")
    message = browser.wait_for("!document.querySelector('#error').hidden && document.querySelector('#error').textContent")
    assert message.startswith("question_too_long: ")  # the service's 422 code for an over-long question


@pytest.mark.slow
def test_the_seed_question_on_the_bundled_corpus(tmp_path):
    """The acceptance view, as `make run` serves it: corpus/ indexed with the bundled embedding
    model, auth off on loopback; the seed question with its patient renders the determination
    ("no" for the ongoing regimen), its criteria, and citation links that highlight their quote."""
    from app.settings import Settings

    settings = Settings(data_dir=tmp_path / "data", api={"auth": "off"})
    sync([ROOT / "corpus"], settings)
    with served(create_app(settings)) as url:
        browser = chromium.Browser(tmp_path / "profile")
        try:
            browser.open(f"{url}/#{urlencode({'q': SEED, 'patient': GOLD_SEED_PATIENT})}")
            browser.wait_for("document.querySelector('#answer .references li') !== null", timeout=120)
            assert browser.js("document.querySelector('#answer .verdict').dataset.verdict") == "no"
            assert browser.js("document.querySelectorAll('#answer .criteria tbody tr').length") > 0
            documents = browser.js("[...document.querySelectorAll('.references li')].map(li => li.dataset.document)")
            assert "policies/immune-globulin" in documents
            quotes = browser.js("[...document.querySelectorAll('.references li')].map(li => li.textContent).join(' ')")
            assert "maintenance" in quotes.lower()
            browser.js("document.querySelector('#answer .summary a.cite').click()")
            ref = browser.wait_for("document.querySelector('.references li.highlight')?.id")
            assert ref == "ref-" + browser.js("document.querySelector('#answer .summary a.cite').dataset.ref")
            browser.screenshot(ARTIFACTS / "web-seed-bundled-corpus.png")
        finally:
            browser.close()
