"""The page's hand-over tools in headless Chromium: an answer's address is its permalink (opened
afresh, it fills the form and asks again; a conversation's link picks its session up without adding
a turn); Copy puts the answer on the clipboard as text with its numbered references (also where the
clipboard API is missing); the last 20 answers are listed from localStorage, re-open on a click and
can be cleared; none of it is printed, and a 390 px phone still does not scroll sideways."""

from __future__ import annotations

import json
from urllib.parse import parse_qs

import httpx
import pytest

import chromium
from service_kit import CPAP, SEED, SEED_PATIENT
from web_kit import ARTIFACTS, ask, browsing, no_horizontal_scroll, phone, printed, words

pytestmark = pytest.mark.skipif(not chromium.available(),
                                reason=f"needs Debian's chromium at {chromium.CHROMIUM} (`make browser` installs it)")

ANSWERED = "document.querySelector('#answer .references li') !== null && !state.busy"


@pytest.fixture
def page(settings, tmp_path):
    with browsing(settings, tmp_path / "profile") as page:
        yield page


def fragment(browser) -> dict:
    hash_ = browser.js("location.hash")
    assert hash_.startswith("#ask?"), hash_
    return {name: values[0] for name, values in parse_qs(hash_.removeprefix("#ask?")).items()}


def reload(browser, address: str) -> None:
    """A fresh load of ``address`` (as a link opened in a new tab), not a change of fragment."""
    browser.open("about:blank")
    browser.wait_for("location.href === 'about:blank'")
    browser.open(address)


def click(browser, selector: str) -> None:
    """A click as a person makes it (the page gets user activation, which the copy command needs)."""
    x, y = browser.js(f"(() => {{ const r = document.querySelector({json.dumps(selector)}).getBoundingClientRect();"
                      "return [r.x + r.width / 2, r.y + r.height / 2] })()")
    for event in ("mousePressed", "mouseReleased"):
        browser.send("Input.dispatchMouseEvent", type=event, x=x, y=y, button="left", clickCount=1)


def test_an_answers_address_is_a_permalink_that_asks_again(page):
    browser, url = page
    ask(browser, url, SEED, SEED_PATIENT)
    verdict = browser.js("state.answer.verdict")
    assert fragment(browser) == {"q": SEED, "patient": SEED_PATIENT}
    link = browser.js("location.href")

    reload(browser, link)
    browser.wait_for(ANSWERED)
    assert browser.js("[document.querySelector('#question').value, document.querySelector('#patient').value]") \
        == [SEED, SEED_PATIENT]
    assert browser.js("state.answer.verdict") == verdict
    assert browser.js("location.href") == link

    # a permalink pasted into the address bar of the open page asks its own question
    browser.js(f"location.hash = {json.dumps('#ask?' + httpx.QueryParams({'q': CPAP}).__str__())}")
    browser.wait_for(f"state.asked.question === {json.dumps(CPAP)} && {ANSWERED}")
    assert browser.js("document.querySelector('#patient').value") == ""
    assert fragment(browser) == {"q": CPAP}


def test_a_conversations_permalink_picks_up_its_session_without_adding_a_turn(page):
    browser, url = page
    browser.open(f"{url}/#{httpx.QueryParams({'q': SEED, 'patient': SEED_PATIENT, 'mode': 'chat'})}")
    browser.wait_for("document.querySelectorAll('#turns li').length === 1 && !state.busy")
    query = fragment(browser)
    session = query["session"]
    assert query["q"] == browser.js("state.asked.question") and "mycophenolate" in query["patient"]
    link = browser.js("location.href")

    reload(browser, link)
    browser.wait_for(ANSWERED)
    assert browser.js("state.sessionId") == session
    assert browser.js("document.querySelector('input[name=mode]:checked').value") == "chat"
    assert browser.js("document.querySelectorAll('#turns li').length") == 1
    assert "mycophenolate" in browser.js("document.querySelector('#facts').textContent")
    turns = httpx.get(f"{url}/v1/chat/{session}").json()["turns"]
    assert len(turns) == 1  # re-opening showed the turn again; it did not ask the session a second time

    # a lapsed session: the link still answers, as a single question
    httpx.delete(f"{url}/v1/chat/{session}")
    reload(browser, link)
    browser.wait_for(ANSWERED)
    assert browser.js("state.sessionId") is None
    assert browser.js("document.querySelector('input[name=mode]:checked').value") == "ask"
    assert "session" not in fragment(browser)


