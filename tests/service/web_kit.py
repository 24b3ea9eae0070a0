"""What the page's browser tests share: the app served with auth off (loopback) and a headless
Chromium on it, a phone's viewport, and the page printed to PDF and read back page by page."""

from __future__ import annotations

import base64
import io
import re
import unicodedata
from contextlib import contextmanager
from typing import Iterator
from urllib.parse import urlencode

from pypdf import PdfReader

import chromium
from app.service import create_app
from service_kit import served

ARTIFACTS = chromium.Path(__file__).resolve().parents[2] / "tests" / "artifacts"
A4 = {"paperWidth": 8.27, "paperHeight": 11.69}


@contextmanager
def browsing(settings, profile) -> Iterator[tuple[chromium.Browser, str]]:
    local = settings.model_copy(update={"api": settings.api.model_copy(update={"auth": "off", "keys": None})})
    with served(create_app(local)) as url:
        browser = chromium.Browser(profile)
        try:
            yield browser, url
        finally:
            browser.close()


def ask(browser: chromium.Browser, url: str, question: str, patient: str | None = None, timeout: float = 20) -> None:
    """Ask through the page's URL fragment and wait for the cited answer."""
    query = {"q": question, **({"patient": patient} if patient else {})}
    browser.open(f"{url}/#{urlencode(query)}")
    browser.wait_for("document.querySelector('#answer .references li') !== null", timeout=timeout)


def phone(browser: chromium.Browser, width: int = 390, height: int = 844) -> None:
    browser.send("Emulation.setDeviceMetricsOverride", width=width, height=height, deviceScaleFactor=1, mobile=True)


def no_horizontal_scroll(browser: chromium.Browser) -> bool:
    return browser.js("document.documentElement.scrollWidth <= window.innerWidth "
                      "&& document.body.scrollWidth <= window.innerWidth")


def printed(browser: chromium.Browser) -> list[str]:
    """The page as Chromium prints it on A4 (print media), each page's text as its words."""
    browser.send("Emulation.setEmulatedMedia", media="print")
    data = base64.b64decode(browser.send("Page.printToPDF", **A4)["data"])
    return [words(page.extract_text()) for page in PdfReader(io.BytesIO(data)).pages]


def words(text: str) -> str:
    """Text as its words, one space apart (ligatures and the PDF's line breaks undone)."""
    return " ".join(re.findall(r"\w+", unicodedata.normalize("NFKC", text)))
