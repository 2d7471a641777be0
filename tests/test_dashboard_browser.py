"""The dashboard in a real browser: headless Chromium against a real uvicorn server.

The server is `app.main:app` under uvicorn, in its own process, on a free port of
127.0.0.1, over the test database (SQLite or PostgreSQL) migrated and loaded with the demo
portfolio. The browser signs in by typing the key into the form and clicking, and the test
reads what the rendered page shows. Screenshots are kept in artifacts/ (git-ignored):
dashboard.png (1366x900, what a laptop shows first), dashboard-full.png (the whole page)
and dashboard-print.png/.pdf (the print stylesheet).
"""

import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from app.db.engine import Database
from app.imports.schemas import ImportDocument
from app.imports.service import import_document
from app.keys import service as keys_service
from app.keys.schemas import ApiKeyCreate
from tests.browser import Page, chromium, find_chromium
from tests.conftest import ADMIN_SECRET
from tests.test_dashboard import DEMO

PROJECT_ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = PROJECT_ROOT / "artifacts"
CHROMIUM = find_chromium()

pytestmark = pytest.mark.skipif(
    CHROMIUM is None,
    reason="no Chromium binary found (chromium, chromium-browser, google-chrome or "
    "$RACI_CHROMIUM); .ci/run installs Debian's chromium package",
)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture
def server(database: Database, database_url: str) -> Iterator[tuple[str, str]]:
    """(base URL, read key) of a uvicorn server over the demo portfolio."""
    document = ImportDocument.model_validate(json.loads(DEMO.read_text(encoding="utf-8")))
    with database.transaction() as session:
        import_document(session, document)
        _, read_key = keys_service.create_key(
            session, ApiKeyCreate(name="board-room", scope="read")
        )
    port = _free_port()
    env = {
        **os.environ,
        "RACI_DATABASE_URL": database_url,
        "RACI_BOOTSTRAP_ADMIN_KEY": ADMIN_SECRET,
        "RACI_LOG_LEVEL": "WARNING",
    }
    with tempfile.TemporaryFile() as log:
        process = subprocess.Popen(  # noqa: S603 - this interpreter, fixed arguments
            [
                sys.executable,
                "-m",
                "uvicorn",
                "app.main:app",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--no-access-log",
            ],
            cwd=PROJECT_ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 30
            while True:
                try:
                    if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if process.poll() is not None or time.monotonic() > deadline:
                    log.seek(0)
                    pytest.fail(f"uvicorn did not start:\n{log.read().decode(errors='replace')}")
                time.sleep(0.1)
            yield base, read_key
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)


# What the rendered page shows, read from its DOM in one go.
READ_PAGE = """(() => {
  const text = (e) => e ? e.innerText.trim() : null;
  const heat = {};
  for (const card of document.querySelectorAll('article[data-initiative]')) {
    const rows = {};
    for (const row of card.querySelectorAll('tr[data-component]')) {
      const cells = {};
      for (const cell of row.querySelectorAll('td[data-role]')) cells[cell.dataset.role] = text(cell);
      rows[row.dataset.component] = {
        cells, marks: [...row.querySelectorAll('.mark')].map(text),
        border: getComputedStyle(row.querySelector('th')).borderLeftColor,
      };
    }
    heat[card.dataset.initiative] = rows;
  }
  const kpis = {};
  for (const row of document.querySelectorAll('tr[data-kpi]')) {
    kpis[row.dataset.kpi] = {
      badge: text(row.querySelector('.badge')),
      points: row.querySelector('polyline') ? row.querySelector('polyline').getAttribute('points') : null,
      dots: row.querySelectorAll('circle').length,
      nodata: text(row.querySelector('.nodata')),
    };
  }
  const cellColour = (initiative, component, role) => {
    const cell = document.querySelector(
      `article[data-initiative="${initiative}"] tr[data-component="${component}"] td[data-role="${role}"]`);
    return cell ? getComputedStyle(cell).backgroundColor : null;
  };
  return {
    path: location.pathname, href: location.href, cookie: document.cookie,
    title: document.title, body: document.body.innerText,
    rulesCounted: [...document.querySelectorAll('#by-rule tr')]
      .filter((r) => !r.classList.contains('zero')).map((r) => r.dataset.rule),
    rulesListed: [...new Set([...document.querySelectorAll('#findings tr[data-rule]')].map((r) => r.dataset.rule))],
    severities: Object.fromEntries([...document.querySelectorAll('#by-severity [data-severity]')]
      .map((t) => [t.dataset.severity, Number(text(t.querySelector('.n')))])),
    heat, kpis,
    colours: {
      AR: cellColour('support-chatbot', 'nlu', 'CIO'),
      C: cellColour('support-chatbot', 'nlu', 'CMO'),
      empty: cellColour('support-chatbot', 'nlu', 'CEO'),
    },
    stylesheets: [...document.styleSheets].map((s) => s.href),
    scrollWidth: document.documentElement.scrollWidth,
    topbarDisplay: getComputedStyle(document.querySelector('.topbar')).display,
    legend: text(document.querySelector('.legend')),
  };
})()"""


