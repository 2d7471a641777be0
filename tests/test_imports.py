"""Bulk import: one transaction, all or nothing, counted, idempotent, errors by path."""

import copy
import json
import threading
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, text

from app.audit.models import AuditEntry
from app.components.models import Component
from app.db.engine import Database
from app.initiatives.models import Initiative
from app.raci.models import RaciCell
from tests.database import wipe_portfolio
from tests.problems import assert_problem

DEMO = json.loads((Path(__file__).parents[1] / "app" / "data" / "portfolio.json").read_text())


def demo() -> dict[str, Any]:
    return copy.deepcopy(DEMO)


def counts(database: Database) -> tuple[int, int, int, int]:
    with database.session(write=False) as session:
        return (
            session.scalar(select(func.count()).select_from(Initiative)) or 0,
            session.scalar(select(func.count()).select_from(Component)) or 0,
            session.scalar(select(func.count()).select_from(RaciCell)) or 0,
            session.scalar(select(func.count()).select_from(AuditEntry)) or 0,
        )


def test_demo_portfolio_imports_with_counts_per_resource(client: TestClient) -> None:
    response = client.post("/imports", json=demo())
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["capabilities"] == {"created": 8, "updated": 0, "unchanged": 0, "deleted": 0}
    assert body["initiatives"]["created"] == 7
    assert body["components"]["created"] == 13
    assert body["raci_cells"]["created"] == 22
    assert body["kpis"]["created"] == 4
    assert body["measurements"]["created"] == 4
    chatbot = client.get("/initiatives/support-chatbot", params={"expand": "components"}).json()
    assert [c["key"] for c in chatbot["components"]] == ["crm-feed", "nlu", "persona"]
    assert chatbot["components"][1]["raci"] == {"CIO": "AR", "CMO": "C"}
    assert client.get("/kpis/csat").json()["latest"]["value"] == 74


def test_same_document_twice_changes_nothing(client: TestClient, database: Database) -> None:
    client.post("/imports", json=demo())
    before = counts(database)
    versions = client.get("/initiatives/support-chatbot").json()["version"]
    second = client.post("/imports", json=demo()).json()
    for resource, tally in second.items():
        assert tally["created"] == tally["updated"] == tally["deleted"] == 0, resource
    assert second["initiatives"]["unchanged"] == 7
    assert second["raci_cells"]["unchanged"] == 22
    assert counts(database) == before  # including no new audit entry
    assert client.get("/initiatives/support-chatbot").json()["version"] == versions


def test_changed_cells_update_in_place_and_raise_the_initiative_version(client: TestClient) -> None:
    client.post("/imports", json=demo())
    document = demo()
    chatbot = document["initiatives"][0]
    chatbot["components"] = [c for c in chatbot["components"] if c["key"] != "persona"]
    chatbot["components"][0]["raci"] = {"CIO": "A", "CDO": "r"}
    body = client.post("/imports", json=document).json()
    assert body["initiatives"] == {"created": 0, "updated": 1, "unchanged": 6, "deleted": 0}
    assert body["components"]["deleted"] == 1
    assert body["raci_cells"] == {"created": 1, "updated": 1, "unchanged": 18, "deleted": 3}
    chatbot_now = client.get("/initiatives/support-chatbot", params={"expand": "components"}).json()
    assert chatbot_now["version"] == 2
    nlu = next(c for c in chatbot_now["components"] if c["key"] == "nlu")
    assert nlu["raci"] == {"CDO": "R", "CIO": "A"}
    assert_problem(client.get("/initiatives/support-chatbot/components/persona"), 404)


def test_initiative_without_components_keeps_its_components(client: TestClient) -> None:
    client.post("/imports", json=demo())
    document = {"initiatives": [{**DEMO["initiatives"][0], "priority": 2}]}
    del document["initiatives"][0]["components"]
    body = client.post("/imports", json=document).json()
    assert body["initiatives"]["updated"] == 1
    assert body["components"] == {"created": 0, "updated": 0, "unchanged": 0, "deleted": 0}
    assert len(client.get("/initiatives/support-chatbot/components").json()["items"]) == 3


def test_references_to_items_of_the_same_document_resolve(client: TestClient) -> None:
    document = {
        "roles": [{"code": "cfo", "name": "Chief Financial Officer"}],
        "capabilities": [{"key": "billing", "name": "Billing", "agreed_owner": "CFO"}],
        "initiatives": [
            {
                "key": "new-billing",
                "name": "New billing",
                "sponsor": "CFO",
                "components": [
                    {
                        "key": "engine",
                        "name": "Engine",
                        "capability": "billing",
                        "raci": {"cfo": "A/R"},
                    }
                ],
            }
        ],
        "kpis": [
            {
                "key": "dso",
                "name": "Days sales outstanding",
                "direction": "decrease",
                "baseline": 60,
                "baseline_date": "2026-01-01",
                "target": 45,
                "target_date": "2027-01-01",
                "owners": ["CFO", "CIO"],
                "initiatives": ["new-billing"],
            }
        ],
        "measurements": {"dso": [{"value": 58, "measured_at": "2026-06-30T00:00:00Z"}]},
    }
    response = client.post("/imports", json=document)
    assert response.status_code == 200, response.text
    assert client.get("/initiatives/new-billing/components/engine/raci/CFO").json()["raci"] == "AR"
    kpi = client.get("/kpis/dso").json()
    assert kpi["joint"] is True and kpi["initiatives"] == ["new-billing"]


