"""The dashboard through the TestClient: login and its cookie, CSRF checks, what the demo
portfolio shows (findings, heat map letters and marks, workload, KPI status and trends),
escaping, filters, and that everything the page loads is served by the app itself."""

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

import app as app_package
from app.core.auth_limits import AuthLimiter
from app.dashboard.kpi_rows import TREND_HEIGHT, TREND_WIDTH, trend_of
from app.db.engine import Database
from app.imports.schemas import ImportDocument
from app.imports.service import import_document
from app.keys import service as keys_service
from app.keys.schemas import ApiKeyCreate

DEMO = Path(app_package.__file__).parent / "data" / "portfolio.json"
ORIGIN = {"Origin": "http://testserver"}

# --- a small DOM, from the standard library's parser -------------------------------------

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"}


@dataclass
class Node:
    tag: str
    attrs: dict[str, str]
    children: list["Node"] = field(default_factory=list)
    parts: list[str] = field(default_factory=list)

    @property
    def text(self) -> str:
        own = "".join(self.parts)
        return " ".join((own + " " + " ".join(c.text for c in self.children)).split())

    def iter(self) -> Iterator["Node"]:
        for child in self.children:
            yield child
            yield from child.iter()

    def find_all(self, tag: str | None = None, **attrs: str) -> list["Node"]:
        def matches(node: Node) -> bool:
            if tag is not None and node.tag != tag:
                return False
            return all(node.attrs.get(k.replace("_", "-")) == v for k, v in attrs.items())

        return [node for node in self.iter() if matches(node)]

    def find(self, tag: str | None = None, **attrs: str) -> "Node":
        found = self.find_all(tag, **attrs)
        assert found, f"no <{tag}> with {attrs}"
        return found[0]


class _TreeBuilder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Node("#document", {})
        self.stack = [self.root]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        node = Node(tag, {k: v or "" for k, v in attrs})
        self.stack[-1].children.append(node)
        if tag not in VOID:
            self.stack.append(node)

    def handle_endtag(self, tag: str) -> None:
        for depth in range(len(self.stack) - 1, 0, -1):
            if self.stack[depth].tag == tag:
                del self.stack[depth:]
                return

    def handle_data(self, data: str) -> None:
        self.stack[-1].parts.append(data)


def dom(html: str) -> Node:
    builder = _TreeBuilder()
    builder.feed(html)
    builder.close()
    return builder.root


# --- fixtures ----------------------------------------------------------------------------


def _new_key(database: Database, name: str, scope: str = "read") -> str:
    with database.transaction() as session:
        _, secret = keys_service.create_key(session, ApiKeyCreate(name=name, scope=scope))  # type: ignore[arg-type]
    return secret


@pytest.fixture
def read_key(database: Database) -> str:
    return _new_key(database, "leaders")


@pytest.fixture
def web(app: FastAPI) -> Iterator[TestClient]:
    """A browser-like client at the site's root, following no redirects by itself."""
    with TestClient(app, base_url="http://testserver", follow_redirects=False) as client:
        yield client


@pytest.fixture
def demo(database: Database) -> None:
    document = ImportDocument.model_validate(json.loads(DEMO.read_text(encoding="utf-8")))
    with database.transaction() as session:
        import_document(session, document)


def log_in(web: TestClient, key: str, headers: dict[str, str] = ORIGIN) -> Any:
    return web.post("/dashboard/login", data={"key": key}, headers=headers)


@pytest.fixture
def signed_in(web: TestClient, read_key: str) -> TestClient:
    assert log_in(web, read_key).status_code == 303
    return web


def page(web: TestClient, url: str = "/dashboard") -> Node:
    response = web.get(url)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/html")
    return dom(response.text)


def set_cookie_headers(response: Any) -> list[str]:
    return response.headers.get_list("set-cookie")


# --- login, cookie, logout ---------------------------------------------------------------


def test_login_keeps_the_key_in_an_httponly_samesite_strict_cookie(
    web: TestClient, read_key: str
) -> None:
    response = log_in(web, read_key)
    assert response.status_code == 303
    assert response.headers["location"] == "/dashboard"
    (cookie,) = set_cookie_headers(response)
    attributes = [part.strip().lower() for part in cookie.split(";")]
    assert attributes[0].startswith("raci_dashboard=")
    assert "httponly" in attributes
    assert "samesite=strict" in attributes
    assert "path=/dashboard" in attributes
    assert "secure" not in attributes  # plain http: a Secure cookie would never come back
    assert any(a.startswith("max-age=") for a in attributes)
    assert web.get("/dashboard").status_code == 200


