"""Every page and report answer is bounded: the dashboard draws a page of heat maps, a capped
number of components per map and of KPIs; the expensive reports (findings, export, the
dashboard) run at most `reports_per_key` at once per API key, the rest answered 429."""

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from app.core.config import Settings
from app.core.report_limits import ReportLimiter
from app.dashboard import views
from app.db.engine import Database
from app.imports.schemas import ImportDocument
from app.imports.service import import_document
from tests.conftest import ADMIN_SECRET
from tests.problems import assert_problem
from tests.test_dashboard import dom

ORIGIN = {"Origin": "http://testserver"}


@pytest.fixture
def settings(database_url: str) -> Settings:
    return Settings(
        database_url=database_url,
        bootstrap_admin_key=ADMIN_SECRET,  # type: ignore[arg-type]
        reports_per_key=1,
    )


def _portfolio(database: Database, initiatives: int, components: int, kpis: int = 0) -> None:
    document: dict[str, Any] = {
        "initiatives": [
            {
                "key": f"init-{i:03d}",
                "name": f"Initiative {i}",
                "status": "active",
                "sponsor": "CMO",
                "components": [
                    {"key": f"c{c:03d}", "name": f"Component {c}", "raci": {"CIO": "AR"}}
                    for c in range(components)
                ],
            }
            for i in range(initiatives)
        ],
        "kpis": [
            {
                "key": f"kpi-{k:03d}",
                "name": f"KPI {k}",
                "baseline": 0,
                "baseline_date": "2026-01-01",
                "target": 100,
                "target_date": "2026-12-31",
                "owners": ["CMO", "CIO"],
                "initiatives": ["init-000"],
            }
            for k in range(kpis)
        ],
    }
    with database.transaction() as session:
        import_document(session, ImportDocument.model_validate(document))


@pytest.fixture
def web(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app, base_url="http://testserver", follow_redirects=False) as client:
        response = client.post("/dashboard/login", data={"key": ADMIN_SECRET}, headers=ORIGIN)
        assert response.status_code == 303
        yield client


def _heatmaps(html: str) -> list[str]:
    return [
        node.attrs["data-initiative"]
        for node in dom(html).find_all("article")
        if "data-initiative" in node.attrs
    ]


def test_the_dashboard_draws_a_page_of_heat_maps_with_links_to_the_others(
    web: TestClient, database: Database
) -> None:
    _portfolio(database, initiatives=25, components=2)
    first = web.get("/dashboard")
    assert first.status_code == 200
    assert _heatmaps(first.text) == [f"init-{i:03d}" for i in range(10)]
    pages = dom(first.text).find("nav", id="heatmap-pages")
    assert "Page 1 of 3" in pages.text
    assert [a.attrs["rel"] for a in pages.find_all("a")] == ["next"]
    last = web.get("/dashboard", params={"page": 3})
    assert _heatmaps(last.text) == [f"init-{i:03d}" for i in range(20, 25)]
    assert [
        a.attrs["rel"] for a in dom(last.text).find("nav", id="heatmap-pages").find_all("a")
    ] == ["prev"]
    # The summary still counts the whole portfolio.
    assert "25 initiatives" in dom(first.text).find("section", id="summary").text
    beyond = web.get("/dashboard", params={"page": 99})
    assert _heatmaps(beyond.text) == _heatmaps(last.text)
    assert web.get("/dashboard", params={"page": 0}).status_code == 422


def test_heat_maps_and_kpis_are_capped_and_say_how_many_are_left_out(
    web: TestClient, database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(views, "MAX_HEATMAP_ROWS", 5)
    monkeypatch.setattr(views, "MAX_LISTED_KPIS", 3)
    _portfolio(database, initiatives=1, components=8, kpis=4)
    html = dom(web.get("/dashboard").text)
    heatmap = html.find("article", id="initiative-init-000")
    assert len([n for n in heatmap.find_all("tr") if "data-component" in n.attrs]) == 5
    assert "3 more components not drawn" in heatmap.text
    kpis = html.find("section", id="kpis")
    assert len([n for n in kpis.find_all("tr") if "data-kpi" in n.attrs]) == 3
    assert "1 more KPIs not listed" in kpis.text


def test_a_large_portfolio_renders_a_bounded_page(web: TestClient, database: Database) -> None:
    """40 initiatives of 120 components: the page holds 10 maps of at most 100 rows."""
    _portfolio(database, initiatives=40, components=120)
    response = web.get("/dashboard")
    assert response.status_code == 200
    rows = [n for n in dom(response.text).find_all("tr") if "data-component" in n.attrs]
    assert len(rows) == 10 * 100
    assert len(response.content) < 1_500_000


# -- expensive reports, per key ------------------------------------------------------------------


@pytest.mark.parametrize(
    "path", ["/reports/findings", "/reports/gaps", "/reports/overlaps", "/export"]
)
def test_an_expensive_report_beyond_the_keys_limit_is_429_with_retry_after(
    app: FastAPI, client: TestClient, reader: TestClient, path: str
) -> None:
    limiter: ReportLimiter = app.state.reports
    limiter.acquire("pmo-tool")  # one report of this key still running
    try:
        response = client.get(path)
        body = assert_problem(response, 429, detail_contains="expensive report")
        assert "pmo-tool" in body["detail"]
        assert response.headers["retry-after"] == "2"
        assert reader.get(path).status_code == 200  # another key is not held up
    finally:
        limiter.release("pmo-tool")
    assert client.get(path).status_code == 200
    assert limiter.running("pmo-tool") == 0  # released after each report, also refused ones


def test_the_dashboard_counts_as_an_expensive_report(app: FastAPI, web: TestClient) -> None:
    limiter: ReportLimiter = app.state.reports
    limiter.acquire("bootstrap")
    try:
        response = web.get("/dashboard")
        assert response.status_code == 429
        assert response.headers["retry-after"] == "2"
    finally:
        limiter.release("bootstrap")
    assert web.get("/dashboard").status_code == 200
    assert limiter.running("bootstrap") == 0


def test_a_failed_report_releases_its_slot(app: FastAPI, client: TestClient) -> None:
    assert_problem(client.get("/reports/findings", params={"severity": "urgent"}), 422)
    assert_problem(client.get("/reports/findings", params={"bogus": "1"}), 422)
    assert app.state.reports.running("pmo-tool") == 0
    assert client.get("/reports/findings").status_code == 200


def test_cheap_reads_are_not_limited(app: FastAPI, client: TestClient) -> None:
    app.state.reports.acquire("pmo-tool")
    try:
        assert client.get("/roles").status_code == 200
        assert client.get("/reports/roles").status_code == 200
    finally:
        app.state.reports.release("pmo-tool")


def test_the_limiter_counts_per_key() -> None:
    limiter = ReportLimiter(2)
    limiter.acquire("a")
    limiter.acquire("a")
    limiter.acquire("b")
    with pytest.raises(Exception, match="already has 2 expensive reports"):
        limiter.acquire("a")
    limiter.release("a")
    limiter.acquire("a")
    assert limiter.running("a") == 2 and limiter.running("b") == 1
