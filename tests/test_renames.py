"""Renaming what others name: a role's code (rename, merge), an initiative's key, a
component's key. One transaction across every table; the audit and `?at=` keep the old
names for the time before; the old name answers 404 afterwards."""

import time
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.db.engine import Database
from tests import builders
from tests.problems import assert_problem, error_locs

PILOT = {
    "key": "pilot",
    "name": "Pilot",
    "sponsor": "CDO",
    "components": [
        {
            "key": "design",
            "name": "Design",
            "capability": "data-platform",
            "raci": {"CDO": "A", "CIO": "R", "CMO": "C"},
        },
        {"key": "build", "name": "Build", "raci": {"CIO": "AR", "CDO": "R"}},
    ],
}
KPI = {
    "key": "csat",
    "name": "Customer satisfaction",
    "baseline": 70,
    "baseline_date": "2026-01-01",
    "target": 90,
    "target_date": "2027-01-01",
    "owners": ["CDO", "CIO"],
    "initiatives": ["pilot"],
}


@pytest.fixture
def pilot(client: TestClient) -> datetime:
    """The portfolio, and a moment after it was written and before any rename."""
    capability = {"key": "data-platform", "name": "Data platform", "agreed_owner": "CDO"}
    assert client.post("/capabilities", json=capability).status_code == 201
    assert client.put("/initiatives/pilot", json=PILOT).status_code == 201
    assert client.post("/kpis", json=KPI).status_code == 201
    time.sleep(0.01)
    moment = datetime.now(UTC)
    time.sleep(0.01)
    return moment


def matrix(client: TestClient, key: str = "pilot", **params: Any) -> dict[str, dict[str, str]]:
    response = client.get(f"/initiatives/{key}/raci", params=params)
    assert response.status_code == 200, response.text
    return {row["component"]: row["cells"] for row in response.json()["rows"]}


def audit(client: TestClient, **params: Any) -> list[tuple[str, str, str]]:
    items = client.get("/audit", params={"limit": 500, **params}).json()["items"]
    return [(e["action"], e["resource_type"], e["resource_key"]) for e in items]


# --- role rename ------------------------------------------------------------------------------


def test_renaming_a_role_moves_its_cells_sponsorships_kpis_and_agreed_ownerships(
    client: TestClient, pilot: datetime
) -> None:
    response = client.post("/roles/CDO/rename", json={"code": "cdao"})
    assert response.status_code == 200
    assert response.headers["location"] == "/api/v1/roles/CDAO"
    body = response.json()
    assert (body["code"], body["name"], body["version"]) == ("CDAO", "Chief Digital Officer", 2)
    assert body["function"] == "digital"  # the role keeps what it is there for

    assert_problem(client.get("/roles/CDO"), 404)
    assert matrix(client) == {
        "build": {"CDAO": "R", "CIO": "AR"},
        "design": {"CDAO": "A", "CIO": "R", "CMO": "C"},
    }
    assert client.get("/initiatives/pilot").json()["sponsor"] == "CDAO"
    assert client.get("/kpis/csat").json()["owners"] == ["CDAO", "CIO"]
    assert client.get("/capabilities/data-platform").json()["agreed_owner"] == "CDAO"
    cell = client.get("/initiatives/pilot/components/design/raci/CDAO").json()
    assert cell["raci"] == "A"


def test_a_role_rename_is_audited_and_history_keeps_the_old_code(
    client: TestClient, pilot: datetime
) -> None:
    client.post("/roles/CDO/rename", json={"code": "CDAO"})
    entries = audit(client, resource_type=["role", "raci_cell", "initiative", "kpi", "capability"])
    # Written before the rename, under the old code, and never rewritten:
    assert ("create", "raci_cell", "pilot/design/CDO") in entries
    renamed = entries[entries.index(("delete", "role", "CDO")) :]
    assert set(renamed) == {
        ("delete", "role", "CDO"),
        ("create", "role", "CDAO"),
        ("delete", "raci_cell", "pilot/design/CDO"),
        ("create", "raci_cell", "pilot/design/CDAO"),
        ("delete", "raci_cell", "pilot/build/CDO"),
        ("create", "raci_cell", "pilot/build/CDAO"),
        ("update", "initiative", "pilot"),
        ("update", "kpi", "csat"),
        ("update", "capability", "data-platform"),
    }
    assert matrix(client, at=pilot.isoformat())["design"] == {"CDO": "A", "CIO": "R", "CMO": "C"}
    assert matrix(client)["design"] == {"CDAO": "A", "CIO": "R", "CMO": "C"}