def test_every_bad_item_is_named_by_its_path_and_nothing_is_written(
    client: TestClient, database: Database
) -> None:
    document = demo()
    document["initiatives"][3]["components"][0]["raci"]["CXO"] = "A"
    document["initiatives"][1]["components"][1]["capability"] = "no-such-capability"
    document["kpis"][0]["owners"].append("ZZZ")
    document["kpis"][1]["initiatives"] = ["nowhere"]
    document["measurements"]["unknown-kpi"] = [{"value": 1, "measured_at": "2026-01-01T00:00:00Z"}]
    before = counts(database)
    response = client.post("/imports", json=document)
    body = assert_problem(response, 422, detail_contains="and 4 more")
    paths = {error["path"] for error in body["errors"]}
    assert paths == {
        "initiatives[3].components[0].raci.CXO",
        "initiatives[1].components[1].capability",
        "kpis[0].owners[2]",
        "kpis[1].initiatives[0]",
        "measurements.unknown-kpi",
    }
    assert counts(database) == before


def test_invalid_value_deep_in_a_large_document_is_named(
    client: TestClient, database: Database
) -> None:
    initiatives = [
        {
            "key": f"i-{n:04d}",
            "name": f"Initiative {n}",
            "components": [{"key": "c", "name": "C", "raci": {"CIO": "A"}}],
        }
        for n in range(600)
    ]
    initiatives[517]["components"][0]["raci"]["CMO"] = "X"
    before = counts(database)
    response = client.post("/imports", json={"initiatives": initiatives})
    body = assert_problem(response, 422)
    assert [error["path"] for error in body["errors"]] == [
        "initiatives[517].components[0].raci.CMO"
    ]
    assert counts(database) == before


@pytest.mark.parametrize(
    ("document", "path"),
    [
        (
            {"initiatives": [{"key": "a", "name": "A"}, {"key": "a", "name": "B"}]},
            "initiatives[1].key",
        ),
        (
            {
                "initiatives": [
                    {
                        "key": "a",
                        "name": "A",
                        "components": [{"key": "c", "name": "C"}, {"key": "c", "name": "D"}],
                    }
                ]
            },
            "initiatives[0].components[1].key",
        ),
        ({"roles": [{"code": "CFO", "name": "x"}, {"code": "cfo", "name": "y"}]}, "roles[1].code"),
        (
            {"capabilities": [{"key": "x", "name": "X", "agreed_owner": "NOPE"}]},
            "capabilities[0].agreed_owner",
        ),
        ({"initiatives": [{"key": "a", "name": "A", "sponsor": "NOPE"}]}, "initiatives[0].sponsor"),
        ({"initiatives": [{"key": "Bad Key", "name": "A"}]}, "initiatives[0].key"),
        ({"initiatives": [{"key": "a", "name": "A", "colour": "red"}]}, "initiatives[0].colour"),
        ({"widgets": []}, "widgets"),
    ],
)
def test_bad_documents_are_422_naming_the_item(
    client: TestClient, database: Database, document: dict[str, Any], path: str
) -> None:
    before = counts(database)
    body = assert_problem(client.post("/imports", json=document), 422)
    assert path in {error["path"] for error in body["errors"]}
    assert counts(database) == before


def test_a_measurement_with_another_value_is_refused(client: TestClient) -> None:
    client.post("/imports", json=demo())
    document = {"measurements": {"csat": [{"value": 99, "measured_at": "2026-10-31T00:00:00Z"}]}}
    body = assert_problem(client.post("/imports", json=document), 422)
    assert body["errors"][0]["path"] == "measurements.csat[0].value"


def test_import_over_the_size_limit_is_413(client: TestClient, settings: Any) -> None:
    huge = b'{"initiatives": [' + b" " * settings.max_body_bytes + b"]}"
    response = client.post("/imports", content=huge, headers={"Content-Type": "application/json"})
    assert_problem(response, 413)


def test_read_key_cannot_import(reader: TestClient) -> None:
    assert_problem(reader.post("/imports", json=demo()), 403)


def test_export_then_import_into_an_empty_database_is_identity(
    client: TestClient, database: Database
) -> None:
    client.post("/imports", json=demo())
    exported = client.get("/export").json()
    findings = client.get("/reports/findings", params={"as_of": "2026-11-23"}).json()["findings"]
    matrices = {
        i["key"]: client.get(f"/initiatives/{i['key']}/raci").json() for i in DEMO["initiatives"]
    }
    wipe_portfolio(database.engine)
    assert client.get("/initiatives").json()["items"] == []
    assert client.post("/imports", json=exported).status_code == 200
    assert (
        client.get("/reports/findings", params={"as_of": "2026-11-23"}).json()["findings"]
        == findings
    )
    assert {key: client.get(f"/initiatives/{key}/raci").json() for key in matrices} == matrices
    assert client.get("/export").json() == exported


