"""/docs and /redoc in Chromium on a machine without internet access: every script and
stylesheet comes from this server, the operations show, and the CSP is not violated."""

import json
import time
from typing import Any

import pytest

from tests.browser import OFFLINE_FLAGS, Page, chromium
from tests.test_dashboard_browser import CHROMIUM, server

__all__ = ["server"]  # the live server fixture, shared with the dashboard's browser test

pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="no Chromium binary found")

# Recorded from the first script on: the policy violations the page causes.
WATCH_VIOLATIONS = """
window.__violations = [];
document.addEventListener('securitypolicyviolation',
  (e) => window.__violations.push(e.violatedDirective + ' ' + e.blockedURI));
"""


def wait_until(page: Page, expression: str, timeout: float = 30.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = page.evaluate(expression)
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"never true: {expression}")
        time.sleep(0.2)


def open_offline(page: Page, url: str) -> None:
    """Open `url`, recording its requests and the policy violations it causes."""
    page.call("Network.enable")
    page.call("Page.addScriptToEvaluateOnNewDocument", source=WATCH_VIOLATIONS)
    page.goto(url)


def requests(page: Page) -> list[tuple[str, str]]:
    """(resource type, URL) of every request the page started."""
    return [(sent.get("type", ""), sent["request"]["url"]) for sent in page.requests]


def outside(base: str, requested: list[tuple[str, str]]) -> list[tuple[str, str]]:
    return [(kind, url) for kind, url in requested if not url.startswith((base, "data:", "blob:"))]


def test_swagger_ui_shows_the_operations_with_the_network_off(server: tuple[str, str]) -> None:
    base, _ = server
    assert CHROMIUM is not None
    with chromium(CHROMIUM, extra_flags=OFFLINE_FLAGS) as page:
        open_offline(page, f"{base}/docs")
        operations = wait_until(page, "document.querySelectorAll('.opblock').length")
        assert operations > 30
        text = page.evaluate("document.body.innerText")
        assert "Waive a finding" in text and "Correct (or record) a measurement" in text
        requested = requests(page)
        assert outside(base, requested) == []
        assert ("Script", f"{base}/docs/assets/swagger-ui-bundle.js") in requested
        assert ("Stylesheet", f"{base}/docs/assets/swagger-ui.css") in requested
        assert page.evaluate("window.__violations") == []
        # The key is kept in no storage of the browser.
        assert page.evaluate("JSON.stringify(localStorage)") in ("{}", json.dumps({}))


def test_redoc_shows_the_operations_with_the_network_off(server: tuple[str, str]) -> None:
    base, _ = server
    assert CHROMIUM is not None
    with chromium(CHROMIUM, extra_flags=OFFLINE_FLAGS) as page:
        open_offline(page, f"{base}/redoc")
        wait_until(page, "document.body.innerText.includes('Waive a finding')", timeout=60)
        requested = requests(page)
        assert ("Script", f"{base}/docs/assets/redoc.standalone.js") in requested
        elsewhere = outside(base, requested)
        assert [url for kind, url in elsewhere if kind in ("Script", "Stylesheet")] == []
        # ReDoc always draws its maker's logo from their CDN; the CSP blocks it before it
        # leaves (the page shows the link's text instead), and nothing else goes out.
        blocked = page.evaluate("window.__violations")
        assert all(kind == "Image" for kind, _ in elsewhere)
        assert all(text.startswith("img-src") for text in blocked), blocked
