"""/docs in headless Chromium: the packaged Swagger UI reads the service's OpenAPI 3.1 document and
lists its operations, loading nothing from outside the service."""

from __future__ import annotations

import pytest

import chromium
from app.service import create_app
from service_kit import served

ROOT = chromium.Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "tests" / "artifacts"

pytestmark = pytest.mark.skipif(not chromium.available(),
                                reason=f"needs Debian's chromium at {chromium.CHROMIUM} (`make browser` installs it)")


def test_docs_renders_every_operation_offline(settings, tmp_path):
    with served(create_app(settings)) as url:
        browser = chromium.Browser(tmp_path / "profile")
        try:
            browser.open(f"{url}/docs")
            browser.wait_for("document.querySelectorAll('.opblock').length > 0", timeout=30)
            text = browser.js("document.body.innerText")
            assert "Unable to render this definition" not in text
            assert "OAS 3.1" in text  # Swagger UI shows the version of the document it read
            operations = browser.js("[...document.querySelectorAll('.opblock')].map(o => "
                                    "o.querySelector('.opblock-summary-method').textContent + ' ' + "
                                    "o.querySelector('.opblock-summary-path').dataset.path)")
            for expected in ("POST /v1/ask", "GET /v1/documents", "GET /v1/documents/{document_id}/section",
                             "GET /healthz"):
                assert expected in operations, operations
            origins = browser.js("[...performance.getEntriesByType('resource')].map(e => new URL(e.name).origin)")
            assert origins and set(origins) == {url}  # the bundle, its stylesheet and the schema: nothing else
            browser.screenshot(ARTIFACTS / "docs.png")
        finally:
            browser.close()