def test_audit_records_each_changed_resource_of_an_import(client: TestClient) -> None:
    client.post("/imports", json=demo())
    entries = client.get("/audit", params={"resource_type": "raci_cell", "limit": 500}).json()[
        "items"
    ]
    assert len(entries) == 22
    assert {entry["actor"] for entry in entries} == {"pmo-tool"}
    assert {entry["action"] for entry in entries} == {"create"}


def test_two_overlapping_imports_at_once_both_apply_whole(
    client: TestClient, database: Database
) -> None:
    first, second = demo(), demo()
    for initiative in second["initiatives"]:
        initiative["priority"] = 5
    results: list[int] = []

    def push(document: dict[str, Any]) -> None:
        results.append(client.post("/imports", json=document).status_code)

    threads = [threading.Thread(target=push, args=(doc,)) for doc in (first, second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == [200, 200]
    priorities = {
        i["priority"] for i in client.get("/initiatives", params={"limit": 50}).json()["items"]
    }
    # Whichever came last won, wholly: never a mix of the two documents.
    assert priorities in ({5}, {1, 2, 3, 4, 5})
    assert counts(database)[:3] == (7, 13, 22)


def test_the_export_keeps_rationales_groups_and_rule_settings_through_an_import(
    client: TestClient, admin: TestClient, database: Database
) -> None:
    client.post("/imports", json=demo())
    cell = "/initiatives/support-chatbot/components/nlu/raci/CIO"
    assert client.put(cell, json={"raci": "AR", "rationale": "Runs the NLU platform"}).is_success
    component = client.get("/initiatives/support-chatbot/components/nlu").json()
    component["group"] = "Build"
    assert client.put("/initiatives/support-chatbot/components/nlu", json=component).is_success
    patch = {"Content-Type": "application/merge-patch+json"}
    assert admin.patch(
        "/rules/MULTIPLE_ACCOUNTABLE", json={"severity": "low"}, headers=patch
    ).is_success
    assert admin.patch("/rules/OWNER_DRIFT", json={"enabled": False}, headers=patch).is_success
    exported = client.get("/export").json()
    assert exported["rules"] == [
        {"code": "MULTIPLE_ACCOUNTABLE", "enabled": True, "severity": "low"},
        {"code": "OWNER_DRIFT", "enabled": False, "severity": "low"},
    ]
    findings = client.get("/reports/findings", params={"as_of": "2026-11-23"}).json()["findings"]
    document = client.get("/initiatives/support-chatbot", params={"expand": "components"}).json()

    wipe_portfolio(database.engine)
    with database.engine.begin() as connection:
        connection.execute(text("DELETE FROM rule_setting"))
    assert client.post("/imports", json=exported).json()["rules"]["updated"] == 2
    assert (
        client.get("/reports/findings", params={"as_of": "2026-11-23"}).json()["findings"]
        == findings
    )
    again = client.get("/initiatives/support-chatbot", params={"expand": "components"}).json()
    nlu = next(c for c in again["components"] if c["key"] == "nlu")
    assert nlu["group"] == "Build"
    assert nlu["rationales"] == {"CIO": "Runs the NLU platform"}
    assert [c["raci"] for c in again["components"]] == [c["raci"] for c in document["components"]]
    assert client.get("/export").json() == exported
    assert client.post("/imports", json=exported).json()["rules"] == {
        "created": 0,
        "updated": 0,
        "unchanged": 2,
        "deleted": 0,
    }


def test_a_rule_named_twice_in_an_import_is_a_422_and_changes_nothing(client: TestClient) -> None:
    body = {"rules": [{"code": "OWNER_DRIFT", "enabled": False}, {"code": "OWNER_DRIFT"}]}
    problem = assert_problem(client.post("/imports", json=body), 422)
    assert problem["errors"][0]["loc"][:3] == ["body", "rules", 1]
    assert client.get("/rules/OWNER_DRIFT").json()["enabled"] is True


def test_role_functions_travel_through_the_import_and_the_export(client: TestClient) -> None:
    document = {
        "roles": [{"code": "CTO", "name": "Chief Technology Officer", "function": "technology"}]
    }
    assert client.post("/imports", json=document).json()["roles"]["created"] == 1
    exported = {role["code"]: role for role in client.get("/export").json()["roles"]}
    assert exported["CTO"]["function"] == "technology"
    assert exported["CMO"]["function"] == "marketing"
    document["roles"][0]["function"] = "data"
    assert client.post("/imports", json=document).json()["roles"]["updated"] == 1
    assert client.get("/roles/CTO").json()["function"] == "data"


def test_an_import_with_an_unknown_role_function_is_422_and_writes_nothing(
    client: TestClient,
) -> None:
    document = {"roles": [{"code": "CTO", "name": "CTO", "function": "finance"}]}
    response = client.post("/imports", json=document)
    assert_problem(response, 422)
    assert client.get("/roles/CTO").status_code == 404
