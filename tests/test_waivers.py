"""Waivers: a finding accepted knowingly leaves every report (JSON, CSV, gaps/overlaps, the
CLI gate, /metrics, the dashboard) unless `include_waived=true`; an expired waiver waives
nothing; subjects that do not exist are refused; the audit tells who waived what and why."""

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from app.core.config import Settings
from app.db.base import utcnow
from app.observability.metrics import iter_samples
from tests.conftest import ADMIN_SECRET
from tests.problems import assert_problem, error_locs
from tests.test_client_reports import raci
from tests.test_dashboard import dom, log_in

PILOT = {
    "key": "pilot",
    "name": "Pilot",
    "sponsor": "CMO",
    "components": [
        {"key": "design", "name": "Design", "raci": {"CMO": "A", "CDO": "AR", "CIO": "C"}},
        {"key": "build", "name": "Build", "raci": {"CIO": "AR", "CMO": "C"}},
    ],
}
WAIVER = {
    "key": "pilot-design-co-owned",
    "rule": "MULTIPLE_ACCOUNTABLE",
    "initiative": "pilot",
    "component": "design",
    "rationale": "Co-ownership agreed by the steering committee until launch.",
}


@pytest.fixture
def settings(database_url: str) -> Settings:
    return Settings(
        database_url=database_url,
        bootstrap_admin_key=ADMIN_SECRET,  # type: ignore[arg-type]
        metrics_findings_max_age_seconds=0,
    )


@pytest.fixture
def pilot(client: TestClient) -> None:
    assert client.put("/initiatives/pilot", json=PILOT).status_code == 201


def subjects(client: TestClient, path: str = "/reports/findings", **params: Any) -> list[Any]:
    response = client.get(path, params=params)
    assert response.status_code == 200, response.text
    return [(f["rule"], f["component"], f["waiver"]) for f in response.json()["findings"]]


def multiple_accountable(client: TestClient, **params: Any) -> list[Any]:
    return [s for s in subjects(client, **params) if s[0] == "MULTIPLE_ACCOUNTABLE"]


def waive(client: TestClient, **changes: Any) -> dict[str, Any]:
    response = client.post("/waivers", json={**WAIVER, **changes})
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


@pytest.mark.usefixtures("pilot")
def test_creating_a_waiver_answers_201_with_who_created_it(client: TestClient) -> None:
    response = client.post("/waivers", json=WAIVER)
    assert response.status_code == 201
    assert response.headers["location"] == "/api/v1/waivers/pilot-design-co-owned"
    body = response.json()
    assert body["created_by"] == "pmo-tool"
    assert (body["active"], body["version"], body["expires_on"]) == (True, 1, None)
    assert client.get("/waivers/pilot-design-co-owned").headers["etag"] == '"1"'


@pytest.mark.usefixtures("pilot")
def test_a_waived_finding_leaves_the_findings_report(client: TestClient) -> None:
    assert multiple_accountable(client) == [("MULTIPLE_ACCOUNTABLE", "design", None)]
    waive(client)
    assert multiple_accountable(client) == []
    summary = client.get("/reports/findings").json()["summary"]
    assert summary["waived"] == 1
    assert summary["by_rule"]["MULTIPLE_ACCOUNTABLE"] == 0


@pytest.mark.usefixtures("pilot")
def test_include_waived_shows_it_again_with_its_waiver(client: TestClient) -> None:
    waive(client)
    assert multiple_accountable(client, include_waived="true") == [
        ("MULTIPLE_ACCOUNTABLE", "design", "pilot-design-co-owned")
    ]
    summary = client.get("/reports/findings", params={"include_waived": "true"}).json()["summary"]
    assert summary["by_rule"]["MULTIPLE_ACCOUNTABLE"] == 1 and summary["waived"] == 1