def test_renaming_to_a_taken_code_is_409_and_changes_nothing(
    client: TestClient, pilot: datetime
) -> None:
    assert_problem(
        client.post("/roles/CDO/rename", json={"code": "CIO"}), 409, detail_contains="merge"
    )
    assert matrix(client)["design"]["CDO"] == "A"
    assert client.get("/roles/CDO").status_code == 200


@pytest.mark.parametrize(
    ("path", "body", "status"),
    [
        ("/roles/CXO/rename", {"code": "CDAO"}, 404),
        ("/roles/CDO/rename", {"code": "not a code"}, 422),
        ("/roles/CDO/rename", {"code": "CDAO", "name": "x"}, 422),
        ("/roles/CDO/rename", {}, 422),
        ("/roles/CXO/merge", {"into": "CIO"}, 404),
        ("/roles/CDO/merge", {"into": "CDO"}, 422),
        ("/roles/CDO/merge", {"into": "CXO"}, 422),
    ],
)
def test_bad_renames_and_merges_are_problems_that_change_nothing(
    client: TestClient, pilot: datetime, path: str, body: dict[str, Any], status: int
) -> None:
    assert_problem(client.post(path, json=body), status)
    assert matrix(client)["design"]["CDO"] == "A"


def test_merge_into_itself_and_into_an_unknown_role_name_the_body_field(
    client: TestClient, pilot: datetime
) -> None:
    assert error_locs(client.post("/roles/CDO/merge", json={"into": "cdo"})) == [["body", "into"]]
    assert error_locs(client.post("/roles/CDO/merge", json={"into": "CXO"})) == [["body", "into"]]


def test_a_stale_if_match_on_rename_is_412(client: TestClient, pilot: datetime) -> None:
    response = client.post("/roles/CDO/rename", json={"code": "CDAO"}, headers={"If-Match": '"9"'})
    assert_problem(response, 412)
    assert client.get("/roles/CDO").status_code == 200


def test_renaming_to_the_same_code_changes_nothing(client: TestClient, pilot: datetime) -> None:
    response = client.post("/roles/CDO/rename", json={"code": "cdo"})
    assert response.status_code == 200 and response.json()["version"] == 1


def test_a_read_key_cannot_rename(reader: TestClient, pilot: datetime) -> None:
    assert_problem(reader.post("/roles/CDO/rename", json={"code": "CDAO"}), 403)


# --- role merge -------------------------------------------------------------------------------


def test_merging_a_role_joins_letters_and_moves_everything_then_removes_it(
    client: TestClient, pilot: datetime
) -> None:
    response = client.post("/roles/CDO/merge", json={"into": "CIO"})
    assert response.status_code == 200
    assert response.json()["code"] == "CIO"
    assert_problem(client.get("/roles/CDO"), 404)
    assert matrix(client) == {
        "build": {"CIO": "AR"},  # AR + R
        "design": {"CIO": "AR", "CMO": "C"},  # R + A
    }
    assert client.get("/initiatives/pilot").json()["sponsor"] == "CIO"
    assert client.get("/kpis/csat").json()["owners"] == ["CIO"]  # owned by both: one owner
    assert client.get("/capabilities/data-platform").json()["agreed_owner"] == "CIO"
    entries = audit(client, resource_type="raci_cell")
    assert ("update", "raci_cell", "pilot/design/CIO") in entries
    assert ("delete", "raci_cell", "pilot/design/CDO") in entries
    assert ("delete", "role", "CDO") in audit(client, resource_type="role")
    assert matrix(client, at=pilot.isoformat())["design"]["CDO"] == "A"


def test_a_merge_moves_cells_where_the_target_held_none(
    client: TestClient, pilot: datetime
) -> None:
    assert client.post("/roles/CDO/merge", json={"into": "CEO"}).status_code == 200
    assert matrix(client)["design"] == {"CEO": "A", "CIO": "R", "CMO": "C"}
    assert ("create", "raci_cell", "pilot/design/CEO") in audit(client, resource_type="raci_cell")


def test_merged_letters_become_one_letter_set(client: TestClient, pilot: datetime) -> None:
    # CMO is C on design, CDO is A: a cell holds a set of letters, so they join as "AC".
    assert client.post("/roles/CDO/merge", json={"into": "CMO"}).status_code == 200
    assert matrix(client)["design"] == {"CIO": "R", "CMO": "AC"}
    assert_problem(client.get("/roles/CDO"), 404)