def test_the_header_shows_whom_the_key_acts_for(web: TestClient, database: Database) -> None:
    with database.transaction() as session:
        data = ApiKeyCreate(name="cio-office", scope="read", acts_for=["CIO", "CDO"])
        _, secret = keys_service.create_key(session, data)
    assert log_in(web, secret).status_code == 303
    who = page(web).find("div", **{"class": "who"})
    assert "cio-office" in who.text and "acting for CDO, CIO" in who.text


def test_a_key_acting_for_no_role_shows_only_its_name(signed_in: TestClient) -> None:
    assert "acting for" not in page(signed_in).find("div", **{"class": "who"}).text


def test_cookie_is_secure_over_https(app: FastAPI, read_key: str) -> None:
    with TestClient(app, base_url="https://testserver", follow_redirects=False) as client:
        response = log_in(client, read_key, {"Origin": "https://testserver"})
    assert response.status_code == 303
    (cookie,) = set_cookie_headers(response)
    attributes = [part.strip().lower() for part in cookie.split(";")]
    assert {"secure", "httponly", "samesite=strict"} <= set(attributes)


def test_without_a_cookie_the_dashboard_redirects_to_the_login_form(web: TestClient) -> None:
    response = web.get("/dashboard")
    assert response.status_code == 303
    assert response.headers["location"] == "/dashboard/login"
    form = page(web, "/dashboard/login").find("form", id="login-form")
    assert form.attrs["method"] == "post"
    assert form.attrs["action"] == "/dashboard/login"
    key_input = form.find("input", name="key")
    assert key_input.attrs["type"] == "password"


def test_a_bad_key_shows_the_form_again_and_counts_as_a_failed_authentication(
    app: FastAPI, web: TestClient
) -> None:
    app.state.auth_failures = AuthLimiter(1, 100)
    bad = "not-a-key-0123456789abcdef"
    response = log_in(web, bad)
    assert response.status_code == 401
    assert set_cookie_headers(response) == []
    html = dom(response.text)
    assert "unknown or has been revoked" in html.find(id="login-error").text
    assert html.find("form", id="login-form")
    assert bad not in response.text  # never echoed back
    assert log_in(web, "another-bad-key-0123456789").status_code == 429  # it was counted
    assert web.get("/dashboard").status_code == 303


def test_too_many_failed_sign_ins_are_429_yet_a_right_key_still_signs_in(
    app: FastAPI, web: TestClient, read_key: str
) -> None:
    app.state.auth_failures = AuthLimiter(2, 100)
    assert log_in(web, "wrong-key-number-one").status_code == 401
    assert log_in(web, "wrong-key-number-two").status_code == 401
    response = log_in(web, "wrong-key-number-three")
    assert response.status_code == 429
    assert response.headers["retry-after"] == "60"
    assert "Too many failed authentications" in dom(response.text).find(id="login-error").text
    assert set_cookie_headers(response) == []
    # Everyone behind the same address keeps working with a key that authenticates.
    assert log_in(web, read_key).status_code == 303


def test_an_empty_key_is_asked_for_again(web: TestClient) -> None:
    response = log_in(web, "   ")
    assert response.status_code == 400
    assert "Enter an API key" in response.text
    assert set_cookie_headers(response) == []


def test_a_revoked_key_in_the_cookie_sends_back_to_the_login_form(
    web: TestClient, database: Database
) -> None:
    secret = _new_key(database, "short-lived")
    assert log_in(web, secret).status_code == 303
    assert web.get("/dashboard").status_code == 200
    with database.transaction() as session:
        keys_service.revoke_key(session, "short-lived")
    response = web.get("/dashboard")
    assert response.status_code == 303
    assert response.headers["location"] == "/dashboard/login"
    assert any("max-age=0" in c.lower() for c in set_cookie_headers(response))


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Origin": "https://evil.example"},
        {"Origin": "null"},
        {"Origin": "http://testserver.evil.example"},
        {"Referer": "https://evil.example/dashboard/login"},
    ],
    ids=["no-origin", "other-site", "opaque-origin", "lookalike-host", "other-referer"],
)
def test_login_from_another_site_is_refused(
    web: TestClient, read_key: str, headers: dict[str, str]
) -> None:
    response = log_in(web, read_key, headers)
    assert response.status_code == 403
    assert set_cookie_headers(response) == []