def read_page(page: Page) -> dict[str, Any]:
    result: dict[str, Any] = page.evaluate(READ_PAGE)
    return result


def sign_in(page: Page, base: str, key: str) -> None:
    page.goto(f"{base}/dashboard")
    assert page.evaluate("location.pathname") == "/dashboard/login"
    page.type_into("#key", key)
    page.click_and_wait("#sign-in")


def test_chromium_signs_in_and_shows_the_demo_portfolio(server: tuple[str, str]) -> None:
    base, key = server
    assert CHROMIUM is not None
    findings = httpx.get(
        f"{base}/api/v1/reports/findings", headers={"Authorization": f"Bearer {key}"}
    ).json()
    with chromium(CHROMIUM, width=1366, height=900) as page:
        # A wrong key: the form again, with a message.
        sign_in(page, base, "not-the-right-key-at-all")
        assert page.evaluate("location.pathname") == "/dashboard/login"
        assert "unknown or has been revoked" in page.evaluate(
            "document.querySelector('#login-error').innerText"
        )

        # The right key: the dashboard, with the key in no URL and out of scripts' reach.
        page.type_into("#key", key)
        page.click_and_wait("#sign-in")
        shown = read_page(page)
        assert shown["path"] == "/dashboard"
        assert key not in shown["href"]
        assert shown["cookie"] == ""  # HttpOnly: invisible to scripts
        assert key not in page.evaluate("document.documentElement.outerHTML")
        assert shown["stylesheets"] == [f"{base}/static/dashboard.css"]

        # Summary: every rule with findings, counted and listed, and the severities.
        found_rules = {f["rule"] for f in findings["findings"]}
        assert set(shown["rulesCounted"]) == found_rules
        assert set(shown["rulesListed"]) == found_rules
        for rule in found_rules:
            assert rule in shown["body"]
        assert shown["severities"] == findings["summary"]["by_severity"]

        # Heat map letters, coloured per letter, and the marked rows.
        chatbot = shown["heat"]["support-chatbot"]
        assert chatbot["nlu"]["cells"] == {"CDO": "", "CEO": "", "CIO": "AR", "CMO": "C"}
        assert chatbot["crm-feed"]["cells"] == {"CDO": "A", "CEO": "", "CIO": "A", "CMO": "I"}
        assert "2 accountable: CDO, CIO" in chatbot["crm-feed"]["marks"]
        assert chatbot["nlu"]["marks"] == []
        assert chatbot["crm-feed"]["border"] != chatbot["nlu"]["border"]
        assert "Unowned" in shown["heat"]["smart-store-iot"]["shopper-insights"]["marks"]
        assert len({shown["colours"]["AR"], shown["colours"]["C"], shown["colours"]["empty"]}) == 3
        assert "several roles are accountable" in shown["legend"]
        assert "legacy-portal" not in shown["heat"]  # closed: left out by default

        # KPIs: status badges and trend lines.
        kpis = shown["kpis"]
        assert kpis["csat"]["badge"] == "Off track"
        assert len(kpis["csat"]["points"].split()) == 2
        assert kpis["containment-rate"]["points"] is None and kpis["containment-rate"]["dots"] == 1
        assert kpis["app-rating"]["badge"] == "No data"
        assert kpis["app-rating"]["nodata"] == "no data"

        # Fits a laptop screen: no sideways scrolling at 1366 pixels.
        assert shown["scrollWidth"] <= 1366
        page.evaluate("window.scrollTo(0, 0)")
        page.screenshot(ARTIFACTS / "dashboard.png")
        page.screenshot(ARTIFACTS / "dashboard-full.png", full_page=True)

        # Print: no navigation, black letters on white in the heat map.
        page.emulate_media("print")
        printed = read_page(page)
        assert printed["topbarDisplay"] == "none"
        assert printed["colours"]["AR"] in {"rgb(255, 255, 255)", "rgba(0, 0, 0, 0)"}
        page.screenshot(ARTIFACTS / "dashboard-print.png", full_page=True)
        pdf = page.pdf(ARTIFACTS / "dashboard.pdf").read_bytes()
        assert pdf.startswith(b"%PDF")
        # A page break between sections: more than one page.
        assert len(re.findall(rb"/Type\s*/Page(?!s)", pdf)) >= 2
        page.emulate_media("")

        # Filters through the form: the marketing portfolio only.
        page.click("input[name=portfolio][value=marketing]")
        page.click_and_wait(".filters button[type=submit]")
        filtered = read_page(page)
        assert "portfolio=marketing" in filtered["href"]
        assert list(filtered["heat"]) == ["spring-campaign"]

        # Sign out: back to the form, and the dashboard asks for the key again.
        page.click_and_wait("#sign-out")
        assert page.evaluate("location.pathname") == "/dashboard/login"
        page.goto(f"{base}/dashboard")
        assert page.evaluate("location.pathname") == "/dashboard/login"
