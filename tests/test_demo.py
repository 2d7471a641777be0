"""`raci demo`: a new user sees every kind of finding right after set-up."""

import json
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from app.cli import cli
from app.db.engine import Database

EXPECTED = json.loads((Path(__file__).parent / "data" / "expected-findings.json").read_text())
COMPARED = ("rule", "initiative", "component", "capability", "kpi")
# The demo's own agreements (app/data/agreements.json), which expected-findings.json, written
# for portfolio.json alone, does not describe.
AGREEMENT_RULES = {"DISPUTED_CELL", "UNAGREED_CELL", "STALE_AGREEMENT"}
# The early-involvement rules (issue 20), newer than expected-findings.json, and the
# initiative app/data/early-involvement.json adds to show one of them.
EARLY_RULES = {"IT_NOT_INVOLVED_EARLY", "BUSINESS_NOT_INVOLVED_EARLY"}
ADDED_INITIATIVE = "voice-ordering-pilot"
LATER_FINDINGS = [
    ("BUSINESS_NOT_INVOLVED_EARLY", "smart-store-iot", None, None, None, ["CIO"]),
    ("IT_NOT_INVOLVED_EARLY", "voice-ordering-pilot", None, None, None, ["CMO"]),
    ("NO_JOINT_KPI", "voice-ordering-pilot", None, None, None, ["CMO"]),
]
AGREEMENT_FINDINGS = [
    ("DISPUTED_CELL", "support-chatbot", "crm-feed", "customer-data-platform", None, ["CDO"]),
    ("STALE_AGREEMENT", "customer-360", "cdp", "customer-data-platform", None, ["CMO"]),
    ("UNAGREED_CELL", "support-chatbot", "persona", "conversation-design", None, ["CDO"]),
]


def demo(monkeypatch: pytest.MonkeyPatch, database_url: str) -> str:
    monkeypatch.setenv("RACI_DATABASE_URL", database_url)
    result = CliRunner().invoke(cli, ["demo"])
    assert result.exit_code == 0, result.output
    return result.output


def test_demo_loads_the_portfolio_and_gives_the_expected_findings(
    monkeypatch: pytest.MonkeyPatch, database: Database, database_url: str, client: TestClient
) -> None:
    output = demo(monkeypatch, database_url)
    assert "initiatives" in output and "8" in output
    report = client.get("/reports/findings", params={"as_of": EXPECTED["as_of"]}).json()

    def later(finding: dict[str, Any]) -> bool:
        return finding["rule"] in EARLY_RULES or finding["initiative"] == ADDED_INITIATIVE

    found = sorted(
        tuple(f[name] for name in COMPARED)
        for f in report["findings"]
        if f["rule"] not in AGREEMENT_RULES and not later(f)
    )
    expected = sorted(tuple(f[name] for name in COMPARED) for f in EXPECTED["findings"])
    assert found == expected
    agreement_findings = sorted(
        (*(f[name] for name in COMPARED), f["roles"])
        for f in report["findings"]
        if f["rule"] in AGREEMENT_RULES
    )
    assert agreement_findings == AGREEMENT_FINDINGS
    later_findings = sorted(
        (*(f[name] for name in COMPARED), f["roles"]) for f in report["findings"] if later(f)
    )
    assert later_findings == LATER_FINDINGS
    assert {f["rule"] for f in report["findings"]} == {
        "UNOWNED_COMPONENT", "MULTIPLE_ACCOUNTABLE", "NO_RESPONSIBLE", "UNSPONSORED_INITIATIVE",
        "SILOED_INITIATIVE", "CAPABILITY_OVERLAP", "OWNER_DRIFT", "NO_JOINT_KPI", "KPI_OFF_TRACK",
        *AGREEMENT_RULES, *EARLY_RULES,
    }  # fmt: skip
    statuses = {
        key: client.get(f"/kpis/{key}", params={"as_of": EXPECTED["as_of"]}).json()["status"]
        for key in EXPECTED["kpi_status"]
    }
    assert statuses == EXPECTED["kpi_status"]


def test_the_demo_shows_who_agreed_and_who_disputes(
    monkeypatch: pytest.MonkeyPatch, database: Database, database_url: str, client: TestClient
) -> None:
    demo(monkeypatch, database_url)
    cell = client.get("/initiatives/support-chatbot/components/crm-feed/raci/CDO").json()
    assert cell["agreement"]["state"] == "disputed"
    assert (cell["agreement"]["by"], cell["agreement"]["at"]) == (
        "cdo-office",
        "2026-10-14T16:00:00Z",
    )
    # Today, the demo's fresh cells are within their grace period: only its old proposal.
    today = client.get("/reports/findings", params={"rule": "UNAGREED_CELL"}).json()
    assert [(f["component"], f["roles"]) for f in today["findings"]] == [("persona", ["CDO"])]


def test_demo_twice_changes_nothing_the_second_time(
    monkeypatch: pytest.MonkeyPatch, database: Database, database_url: str, client: TestClient
) -> None:
    demo(monkeypatch, database_url)
    versions = {i["key"]: i["version"] for i in client.get("/initiatives").json()["items"]}
    audit = client.get("/audit", params={"limit": 500}).json()["items"]
    demo(monkeypatch, database_url)
    assert {i["key"]: i["version"] for i in client.get("/initiatives").json()["items"]} == versions
    assert client.get("/audit", params={"limit": 500}).json()["items"] == audit
    assert {entry["actor"] for entry in audit if entry["resource_type"] == "initiative"} == {"demo"}


def test_demo_with_a_bad_database_url_is_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RACI_DATABASE_URL", "nosuchdb://x")
    result = CliRunner().invoke(cli, ["demo"])
    assert result.exit_code != 0
    assert "Traceback" not in result.output


def test_the_demo_opens_a_governance_review_of_its_joint_kpi_off_track(
    monkeypatch: pytest.MonkeyPatch, database: Database, database_url: str, client: TestClient
) -> None:
    demo(monkeypatch, database_url)
    (review,) = client.get("/reviews").json()["items"]
    # csat, owned by CMO and CIO, serves the chatbot (sponsor CMO) and customer-360 (CDO).
    assert (review["kpi"], review["state"]) == ("csat", "open")
    assert review["participants"] == ["CDO", "CIO", "CMO"]
    overdue = client.get(
        "/reports/findings",
        params={"rule": "GOVERNANCE_REVIEW_OVERDUE", "as_of": review["due_on"]},
    ).json()["findings"]
    assert overdue == []  # due, not yet overdue
    demo(monkeypatch, database_url)  # loaded again: still the one review
    assert len(client.get("/reviews").json()["items"]) == 1
    removed = CliRunner().invoke(cli, ["demo", "--remove"])
    assert removed.exit_code == 0, removed.output
    assert client.get("/reviews").json()["items"] == []