def test_login_with_a_same_host_referer_and_no_origin_works(web: TestClient, read_key: str) -> None:
    response = log_in(web, read_key, {"Referer": "http://testserver/dashboard/login"})
    assert response.status_code == 303


def test_logout_clears_the_cookie(signed_in: TestClient) -> None:
    refused = signed_in.post("/dashboard/logout", headers={"Origin": "https://evil.example"})
    assert refused.status_code == 403
    assert signed_in.get("/dashboard").status_code == 200
    response = signed_in.post("/dashboard/logout", headers=ORIGIN)
    assert response.status_code == 303
    assert response.headers["location"] == "/dashboard/login"
    (cookie,) = set_cookie_headers(response)
    assert cookie.lower().startswith('raci_dashboard=""') or "max-age=0" in cookie.lower()
    assert "max-age=0" in cookie.lower()
    assert "path=/dashboard" in cookie.lower()
    assert signed_in.get("/dashboard").status_code == 303


def test_the_key_never_appears_in_a_url_or_in_the_html(
    web: TestClient, read_key: str, demo: None
) -> None:
    seen: list[str] = []
    response = log_in(web, read_key)
    seen += [str(response.url), response.headers["location"], response.text]
    for url in ("/dashboard", "/dashboard?portfolio=joint&include_closed=true", "/dashboard/login"):
        response = web.get(url)
        seen += [str(response.url), response.headers.get("location", ""), response.text]
    response = web.post("/dashboard/logout", headers=ORIGIN)
    seen += [str(response.url), response.headers["location"], response.text]
    assert all(read_key not in text for text in seen)
    # The page links and forms carry no key either: only paths of the app.
    html = page(web, "/dashboard/login")
    for node in html.iter():
        for name in ("href", "src", "action"):
            assert read_key not in node.attrs.get(name, "")


def test_the_dashboard_is_not_in_the_openapi_schema(web: TestClient) -> None:
    paths = web.get("/openapi.json").json()["paths"]
    assert not [path for path in paths if path.startswith(("/dashboard", "/static"))]


def test_pages_send_security_headers(signed_in: TestClient) -> None:
    for response in (signed_in.get("/dashboard"), signed_in.get("/dashboard/login")):
        csp = response.headers["content-security-policy"]
        assert "default-src 'none'" in csp
        assert "style-src 'self'" in csp
        assert "script-src" not in csp  # no script at all
        assert "frame-ancestors 'none'" in csp
        assert response.headers["cache-control"] == "no-store"
        assert response.headers["x-content-type-options"] == "nosniff"


# --- what the demo portfolio shows -------------------------------------------------------


def test_every_rule_in_the_findings_is_named_and_counted(
    signed_in: TestClient, admin: TestClient, demo: None
) -> None:
    report = admin.get("/reports/findings").json()
    found = {f["rule"] for f in report["findings"]}
    assert {"MULTIPLE_ACCOUNTABLE", "KPI_OFF_TRACK"} <= found
    html = page(signed_in)
    by_rule = html.find("table", id="by-rule")
    for rule, count in report["summary"]["by_rule"].items():
        row = by_rule.find("tr", data_rule=rule)
        assert rule in row.text
        assert row.find("td", **{"class": "num"}).text == str(count)
    listed = html.find("section", id="findings").find_all("tr")
    listed_rules = {row.attrs["data-rule"] for row in listed if "data-rule" in row.attrs}
    assert listed_rules == found
    for severity, count in report["summary"]["by_severity"].items():
        tile = html.find("div", id="by-severity").find(data_severity=severity)
        assert tile.find("span", **{"class": "n"}).text == str(count)
    for finding in report["findings"]:
        assert finding["message"] in html.find("section", id="findings").text


def test_initiatives_are_counted_by_status(signed_in: TestClient, demo: None) -> None:
    table = page(signed_in).find("table", id="by-status")
    counts = {
        row.attrs["data-status"]: int(row.find("td", **{"class": "num"}).text)
        for row in table.find_all("tr")
    }
    assert counts == {
        "proposed": 1,
        "planned": 1,
        "active": 2,
        "on_hold": 1,
        "done": 1,
        "cancelled": 1,
    }