# --- initiative and component keys ------------------------------------------------------------


def test_renaming_an_initiative_carries_components_cells_kpis_and_waivers(
    client: TestClient, pilot: datetime
) -> None:
    assert client.put("/initiatives/pilot/components/ops", json={"name": "Ops"}).status_code == 201
    waiver = {
        "key": "ops-ok",
        "rule": "UNOWNED_COMPONENT",
        "initiative": "pilot",
        "component": "ops",
        "rationale": "Ops is run by the vendor until go-live.",
    }
    assert client.post("/waivers", json=waiver).status_code == 201
    response = client.post("/initiatives/pilot/rename", json={"key": "pilot-2"})
    assert response.status_code == 200
    assert response.json()["key"] == "pilot-2"

    assert_problem(client.get("/initiatives/pilot"), 404)
    assert_problem(client.get("/initiatives/pilot/raci"), 404)
    assert matrix(client, "pilot-2")["design"] == {"CDO": "A", "CIO": "R", "CMO": "C"}
    assert client.get("/kpis/csat").json()["initiatives"] == ["pilot-2"]
    assert client.get("/waivers/ops-ok").json()["initiative"] == "pilot-2"
    findings = client.get("/reports/findings", params={"include_waived": "true"}).json()
    unowned = [f for f in findings["findings"] if f["rule"] == "UNOWNED_COMPONENT"]
    assert [(f["initiative"], f["component"], f["waiver"]) for f in unowned] == [
        ("pilot-2", "ops", "ops-ok")
    ]

    entries = audit(client)
    for moved in ("pilot", "pilot/design", "pilot/design/CDO"):
        assert any(e[0] == "delete" and e[2] == moved for e in entries), moved
    for arrived in ("pilot-2", "pilot-2/design", "pilot-2/design/CDO"):
        assert any(e[0] == "create" and e[2] == arrived for e in entries), arrived
    assert ("update", "kpi", "csat") in entries and ("update", "waiver", "ops-ok") in entries
    # The time before: under the old key.
    assert matrix(client, "pilot", at=pilot.isoformat())["build"] == {"CDO": "R", "CIO": "AR"}


def test_renaming_an_initiative_to_a_taken_key_is_409(
    client: TestClient, pilot: datetime, database: Database
) -> None:
    builders.initiative(database, "other")
    assert_problem(client.post("/initiatives/pilot/rename", json={"key": "other"}), 409)
    assert client.get("/initiatives/pilot").status_code == 200


@pytest.mark.parametrize(
    ("path", "body", "status"),
    [
        ("/initiatives/nope/rename", {"key": "x"}, 404),
        ("/initiatives/pilot/rename", {"key": "Not A Key"}, 422),
        ("/initiatives/pilot/components/nope/rename", {"key": "x"}, 404),
        ("/initiatives/nope/components/design/rename", {"key": "x"}, 404),
        ("/initiatives/pilot/components/design/rename", {"key": "build"}, 409),
        ("/initiatives/pilot/components/design/rename", {"code": "x"}, 422),
    ],
)
def test_bad_key_renames_are_problems(
    client: TestClient, pilot: datetime, path: str, body: dict[str, Any], status: int
) -> None:
    assert_problem(client.post(path, json=body), status)
    assert set(matrix(client)) == {"build", "design"}


def test_renaming_a_component_carries_its_cells_and_raises_the_initiative_version(
    client: TestClient, pilot: datetime
) -> None:
    version = client.get("/initiatives/pilot").json()["version"]
    response = client.post(
        "/initiatives/pilot/components/design/rename",
        json={"key": "ux-design"},
        headers={"If-Match": '"1"'},
    )
    assert response.status_code == 200
    assert response.json()["key"] == "ux-design"
    assert_problem(client.get("/initiatives/pilot/components/design"), 404)
    assert matrix(client)["ux-design"] == {"CDO": "A", "CIO": "R", "CMO": "C"}
    assert client.get("/initiatives/pilot").json()["version"] == version + 1
    entries = audit(client, resource_key_prefix="pilot/")
    assert ("delete", "component", "pilot/design") in entries
    assert ("create", "raci_cell", "pilot/ux-design/CIO") in entries


def test_a_stale_if_match_on_a_component_rename_is_412(client: TestClient, pilot: datetime) -> None:
    response = client.post(
        "/initiatives/pilot/components/design/rename",
        json={"key": "ux-design"},
        headers={"If-Match": '"5"'},
    )
    assert_problem(response, 412)
    assert "design" in matrix(client)