def test_copy_puts_the_answer_with_its_numbered_references_on_the_clipboard(page):
    browser, url = page
    browser.send("Browser.grantPermissions", origin=url, permissions=["clipboardReadWrite", "clipboardSanitizedWrite"])
    browser.send("Emulation.setFocusEmulationEnabled", enabled=True)  # headless, the page is never focused
    ask(browser, url, SEED, SEED_PATIENT)
    browser.js("document.querySelector('#copy').click()")
    assert browser.wait_for("document.querySelector('#copy-out').textContent") == "Copied"
    text = browser.js("navigator.clipboard.readText()")
    answer = browser.js("state.answer")
    lines = text.splitlines()
    assert lines[0] == f"**Question:** {answer['question'] or SEED}"
    assert lines[1] == f"**Patient:** {SEED_PATIENT}"
    assert lines[3].startswith("**Verdict: No — does not meet the criteria**")
    assert answer["summary"] in text
    for c in answer["citations"]:  # every reference, numbered as the answer's markers are, with its quote
        assert f"[{c['id']}] {c['title']} ({c['document_id']})" in text and f"“{c['quote']}”" in text
    for c in answer["criteria"]:
        assert c["text"] in text
    assert f"Permalink: {browser.js('location.href')}" in text

    # no clipboard API (a page served over plain http): the older copy command does it
    browser.js("window.readClipboard = navigator.clipboard.readText.bind(navigator.clipboard);"
               "navigator.clipboard.writeText('');"
               "Object.defineProperty(navigator, 'clipboard', {value: undefined});"
               "document.querySelector('#copy-out').textContent = ''")
    click(browser, "#copy")
    assert browser.wait_for("document.querySelector('#copy-out').textContent") == "Copied"
    assert browser.js("readClipboard()") == text


def test_past_answers_are_listed_reopened_and_cleared_and_never_printed(page):
    browser, url = page
    ask(browser, url, SEED, SEED_PATIENT)
    seed_verdict = browser.js("state.answer.verdict")
    browser.js(f"location.hash = {json.dumps('#ask?' + str(httpx.QueryParams({'q': CPAP})))}")
    browser.wait_for(f"state.asked.question === {json.dumps(CPAP)} && {ANSWERED}")
    cpap_verdict = browser.js("state.answer.verdict")

    reload(browser, url + "/")  # the history outlives the page
    browser.wait_for("!document.querySelector('#history').hidden")
    listed = browser.js("[...document.querySelectorAll('#history-list li')].map(li => "
                        "[li.querySelector('a').textContent, li.querySelector('.badge').className, "
                        "li.querySelector('time').dateTime])")
    assert [(q, badge.split()[-1]) for q, badge, _ in listed] == [(CPAP, f"verdict-{cpap_verdict}"),
                                                                  (SEED, f"verdict-{seed_verdict}")]
    assert all(at.endswith("Z") for _, _, at in listed)
    assert browser.js("document.querySelector('#answer').hidden")

    # a click re-opens the older answer: the form filled, asked again, and it heads the list
    browser.js("document.querySelectorAll('#history-list a')[1].click()")
    browser.wait_for(ANSWERED)
    assert browser.js("[document.querySelector('#question').value, document.querySelector('#patient').value]") \
        == [SEED, SEED_PATIENT]
    assert fragment(browser) == {"q": SEED, "patient": SEED_PATIENT}
    assert browser.js("[...document.querySelectorAll('#history-list a')].map(a => a.textContent)") == [SEED, CPAP]

    # printed, the history is not there; on a phone it wraps rather than scrolls
    assert browser.js("getComputedStyle(document.querySelector('#history')).display") != "none"
    pages = printed(browser)
    assert all(words("Recent questions") not in p and words("Clear history") not in p for p in pages)
    assert browser.js("getComputedStyle(document.querySelector('#history')).display") == "none"
    browser.send("Emulation.setEmulatedMedia", media="")
    phone(browser)
    browser.js("remember({q: 'Is ' + 'a-very-long-unbroken-drug-name'.repeat(12) + ' covered?', "
               "patient: 'x'.repeat(400)}, 'cannot_answer')")
    assert browser.js("document.querySelectorAll('#history-list li').length") == 3
    assert no_horizontal_scroll(browser)
    browser.js("document.querySelector('#history').scrollIntoView()")
    browser.screenshot(ARTIFACTS / "web-390-history.png")

    # the last 20 are kept, newest first; Clear history forgets them
    browser.js("for (let i = 0; i < 25; i++) remember({q: `question ${i}`}, 'no')")
    kept = browser.js("JSON.parse(localStorage.getItem('criterion-history')).map(e => e.q)")
    assert len(kept) == 20 and kept[0] == "question 24" and kept[-1] == "question 5"
    assert browser.js("document.querySelectorAll('#history-list li').length") == 20
    browser.js("document.querySelector('#clear-history').click()")
    assert browser.js("localStorage.getItem('criterion-history')") is None
    assert browser.js("document.querySelector('#history').hidden")