def heat_map(html: Node, initiative: str) -> dict[str, dict[str, str]]:
    """component key -> role -> letter, as the page shows it."""
    card = html.find("article", data_initiative=initiative)
    return {
        row.attrs["data-component"]: {
            cell.attrs["data-role"]: cell.text
            for cell in row.find_all("td")
            if "data-role" in cell.attrs
        }
        for row in card.find_all("tr")
        if "data-component" in row.attrs
    }


def test_heat_map_shows_the_letters_of_each_cell(signed_in: TestClient, demo: None) -> None:
    html = page(signed_in)
    chatbot = heat_map(html, "support-chatbot")
    assert chatbot["nlu"] == {"CDO": "", "CEO": "", "CIO": "AR", "CMO": "C"}
    assert chatbot["persona"] == {"CDO": "R", "CEO": "", "CIO": "", "CMO": "A"}
    assert chatbot["crm-feed"] == {"CDO": "A", "CEO": "", "CIO": "A", "CMO": "I"}
    nlu = html.find("article", data_initiative="support-chatbot").find("tr", data_component="nlu")
    classes = {
        cell.attrs["data-role"]: cell.attrs["class"]
        for cell in nlu.find_all("td")
        if "data-role" in cell.attrs
    }
    assert "raci-AR" in classes["CIO"]
    assert "raci-C" in classes["CMO"]
    assert "raci-" not in classes["CEO"]
    # Only live initiatives, one card each.
    cards = [
        a.attrs["data-initiative"] for a in html.find_all("article") if "data-initiative" in a.attrs
    ]
    assert cards == [
        "customer-360",
        "loyalty-app",
        "smart-store-iot",
        "spring-campaign",
        "support-chatbot",
    ]


def test_rows_with_several_accountable_or_none_are_marked_and_explained(
    signed_in: TestClient, demo: None
) -> None:
    html = page(signed_in)
    chatbot = html.find("article", data_initiative="support-chatbot")
    crm = chatbot.find("tr", data_component="crm-feed")
    assert crm.attrs.get("data-multiple") == "true"
    assert "row-multiple" in crm.attrs["class"]
    mark = crm.find("span", **{"class": "mark mark-multiple"})
    assert mark.text == "2 accountable: CDO, CIO"
    assert "agree on one" in mark.attrs["title"]
    assert "data-multiple" not in chatbot.find("tr", data_component="nlu").attrs
    assert chatbot.find("tr", data_component="nlu").attrs["class"] == ""
    unowned = html.find("article", data_initiative="smart-store-iot").find(
        "tr", data_component="shopper-insights"
    )
    assert unowned.attrs.get("data-unowned") == "true"
    assert "Unowned" in unowned.text
    legend = html.find(**{"class": "legend"}).text
    assert "several roles are accountable" in legend
    assert "nobody is accountable" in legend


def test_workload_bars_match_the_role_report(
    signed_in: TestClient, admin: TestClient, demo: None
) -> None:
    expected = admin.get("/reports/roles").json()["roles"]
    table = page(signed_in).find("table", **{"class": "workload"})
    for entry in expected:
        row = table.find("tr", data_role=entry["role"])
        shown = {
            cell.attrs["data-letter"]: int(cell.find("span").text) for cell in row.find_all("td")
        }
        assert shown == {
            "A": entry["A"],
            "R": entry["R"],
            "C": entry["C"],
            "I": entry["I"],
            "Sponsored": entry["sponsored"],
        }
        widths = [
            int(rect.attrs["width"])
            for rect in row.find_all("rect")
            if "fill" in rect.attrs["class"]
        ]
        assert all(0 <= w <= 120 for w in widths)


def test_kpis_show_their_status_and_trend(signed_in: TestClient, demo: None) -> None:
    html = page(signed_in)
    csat = html.find("tr", data_kpi="csat")
    assert csat.attrs["data-status"] == "off_track"
    assert csat.find("span", **{"class": "badge kpi-off_track"}).text == "Off track"
    assert "joint" in csat.text
    polyline = csat.find("polyline")
    assert len(polyline.attrs["points"].split()) == 2
    # One measurement: a dot and no line; none: "no data".
    containment = html.find("tr", data_kpi="containment-rate")
    assert containment.find_all("polyline") == []
    assert len(containment.find_all("circle")) == 1
    rating = html.find("tr", data_kpi="app-rating")
    assert rating.attrs["data-status"] == "no_data"
    assert rating.find("span", **{"class": "nodata"}).text == "no data"
    assert rating.find_all("svg") == []


