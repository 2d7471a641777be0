"""The agreement rules (DISPUTED_CELL, UNAGREED_CELL, STALE_AGREEMENT) with the periods of
/settings, `as_of`, and GET /reports/agreements."""

import csv
import io
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.db.engine import Database
from tests import builders
from tests.problems import assert_problem

MERGE_PATCH = {"Content-Type": "application/merge-patch+json"}
NLU = "/initiatives/support-chatbot/components/nlu/raci"
AGREEMENT_RULES = ["DISPUTED_CELL", "UNAGREED_CELL", "STALE_AGREEMENT"]


@pytest.fixture
def chatbot(database: Database) -> Database:
    builders.support_chatbot(database)
    return database


def today() -> date:
    return datetime.now(UTC).date()


def findings(client: TestClient, as_of: date | None = None, **params: Any) -> list[tuple[Any, ...]]:
    query = {"rule": AGREEMENT_RULES, **params}
    if as_of is not None:
        query["as_of"] = as_of.isoformat()
    response = client.get("/reports/findings", params=query)
    assert response.status_code == 200, response.text
    return sorted(
        (f["rule"], f["severity"], f["component"], tuple(f["roles"]))
        for f in response.json()["findings"]
    )


def decide(admin: TestClient, role: str, decision: str, comment: str | None = None) -> None:
    body = {"decision": decision, "comment": comment}
    response = admin.post(f"{NLU}/{role}/agreement", json=body)
    assert response.status_code == 200, response.text


def test_a_disputed_cell_is_a_high_finding_naming_its_role(
    admin: TestClient, client: TestClient, chatbot: Database
) -> None:
    decide(admin, "CIO", "dispute", "The vendor runs the NLU.")
    assert findings(client) == [("DISPUTED_CELL", "high", "nlu", ("CIO",))]
    body = client.get("/reports/findings", params={"rule": "DISPUTED_CELL"}).json()
    (finding,) = body["findings"]
    assert finding["initiative"] == "support-chatbot"
    assert finding["capability"] == "conversational-ai"
    assert "The vendor runs the NLU." in finding["message"]
    assert findings(client, role="CIO") == findings(client)
    assert findings(client, role="CDO") == []
    # New letters settle the dispute: the cell is proposed again.
    client.put(f"{NLU}/CIO", json={"raci": "A"})
    assert findings(client) == []


def test_a_cell_proposed_past_its_grace_period_is_unagreed(
    admin: TestClient, client: TestClient, chatbot: Database
) -> None:
    decide(admin, "CIO", "agree")
    assert findings(client, today() + timedelta(days=13)) == []
    late = findings(client, today() + timedelta(days=14))
    assert len(late) == 6  # seven cells, one agreed
    assert ("UNAGREED_CELL", "low", "nlu", ("CMO",)) in late
    assert all(rule == "UNAGREED_CELL" for rule, *_ in late)
    # Before the letters were set, nothing was proposed yet.
    assert findings(client, today() - timedelta(days=30)) == []


def test_the_grace_period_comes_from_the_settings(
    admin: TestClient, client: TestClient, chatbot: Database
) -> None:
    patched = admin.patch("/settings", json={"agreement_grace_days": 0}, headers=MERGE_PATCH)
    assert patched.status_code == 200
    assert len(findings(client)) == 7
    admin.patch("/settings", json={"agreement_grace_days": 30}, headers=MERGE_PATCH)
    assert findings(client, today() + timedelta(days=29)) == []


def test_an_agreement_older_than_the_reconfirm_period_is_stale(
    admin: TestClient, client: TestClient, chatbot: Database
) -> None:
    admin.post(
        "/agreements",
        json={"decision": "agree", "initiative": "support-chatbot", "role": "CMO"},
    )
    admin.patch("/settings", json={"agreement_grace_days": 3650}, headers=MERGE_PATCH)
    assert findings(client, today() + timedelta(days=365)) == []
    stale = findings(client, today() + timedelta(days=366))
    assert [(rule, component) for rule, _, component, _ in stale] == [
        ("STALE_AGREEMENT", "crm-feed"),
        ("STALE_AGREEMENT", "nlu"),
        ("STALE_AGREEMENT", "persona"),
    ]
    admin.patch("/settings", json={"reconfirm_days": 1}, headers=MERGE_PATCH)
    assert len(findings(client, today() + timedelta(days=2))) == 3


def test_closed_initiatives_and_switched_off_rules_give_no_agreement_finding(
    admin: TestClient, client: TestClient, chatbot: Database
) -> None:
    decide(admin, "CIO", "dispute", "No.")
    assert admin.patch("/rules/DISPUTED_CELL", json={"enabled": False}).status_code == 200
    assert findings(client) == []
    admin.patch("/rules/DISPUTED_CELL", json={"enabled": True})
    client.patch("/initiatives/support-chatbot", json={"status": "done"})
    assert findings(client) == []
    assert findings(client, include_closed=True) == [("DISPUTED_CELL", "high", "nlu", ("CIO",))]


# --- GET /reports/agreements -------------------------------------------------------------------


def test_the_agreements_report_counts_per_initiative_and_role(
    admin: TestClient, client: TestClient, chatbot: Database
) -> None:
    decide(admin, "CIO", "agree")
    decide(admin, "CMO", "dispute", "Marketing must be accountable.")
    body = client.get("/reports/agreements").json()
    assert body["as_of"] == today().isoformat()
    rows = {r["role"]: r for r in body["rows"]}
    assert [r["initiative"] for r in body["rows"]] == ["support-chatbot"] * 3
    assert rows["CIO"] | {"initiative": "-"} == {
        "initiative": "-",
        "role": "CIO",
        "agreed": 1,
        "proposed": 1,
        "disputed": 0,
        "stale": 0,
        "overdue": 0,
    }
    assert (rows["CMO"]["disputed"], rows["CMO"]["proposed"]) == (1, 2)
    later = client.get(
        "/reports/agreements",
        params={"as_of": (today() + timedelta(days=400)).isoformat(), "role": "CIO"},
    ).json()
    assert [(r["role"], r["stale"], r["overdue"]) for r in later["rows"]] == [("CIO", 1, 1)]


def test_the_agreements_report_as_csv(
    admin: TestClient, client: TestClient, chatbot: Database
) -> None:
    decide(admin, "CIO", "agree")
    response = client.get(
        "/reports/agreements", params={"format": "csv", "initiative": "support-chatbot"}
    )
    assert response.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert [(r["role"], r["agreed"], r["proposed"]) for r in rows] == [
        ("CDO", "0", "2"),
        ("CIO", "1", "1"),
        ("CMO", "0", "3"),
    ]


def test_the_agreements_report_refuses_unknown_filters(
    client: TestClient, chatbot: Database
) -> None:
    assert_problem(client.get("/reports/agreements", params={"initiative": "nowhere"}), 404)
    assert_problem(client.get("/reports/agreements", params={"role": "CXO"}), 404)
    assert_problem(client.get("/reports/agreements", params={"as_of": "2026-02-30"}), 422)
    assert_problem(client.get("/reports/agreements", params={"colour": "red"}), 422)