# Every POST to /v1/ask or /v1/chat the page makes, with its body, from before the page's own scripts run
RECORD_REQUESTS = """(() => {
  window.sent = [];
  const send = window.fetch.bind(window);
  window.fetch = (url, options) => {
    if (options && options.method === "POST" && /^\\/v1\\/(ask|chat|determinations)/.test(String(url))) {
      window.sent.push([String(url), JSON.parse(options.body)]);
    }
    return send(url, options);
  };
})();"""

DECIDED_UNDER = ("(() => { const box = document.querySelector('#answer .decided-under');"
                 "return box && {text: box.innerText, warn: box.classList.contains('warn'),"
                 "border: getComputedStyle(box).borderTopColor} })()")
WARNING_RED = "rgb(179, 38, 30)"  # --no in app.css


def test_a_plan_and_a_date_of_service_are_sent_shown_linked_remembered_and_copied(page):
    browser, url = page
    browser.send("Page.addScriptToEvaluateOnNewDocument", source=RECORD_REQUESTS)
    browser.open(url + "/")
    browser.wait_for("typeof formScope === 'function' && document.querySelector('#as-of') !== null")
    question = CPAP + " AHI 22."
    browser.js(f"document.querySelector('#question').value = {json.dumps(question)};"
               "document.querySelector('#payer').value = ' Cigna ';"
               "document.querySelector('#as-of').value = '2026-06-01';"
               "document.querySelector('#submit').click()")
    browser.wait_for(ANSWERED)
    asked = {"question": question, "patient": None, "payer": "Cigna", "as_of": "2026-06-01"}
    assert browser.js("sent") == [["/v1/ask", asked]]

    # the answer says whose policy decided: not Cigna's (the corpus has none), as a visible warning
    under = browser.js("state.answer.decided_under")
    assert (under["plan_named"], under["plan_in_corpus"], under["as_of"]) == ("Cigna", False, "2026-06-01")
    box = browser.js(DECIDED_UNDER)
    for part in ("Decided under:", under["title"], "policies/pap", "Test plan", under["status"],
                 "the corpus holds no policy from Cigna", "Date of service: 2026-06-01"):
        assert part in box["text"], part
    if under["effective_date"]:
        assert f"effective {under['effective_date']}" in box["text"]
    assert box["warn"] and box["border"] == WARNING_RED
    assert browser.js("getComputedStyle(document.querySelector('#answer .plan-missing')).color") == WARNING_RED

    # the permalink, the history entry and the Copy text carry the plan and the date
    assert fragment(browser) == {"q": question, "payer": "Cigna", "as_of": "2026-06-01"}
    entry = browser.js("JSON.parse(localStorage.getItem('criterion-history'))[0]")
    assert (entry["q"], entry["payer"], entry["as_of"]) == (question, "Cigna", "2026-06-01")
    assert browser.js("document.querySelector('#history-list .past-scope').textContent") \
        == "plan Cigna, date of service 2026-06-01"
    text = browser.js("answerText(state.answer, state.asked)").splitlines()
    assert text[1:3] == ["**Plan:** Cigna", "**Date of service:** 2026-06-01"]
    assert any(line.startswith("**Decided under:**") and "(policies/pap)" in line for line in text)
    assert any(line.startswith("⚠ **Plan:** Cigna — the corpus holds no policy from Cigna") for line in text)

    # printed, the box is on the determination's one page; on a phone nothing scrolls sideways
    pages = printed(browser)
    assert words("Decided under") in pages[0] and words("no policy from Cigna") in pages[0]
    assert "References" not in pages[0]
    browser.send("Emulation.setEmulatedMedia", media="")
    phone(browser)
    assert no_horizontal_scroll(browser)
    browser.js("document.querySelector('#edit-question').click()")
    assert browser.js("getComputedStyle(document.querySelector('#ask-form .fields')).display") == "block"
    assert no_horizontal_scroll(browser)
    browser.screenshot(ARTIFACTS / "web-390-decided-under.png")

    # opened afresh, the permalink fills the plan and the date and asks with them again
    link = browser.js("location.href")
    reload(browser, link)
    browser.wait_for(ANSWERED)
    assert browser.js("[document.querySelector('#payer').value, document.querySelector('#as-of').value]") \
        == ["Cigna", "2026-06-01"]
    assert browser.js("sent") == [["/v1/ask", asked]]
    assert browser.js(DECIDED_UNDER)["warn"]
    assert browser.js("location.href") == link

    # the letter is asked under the same plan and date
    browser.js("document.querySelector('#letter').click()")
    browser.wait_for("document.querySelector('#letter-link')?.href", timeout=60)
    assert browser.js("sent")[-1] == ["/v1/determinations", {**asked, "format": "pdf"}]