def test_trend_geometry() -> None:
    t0, t1, t2 = (datetime(2026, m, 1, tzinfo=UTC) for m in (1, 4, 7))
    trend = trend_of([(t0, 10.0), (t1, 15.0), (t2, 20.0)], baseline=10.0, target=30.0)
    xs = [float(p.split(",")[0]) for p in trend.points.split()]
    ys = [float(p.split(",")[1]) for p in trend.points.split()]
    assert xs[0] < xs[1] < xs[2] <= TREND_WIDTH
    assert ys[0] > ys[1] > ys[2] >= 0  # rising values go up
    assert trend.target_y is not None and trend.target_y < ys[2]  # target above the line
    assert trend.dot == (xs[2], ys[2])
    single = trend_of([(t0, 5.0)], baseline=5.0, target=5.0)
    assert single.points == "" and single.dot == (TREND_WIDTH / 2, TREND_HEIGHT / 2)
    assert trend_of([], 1.0, 2.0).count == 0


def test_names_are_escaped(signed_in: TestClient, client: TestClient) -> None:
    evil = '<script>alert("owned")</script><img src=x onerror=alert(1)>'
    response = client.put(
        "/initiatives/evil",
        json={
            "key": "evil",
            "name": evil,
            "status": "active",
            "components": [{"key": "c1", "name": evil, "raci": {"CIO": "A"}}],
        },
    )
    assert response.status_code == 201, response.text
    html = signed_in.get("/dashboard").text
    assert "<script" not in html
    assert "<img src=x" not in html
    assert "&lt;script&gt;alert(&#34;owned&#34;)&lt;/script&gt;" in html
    card = dom(html).find("article", data_initiative="evil")
    assert card.find("h3").text == evil  # shown as text, exactly


def test_filters_by_portfolio_and_closed_initiatives(signed_in: TestClient, demo: None) -> None:
    def cards(url: str) -> list[str]:
        html = page(signed_in, url)
        return [
            a.attrs["data-initiative"]
            for a in html.find_all("article")
            if "data-initiative" in a.attrs
        ]

    assert cards("/dashboard?portfolio=marketing") == ["spring-campaign"]
    assert cards("/dashboard?portfolio=marketing&include_closed=true") == [
        "chatbot-pilot-2024",
        "spring-campaign",
    ]
    assert cards("/dashboard?portfolio=it&portfolio=marketing") == [
        "smart-store-iot",
        "spring-campaign",
    ]
    assert "legacy-portal" in cards("/dashboard?include_closed=true")
    form = page(signed_in, "/dashboard?portfolio=it&include_closed=true").find(
        "form", **{"class": "filters"}
    )
    checked = {i.attrs["value"] for i in form.find_all("input") if "checked" in i.attrs}
    assert checked == {"it", "true"}
    # KPIs follow the initiatives shown: only those serving a marketing initiative (none).
    marketing = page(signed_in, "/dashboard?portfolio=marketing")
    assert marketing.find_all("tr", data_kpi="csat") == []
    assert signed_in.get("/dashboard?portfolio=nowhere").status_code == 422


def test_an_empty_database_renders(signed_in: TestClient) -> None:
    html = page(signed_in)
    assert "No initiatives match these filters." in html.text
    assert "No findings" in html.text


# --- everything the page loads is served by the app ---------------------------------------


def test_static_assets_are_served_locally(signed_in: TestClient, demo: None) -> None:
    response = signed_in.get("/dashboard")
    html = response.text
    external = [
        url
        for url in re.findall(r"https?://[^\s\"'<>)]+", html)
        if not url.startswith("http://testserver/")
    ]
    assert external == []
    tree = dom(html)
    loaded = [n.attrs["href"] for n in tree.find_all("link")] + [
        n.attrs["src"] for n in tree.iter() if "src" in n.attrs
    ]
    assert "/static/dashboard.css" in loaded
    assert tree.find_all("script") == []
    for url in loaded:
        assert url.startswith("/static/"), url
        asset = signed_in.get(url)
        assert asset.status_code == 200, url
    css = signed_in.get("/static/dashboard.css")
    assert css.headers["content-type"].startswith("text/css")
    assert "@media print" in css.text
    assert "@import" not in css.text and "url(" not in css.text


def test_the_sign_in_form_reads_no_large_body(web: TestClient) -> None:
    """The form is read before any key is known: anything larger than a key is refused."""
    response = web.post("/dashboard/login", data={"key": "k" * 10_000}, headers=ORIGIN)
    assert response.status_code == 413
    assert set_cookie_headers(response) == []