@pytest.mark.usefixtures("pilot")
def test_the_overlaps_view_and_the_csv_leave_it_out_too(client: TestClient) -> None:
    waive(client)
    assert subjects(client, "/reports/overlaps") == []
    assert subjects(client, "/reports/overlaps", include_waived="true") == [
        ("MULTIPLE_ACCOUNTABLE", "design", "pilot-design-co-owned")
    ]
    csv_text = client.get("/reports/findings", params={"format": "csv"}).text
    assert "MULTIPLE_ACCOUNTABLE" not in csv_text
    shown = client.get("/reports/findings", params={"format": "csv", "include_waived": "true"}).text
    assert "pilot-design-co-owned" in shown


@pytest.mark.usefixtures("pilot")
def test_only_the_finding_named_is_waived(client: TestClient) -> None:
    waive(client, rule="NO_RESPONSIBLE")  # pilot/design has a responsible: matches nothing
    assert multiple_accountable(client) == [("MULTIPLE_ACCOUNTABLE", "design", None)]


@pytest.mark.parametrize("days", [0, -1])
@pytest.mark.usefixtures("pilot")
def test_an_expired_waiver_waives_nothing(client: TestClient, days: int) -> None:
    body = waive(client, expires_on=(utcnow().date() + timedelta(days=days)).isoformat())
    assert body["active"] is False
    assert multiple_accountable(client) == [("MULTIPLE_ACCOUNTABLE", "design", None)]
    assert client.get("/reports/findings").json()["summary"]["waived"] == 0


@pytest.mark.usefixtures("pilot")
def test_expiring_with_patch_brings_the_finding_back_and_keeps_the_record(
    client: TestClient,
) -> None:
    waive(client, expires_on=(utcnow().date() + timedelta(days=30)).isoformat())
    assert multiple_accountable(client) == []
    response = client.patch(
        "/waivers/pilot-design-co-owned",
        json={"expires_on": utcnow().date().isoformat()},
        headers={"If-Match": '"1"'},
    )
    assert response.status_code == 200 and response.json()["active"] is False
    assert multiple_accountable(client) == [("MULTIPLE_ACCOUNTABLE", "design", None)]
    assert [
        w["key"] for w in client.get("/waivers", params={"active": "false"}).json()["items"]
    ] == ["pilot-design-co-owned"]
    assert client.get("/waivers", params={"active": "true"}).json()["items"] == []


@pytest.mark.usefixtures("pilot")
def test_the_audit_shows_who_waived_what_and_why(client: TestClient) -> None:
    waive(client)
    entries = client.get("/audit", params={"resource_type": "waiver"}).json()["items"]
    assert [(e["action"], e["actor"], e["resource_key"]) for e in entries] == [
        ("create", "pmo-tool", "pilot-design-co-owned")
    ]
    after = entries[0]["after"]
    assert after["rationale"] == WAIVER["rationale"]
    assert (after["rule"], after["initiative"], after["component"]) == (
        "MULTIPLE_ACCOUNTABLE",
        "pilot",
        "design",
    )
    assert after["created_by"] == "pmo-tool"


@pytest.mark.parametrize(
    ("changes", "loc"),
    [
        ({"initiative": "nope"}, ["body", "initiative"]),
        ({"component": "nope"}, ["body", "component"]),
        ({"initiative": None}, ["body", "component"]),
        ({"capability": "nope"}, ["body", "capability"]),
        ({"kpi": "nope"}, ["body", "kpi"]),
        ({"initiative": None, "component": None}, ["body"]),
        ({"rule": "NOT_A_RULE"}, ["body", "rule"]),
        ({"rationale": "  "}, ["body", "rationale"]),
        ({"expires_on": "soon"}, ["body", "expires_on"]),
        ({"created_by": "someone"}, None),  # read-only: ignored, not refused
        ({"waiver": "x"}, ["body", "waiver"]),
    ],
)
@pytest.mark.usefixtures("pilot")
def test_a_waiver_naming_what_does_not_exist_or_malformed_is_422_and_writes_nothing(
    client: TestClient, changes: dict[str, Any], loc: list[Any] | None
) -> None:
    response = client.post("/waivers", json={**WAIVER, **changes})
    if loc is None:
        assert response.status_code == 201
        assert response.json()["created_by"] == "pmo-tool"
        return
    assert_problem(response, 422)
    assert loc in error_locs(response)
    assert client.get("/waivers").json()["items"] == []