def test_a_conversation_keeps_its_plan_and_date_for_later_turns(page):
    browser, url = page
    browser.send("Page.addScriptToEvaluateOnNewDocument", source=RECORD_REQUESTS)
    browser.open(f"{url}/#ask?{httpx.QueryParams({'q': CPAP, 'payer': 'Aetna', 'as_of': '2026-06-01', 'mode': 'chat'})}")
    browser.wait_for("document.querySelectorAll('#turns li').length === 1 && !state.busy")
    assert browser.js("sent") == [["/v1/chat/stream", {"session_id": None, "message": CPAP, "patient": None,
                                                        "payer": "Aetna", "as_of": "2026-06-01"}]]
    assert "plan Aetna, date of service 2026-06-01" in browser.js("document.querySelector('#facts').textContent")
    assert browser.js("[document.querySelector('#payer').value, document.querySelector('#as-of').value]") == ["", ""]

    # a follow-up with the fields left empty: the conversation's plan and date still decide
    browser.js("document.querySelector('#question').value = 'and if the AHI is 20?';"
               "document.querySelector('#submit').click()")
    browser.wait_for("document.querySelectorAll('#turns li').length === 2 && !state.busy")
    body = browser.js("sent")[-1][1]
    assert "payer" not in body and "as_of" not in body
    under = browser.js("state.answer.decided_under")
    assert (under["plan_named"], under["as_of"]) == ("Aetna", "2026-06-01")
    query = fragment(browser)
    assert (query["payer"], query["as_of"]) == ("Aetna", "2026-06-01") and query["session"]

    # another plan named replaces it: the corpus's own plan decides, and the box does not warn
    browser.js("document.querySelector('#question').value = 'and if the AHI is 25?';"
               "document.querySelector('#payer').value = 'Test plan';"
               "document.querySelector('#submit').click()")
    browser.wait_for("document.querySelectorAll('#turns li').length === 3 && !state.busy")
    assert browser.js("sent")[-1][1]["payer"] == "Test plan"
    box = browser.js(DECIDED_UNDER)
    assert not box["warn"] and "Test plan — its own policy decided" in box["text"]
    assert "2026-06-01" in box["text"]
    query = fragment(browser)
    assert (query["payer"], query["as_of"]) == ("Test plan", "2026-06-01")

    # the conversation's permalink re-answers its turn under the same plan and date
    reload(browser, browser.js("location.href"))
    browser.wait_for(ANSWERED)
    assert browser.js("sent") == [["/v1/ask", {"question": query["q"], "patient": query.get("patient"),
                                               "payer": "Test plan", "as_of": "2026-06-01"}]]
    assert "plan Test plan" in browser.js("document.querySelector('#facts').textContent")