@pytest.mark.usefixtures("pilot")
def test_a_taken_key_is_409(client: TestClient) -> None:
    waive(client)
    assert_problem(client.post("/waivers", json=WAIVER), 409)


@pytest.mark.usefixtures("pilot")
def test_put_replaces_keeps_created_by_and_honours_if_match(
    client: TestClient, admin: TestClient
) -> None:
    waive(client)
    changed = {**WAIVER, "rationale": "Agreed again."}
    assert_problem(
        admin.put("/waivers/pilot-design-co-owned", json=changed, headers={"If-Match": '"7"'}), 412
    )
    response = admin.put(
        "/waivers/pilot-design-co-owned", json=changed, headers={"If-Match": '"1"'}
    )
    assert response.status_code == 200
    body = response.json()
    assert (body["rationale"], body["created_by"], body["version"]) == (
        "Agreed again.",
        "pmo-tool",
        2,
    )


@pytest.mark.usefixtures("pilot")
def test_delete_removes_the_waiver_and_the_finding_returns(client: TestClient) -> None:
    waive(client)
    assert client.delete("/waivers/pilot-design-co-owned").status_code == 204
    assert_problem(client.get("/waivers/pilot-design-co-owned"), 404)
    assert multiple_accountable(client) == [("MULTIPLE_ACCOUNTABLE", "design", None)]


@pytest.mark.usefixtures("pilot")
def test_a_read_key_cannot_waive(reader: TestClient) -> None:
    assert_problem(reader.post("/waivers", json=WAIVER), 403)


@pytest.mark.usefixtures("pilot")
def test_the_cli_gate_passes_when_the_only_high_finding_is_waived(
    client: TestClient, reader: TestClient
) -> None:
    # pilot: MULTIPLE_ACCOUNTABLE on design is the only high finding.
    assert raci(reader, "report", "findings", "--fail-on", "high").exit_code == 1
    waive(client)
    result = raci(reader, "report", "findings", "--fail-on", "high")
    assert result.exit_code == 0, result.output
    assert "1 waived" in result.stdout
    shown = raci(reader, "report", "findings", "--include-waived", "--fail-on", "high")
    assert shown.exit_code == 0, shown.output
    assert "waived: pilot-design-co-owned" in shown.stdout


@pytest.mark.usefixtures("pilot")
def test_metrics_count_no_waived_finding(client: TestClient, app: FastAPI) -> None:
    def scrape() -> dict[str, float]:
        text = client.get("http://testserver/metrics").text
        counts = {
            labels["rule"]: value
            for labels, value in iter_samples(text, "raci_findings")
            if "rule" in labels
        }
        counts["waived"] = sum(v for _, v in iter_samples(text, "raci_findings_waived"))
        return counts

    assert scrape()["MULTIPLE_ACCOUNTABLE"] == 1
    waive(client)
    after = scrape()
    assert (after["MULTIPLE_ACCOUNTABLE"], after["waived"]) == (0, 1)


@pytest.fixture
def web(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app, base_url="http://testserver", follow_redirects=False) as web_client:
        yield web_client


@pytest.mark.usefixtures("pilot")
def test_the_dashboard_shows_n_waived_with_their_rationale(
    client: TestClient, web: TestClient
) -> None:
    waive(client)
    assert log_in(web, ADMIN_SECRET).status_code == 303
    html = web.get("/dashboard").text
    page = dom(html)
    assert "1 waived" in page.find(id="waived").text
    row = page.find("tr", **{"data-waiver": "pilot-design-co-owned"})
    assert WAIVER["rationale"] in row.text
    listed = page.find(id="findings").find("table").text
    assert "More than one accountable" not in listed
