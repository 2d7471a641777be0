"""The audit trail: one entry per changed resource, written with the change, read as a feed."""

import csv
import io
import json
import threading
import time
from copy import deepcopy
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import delete, func, insert, select, update

from app.audit import recorder
from app.audit.models import AuditEntry
from app.auth.secrets import hash_secret
from app.components.models import Component
from app.db import changes as handed_over
from app.db.changes import AuditRecord
from app.db.engine import Database
from app.initiatives.models import Initiative, InitiativeTag
from app.raci.models import RaciCell
from app.roles.models import Role
from tests import builders
from tests.problems import assert_problem, error_locs

CHATBOT: dict[str, Any] = {
    "key": "support-chatbot",
    "name": "Customer support chatbot",
    "kind": "chatbot",
    "status": "active",
    "portfolio": "joint",
    "sponsor": "CMO",
    "tags": ["customer-experience"],
    "start_date": "2026-01-15",
    "components": [
        {
            "key": "nlu",
            "name": "NLU engine",
            "capability": "conversational-ai",
            "raci": {"CIO": "AR", "CMO": "C"},
        },
        {"key": "persona", "name": "Conversation design", "raci": {"CMO": "A", "CDO": "R"}},
    ],
}
CSAT = {
    "key": "csat",
    "name": "Customer satisfaction",
    "baseline": 72,
    "baseline_date": "2026-01-01",
    "target": 85,
    "target_date": "2027-12-31",
    "owners": ["CMO", "CIO"],
    "initiatives": ["support-chatbot"],
}


def feed(client: TestClient, **params: Any) -> list[dict[str, Any]]:
    """Every entry matching `params`, following `next_cursor` until it is null (as for
    every list)."""
    items: list[dict[str, Any]] = []
    cursor: str | None = None
    while True:
        query = {**params, **({"cursor": cursor} if cursor else {})}
        response = client.get("/audit", params=query)
        assert response.status_code == 200, response.text
        body = response.json()
        items += body["items"]
        assert body["resume_token"]
        cursor = body["next_cursor"]
        assert (cursor is not None) == body["has_more"]
        if cursor is None:
            return items


def changes(client: TestClient, **params: Any) -> list[tuple[str, str, str]]:
    """(action, resource_type, resource_key) of each entry, in feed order."""
    return [(e["action"], e["resource_type"], e["resource_key"]) for e in feed(client, **params)]


def entry_count(database: Database) -> int:
    with database.transaction(write=False) as session:
        return session.scalar(select(func.count()).select_from(AuditEntry)) or 0


def role_entries(database: Database) -> list[AuditEntry]:
    with database.transaction(write=False) as session:
        return list(
            session.scalars(
                select(AuditEntry).where(AuditEntry.resource_type == "role").order_by(AuditEntry.id)
            )
        )


# --- what is recorded -------------------------------------------------------------------


def test_create_update_delete_of_a_role_each_write_one_entry_by_the_key(
    client: TestClient,
) -> None:
    assert client.post("/roles", json={"code": "CFO", "name": "Chief Financial Officer"}).is_success
    assert client.patch("/roles/CFO", json={"description": "Money"}).is_success
    assert client.delete("/roles/CFO").status_code == 204

    entries = feed(client, resource_type="role")
    assert [(e["action"], e["resource_key"], e["actor"]) for e in entries] == [
        ("create", "CFO", "pmo-tool"),
        ("update", "CFO", "pmo-tool"),
        ("delete", "CFO", "pmo-tool"),
    ]
    created, updated, deleted = entries
    assert created["before"] is None
    assert created["after"] == {
        "code": "CFO",
        "name": "Chief Financial Officer",
        "description": None,
        "function": "other",
    }
    assert updated["before"]["description"] is None
    assert updated["after"]["description"] == "Money"
    assert deleted["before"]["description"] == "Money"
    assert deleted["after"] is None
    assert created["at"].endswith("Z")
    assert created["id"] < updated["id"] < deleted["id"]


def test_an_unchanged_put_writes_no_entry(client: TestClient, database: Database) -> None:
    client.put("/roles/CSO", json={"name": "Chief Strategy Officer"})
    before = entry_count(database)
    again = client.put("/roles/CSO", json={"name": "Chief Strategy Officer"})
    assert again.status_code == 200
    assert entry_count(database) == before


def test_a_patch_that_changes_nothing_writes_no_entry(
    client: TestClient, database: Database
) -> None:
    before = entry_count(database)
    assert client.patch("/roles/CMO", json={"name": "Chief Marketing Officer"}).is_success
    assert entry_count(database) == before


def test_a_refused_request_changes_nothing_and_writes_nothing(
    client: TestClient, database: Database
) -> None:
    before = entry_count(database)
    assert_problem(client.post("/roles", json={"code": "CMO", "name": "Taken"}), 409)
    assert_problem(client.put("/roles/CMO", json={"name": "x"}, headers={"If-Match": '"9"'}), 412)
    assert entry_count(database) == before


def test_the_entries_and_the_change_commit_or_roll_back_together(database: Database) -> None:
    before = entry_count(database)
    with pytest.raises(RuntimeError), database.transaction() as session:
        session.add(Role(code="CFO", name="Chief Financial Officer"))
        session.flush()
        raise RuntimeError("the request failed after its change was flushed")
    with database.transaction(write=False) as session:
        assert session.scalar(select(Role).where(Role.code == "CFO")) is None
    assert entry_count(database) == before


def test_a_failing_audit_write_rolls_the_change_back(
    database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*_args: Any) -> None:
        raise RuntimeError("audit unavailable")

    monkeypatch.setattr(recorder, "_write", broken)
    with pytest.raises(RuntimeError), database.transaction() as session:
        session.add(Role(code="CFO", name="Chief Financial Officer"))
    with database.transaction(write=False) as session:
        assert session.scalar(select(Role).where(Role.code == "CFO")) is None


def test_a_rolled_back_savepoint_leaves_no_entry(database: Database) -> None:
    with database.transaction() as session:
        session.add(Role(code="CFO", name="Chief Financial Officer"))
        try:
            with session.begin_nested():
                session.add(Role(code="CSO", name="Chief Strategy Officer"))
                session.flush()
                raise RuntimeError("undo this part")
        except RuntimeError:
            pass
    assert [(e.action, e.resource_key, e.actor) for e in role_entries(database)] == [
        ("create", "CFO", "system")
    ]


def test_created_and_deleted_in_one_transaction_writes_nothing(database: Database) -> None:
    with database.transaction() as session:
        role = Role(code="CFO", name="Chief Financial Officer")
        session.add(role)
        session.flush()
        session.delete(role)
    assert role_entries(database) == []


def test_several_changes_to_one_resource_in_a_transaction_are_one_entry(
    database: Database,
) -> None:
    with database.transaction() as session:
        role = session.scalars(select(Role).where(Role.code == "CMO")).one()
        role.name = "Chief Marketing and Brand Officer"
        session.flush()
        role.description = "Brand"
        session.flush()
    (entry,) = role_entries(database)
    assert entry.action == "update"
    assert entry.before is not None and entry.after is not None
    assert entry.before["name"] == "Chief Marketing Officer"
    assert entry.after == {
        "code": "CMO",
        "name": "Chief Marketing and Brand Officer",
        "description": "Brand",
        "function": "marketing",
    }


def test_changes_outside_a_request_are_by_system(database: Database) -> None:
    builders.role(database, "CFO")
    assert [e.actor for e in role_entries(database)] == ["system"]


# --- initiatives, components, cells -----------------------------------------------------


@pytest.fixture
def capability(database: Database) -> None:
    builders.capability(database, "conversational-ai", agreed_owner="CIO")


def test_a_nested_put_records_the_initiative_its_components_and_cells(
    client: TestClient, capability: None
) -> None:
    assert client.put("/initiatives/support-chatbot", json=CHATBOT).status_code == 201
    entries = feed(client, actor="pmo-tool")
    assert sorted((e["action"], e["resource_type"], e["resource_key"]) for e in entries) == [
        ("create", "component", "support-chatbot/nlu"),
        ("create", "component", "support-chatbot/persona"),
        ("create", "initiative", "support-chatbot"),
        ("create", "raci_cell", "support-chatbot/nlu/CIO"),
        ("create", "raci_cell", "support-chatbot/nlu/CMO"),
        ("create", "raci_cell", "support-chatbot/persona/CDO"),
        ("create", "raci_cell", "support-chatbot/persona/CMO"),
    ]
    by_key = {e["resource_key"]: e for e in entries}
    initiative = by_key["support-chatbot"]["after"]
    assert initiative["tags"] == ["customer-experience"]
    assert initiative["sponsor"] == "CMO"
    assert initiative["start_date"] == "2026-01-15"
    assert "id" not in initiative and "components" not in initiative
    assert by_key["support-chatbot/nlu"]["after"] == {
        "initiative": "support-chatbot",
        "key": "nlu",
        "name": "NLU engine",
        "capability": "conversational-ai",
        "description": None,
        "group": None,
    }
    assert by_key["support-chatbot/nlu/CIO"]["after"] == {
        "initiative": "support-chatbot",
        "component": "nlu",
        "role": "CIO",
        "raci": "AR",
        "rationale": None,
        "agreement": "proposed",
        "agreement_by": None,
        "agreement_at": None,
        "agreement_comment": None,
    }
    # Tag rows are part of the initiative's entry, never entries of their own.
    assert {e["resource_type"] for e in entries} == {"initiative", "component", "raci_cell"}


def test_putting_the_same_document_again_writes_nothing(
    client: TestClient, database: Database, capability: None
) -> None:
    client.put("/initiatives/support-chatbot", json=CHATBOT)
    before = entry_count(database)
    assert client.put("/initiatives/support-chatbot", json=CHATBOT).status_code == 200
    assert entry_count(database) == before


def test_a_changed_document_records_exactly_what_changed(
    client: TestClient, capability: None
) -> None:
    client.put("/initiatives/support-chatbot", json=CHATBOT)
    cursor = client.get("/audit").json()["resume_token"]
    while client.get("/audit", params={"cursor": cursor}).json()["items"]:
        cursor = client.get("/audit", params={"cursor": cursor}).json()["resume_token"]

    document = deepcopy(CHATBOT)
    document["tags"] = ["customer-experience", "genai"]
    document["components"] = [deepcopy(CHATBOT["components"][0])]  # persona removed
    document["components"][0]["raci"] = {"CIO": "A", "CMO": "C", "CDO": "R"}
    assert client.put("/initiatives/support-chatbot", json=document).status_code == 200

    page = client.get("/audit", params={"cursor": cursor}).json()
    entries = {(e["action"], e["resource_key"]): e for e in page["items"]}
    assert sorted(entries) == [
        ("create", "support-chatbot/nlu/CDO"),
        ("delete", "support-chatbot/persona"),
        ("delete", "support-chatbot/persona/CDO"),
        ("delete", "support-chatbot/persona/CMO"),
        ("update", "support-chatbot"),
        ("update", "support-chatbot/nlu/CIO"),
    ]
    tags = entries[("update", "support-chatbot")]
    assert tags["before"]["tags"] == ["customer-experience"]
    assert tags["after"]["tags"] == ["customer-experience", "genai"]
    cell = entries[("update", "support-chatbot/nlu/CIO")]
    assert (cell["before"]["raci"], cell["after"]["raci"]) == ("AR", "A")


def test_deleting_an_initiative_records_its_components_and_cells_gone(
    client: TestClient, capability: None
) -> None:
    client.put("/initiatives/support-chatbot", json=CHATBOT)
    assert client.delete("/initiatives/support-chatbot").status_code == 204
    deleted = changes(client, action="delete")
    assert sorted(key for _, _, key in deleted) == [
        "support-chatbot",
        "support-chatbot/nlu",
        "support-chatbot/nlu/CIO",
        "support-chatbot/nlu/CMO",
        "support-chatbot/persona",
        "support-chatbot/persona/CDO",
        "support-chatbot/persona/CMO",
    ]


def test_a_cell_put_through_its_own_endpoint_is_one_entry(
    client: TestClient, database: Database
) -> None:
    builders.support_chatbot(database)
    response = client.put(
        "/initiatives/support-chatbot/components/nlu/raci/CDO", json={"raci": "I"}
    )
    assert response.status_code == 201, response.text
    assert changes(client, actor="pmo-tool") == [("create", "raci_cell", "support-chatbot/nlu/CDO")]


def test_a_kpi_entry_carries_its_owners_and_initiatives_and_measurements_are_keyed_by_time(
    client: TestClient, capability: None
) -> None:
    client.put("/initiatives/support-chatbot", json=CHATBOT)
    assert client.post("/kpis", json=CSAT).status_code == 201
    reading = {"value": 74, "measured_at": "2026-10-31T00:00:00Z"}
    assert client.post("/kpis/csat/measurements", json=reading).status_code == 201
    assert client.patch("/kpis/csat", json={"owners": ["CMO"]}).is_success

    kpi_entries = feed(client, resource_type="kpi")
    assert [e["action"] for e in kpi_entries] == ["create", "update"]
    assert kpi_entries[0]["after"]["owners"] == ["CIO", "CMO"]
    assert kpi_entries[0]["after"]["initiatives"] == ["support-chatbot"]
    assert kpi_entries[0]["after"]["baseline_date"] == "2026-01-01"
    assert kpi_entries[1]["after"]["owners"] == ["CMO"]
    (measurement,) = feed(client, resource_type="measurement")
    assert measurement["resource_key"] == "csat/2026-10-31T00:00:00Z"
    assert measurement["after"]["measured_at"] == "2026-10-31T00:00:00Z"
    assert measurement["after"]["value"] == 74
    assert {e["resource_type"] for e in feed(client)} <= set(handed_over.RESOURCE_TYPES)


def test_rules_are_audited(client: TestClient) -> None:
    response = client.patch("/rules/OWNER_DRIFT", json={"severity": "high"})
    assert response.is_success, response.text
    (entry,) = feed(client, resource_type="rule")
    assert entry["resource_key"] == "OWNER_DRIFT"
    assert (entry["before"]["severity"], entry["after"]["severity"]) == ("low", "high")


def test_api_keys_are_audited_without_secrets_or_hashes(
    admin: TestClient, database: Database
) -> None:
    created = admin.post("/keys", json={"name": "pmo-sync", "scope": "write"})
    assert created.status_code == 201
    secret = created.json()["secret"]
    assert admin.delete("/keys/pmo-sync").status_code == 204

    entries = feed(admin, resource_type="api_key", resource_key="pmo-sync")
    assert [(e["action"], e["actor"]) for e in entries] == [
        ("create", "bootstrap"),
        ("delete", "bootstrap"),
    ]
    assert entries[0]["after"] == {"name": "pmo-sync", "scope": "write", "acts_for": []}
    with database.transaction(write=False) as session:
        everything = str([(e.before, e.after) for e in session.scalars(select(AuditEntry))])
    assert secret not in everything
    assert hash_secret(secret) not in everything
    assert "secret" not in everything


# --- writers that bypass the ORM --------------------------------------------------------


def test_bulk_update_and_delete_statements_through_the_session_are_audited(
    database: Database,
) -> None:
    builders.support_chatbot(database)
    with database.transaction() as session:
        session.info["actor"] = "importer"
        session.execute(update(Role).where(Role.code == "CDO").values(description="Data"))
        session.execute(delete(RaciCell).where(RaciCell.raci == "I"))
        session.execute(delete(InitiativeTag))  # no tags: the initiative does not change
    with database.transaction(write=False) as session:
        rows = session.execute(
            select(AuditEntry.action, AuditEntry.resource_key).where(AuditEntry.actor == "importer")
        ).all()
    assert sorted(tuple(row) for row in rows) == [
        ("delete", "support-chatbot/crm-feed/CMO"),
        ("update", "CDO"),
    ]


def test_watch_audits_core_writes(database: Database) -> None:
    builders.initiative(database, "iot-fleet")
    with database.transaction() as session:
        session.info["actor"] = "importer"
        initiative_id = session.scalar(select(Initiative.id).where(Initiative.key == "iot-fleet"))
        recorder.watch(session, "initiative", [(initiative_id,)])
        connection = session.connection()
        connection.execute(
            update(Initiative.__table__)
            .where(Initiative.id == initiative_id)
            .values(status="active")
        )
        connection.execute(
            insert(InitiativeTag.__table__), [{"initiative_id": initiative_id, "tag": "iot"}]
        )
        new_id = connection.execute(
            insert(Component.__table__)
            .values(
                initiative_id=initiative_id,
                key="gateway",
                name="Gateway",
                version=1,
                created_at=datetime.now(UTC),
                updated_at=datetime.now(UTC),
            )
            .returning(Component.__table__.c.id)
        ).scalar_one()
        recorder.watch(session, "component", [(new_id,)], inserted=True)
    with database.transaction(write=False) as session:
        entries = list(
            session.scalars(
                select(AuditEntry).where(AuditEntry.actor == "importer").order_by(AuditEntry.id)
            )
        )
    assert [(e.action, e.resource_key) for e in entries] == [
        ("update", "iot-fleet"),
        ("create", "iot-fleet/gateway"),
    ]
    assert entries[0].before is not None and entries[0].after is not None
    assert (entries[0].before["status"], entries[0].after["status"]) == ("proposed", "active")
    assert entries[0].after["tags"] == ["iot"]


def test_record_writes_ready_made_entries_at_commit(database: Database) -> None:
    with database.transaction() as session:
        session.info["actor"] = "importer"
        handed_over.record(
            session,
            [
                AuditRecord("create", "role", "CFO", None, {"code": "CFO"}),
                AuditRecord("update", "role", "CMO", {"name": "x"}, {"name": "x"}),  # no change
            ],
        )
    with database.transaction(write=False) as session:
        rows = session.execute(
            select(AuditEntry.actor, AuditEntry.action, AuditEntry.resource_key).where(
                AuditEntry.resource_type == "role"
            )
        ).all()
    assert [tuple(row) for row in rows] == [("importer", "create", "CFO")]


# --- the feed ---------------------------------------------------------------------------


def test_polling_with_the_last_resume_token_gets_each_later_change_exactly_once_in_order(
    client: TestClient,
) -> None:
    first = client.get("/audit", params={"resource_type": "role"}).json()
    assert first["items"] == [] and first["has_more"] is False
    cursor = first["resume_token"]
    assert cursor

    empty = client.get("/audit", params={"resource_type": "role", "cursor": cursor}).json()
    assert empty["items"] == [] and empty["resume_token"] == cursor

    for code in ("CFO", "CSO", "CRO"):
        client.post("/roles", json={"code": code, "name": code})
    page = client.get("/audit", params={"resource_type": "role", "cursor": cursor}).json()
    assert [e["resource_key"] for e in page["items"]] == ["CFO", "CSO", "CRO"]
    cursor = page["resume_token"]

    client.delete("/roles/CSO")
    page = client.get("/audit", params={"resource_type": "role", "cursor": cursor}).json()
    assert [(e["action"], e["resource_key"]) for e in page["items"]] == [("delete", "CSO")]
    again = client.get("/audit", params={"resource_type": "role", "cursor": page["resume_token"]})
    assert again.json()["items"] == []


def test_pages_follow_one_another_by_id(client: TestClient) -> None:
    for index in range(5):
        client.post("/roles", json={"code": f"R{index}X", "name": "x"})
    first = client.get("/audit", params={"resource_type": "role", "limit": 2}).json()
    assert first["has_more"] is True
    second = client.get(
        "/audit", params={"resource_type": "role", "limit": 2, "cursor": first["next_cursor"]}
    ).json()
    third = client.get(
        "/audit", params={"resource_type": "role", "limit": 2, "cursor": second["next_cursor"]}
    ).json()
    keys = [e["resource_key"] for page in (first, second, third) for e in page["items"]]
    assert keys == ["R0X", "R1X", "R2X", "R3X", "R4X"]
    assert third["has_more"] is False
    assert first["next_cursor"] and second["next_cursor"] and third["next_cursor"] is None
    ids = [e["id"] for page in (first, second, third) for e in page["items"]]
    assert ids == sorted(ids)


def test_a_cursor_for_other_filters_or_a_forged_one_is_422(client: TestClient) -> None:
    cursor = client.get("/audit", params={"resource_type": "role"}).json()["resume_token"]
    other = client.get("/audit", params={"resource_type": "kpi", "cursor": cursor})
    assert error_locs(assert_problem_422(other)) == [["query", "cursor"]]
    assert_problem(client.get("/audit", params={"cursor": "bm90LWEtY3Vyc29y"}), 422)


def assert_problem_422(response: Any) -> Any:
    assert_problem(response, 422)
    return response


def test_the_cursor_carries_over_between_json_and_csv(client: TestClient) -> None:
    cursor = client.get("/audit", params={"resource_type": "role"}).json()["resume_token"]
    client.post("/roles", json={"code": "CFO", "name": "CFO"})
    response = client.get(
        "/audit", params={"resource_type": "role", "cursor": cursor, "format": "csv"}
    )
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(response.text)))
    assert [row[5] for row in rows[1:]] == ["CFO"]


# --- filters ----------------------------------------------------------------------------


def test_filters_by_type_key_prefix_actor_action_and_time(
    client: TestClient, reader: TestClient, database: Database
) -> None:
    builders.support_chatbot(database)
    builders.initiative(database, "support-chatbot-2")
    builders.component(database, "support-chatbot-2", "nlu")
    time.sleep(0.01)
    start = datetime.now(UTC)
    client.patch("/roles/CMO", json={"description": "Brand"})
    client.put("/initiatives/support-chatbot/components/nlu/raci/CDO", json={"raci": "I"})

    prefixed = changes(reader, resource_key_prefix="support-chatbot/")
    assert prefixed and all(key.startswith("support-chatbot/") for _, _, key in prefixed)
    assert ("create", "component", "support-chatbot/nlu") in prefixed
    assert not any(key.startswith("support-chatbot-2") for _, _, key in prefixed)

    either = changes(reader, resource_key=["support-chatbot", "CMO"])
    assert {key for _, _, key in either} == {"support-chatbot", "CMO"}

    combined = changes(
        reader, resource_key=["support-chatbot"], resource_key_prefix=["support-chatbot/nlu/"]
    )
    assert {key for _, _, key in combined} == {
        "support-chatbot",
        "support-chatbot/nlu/CIO",
        "support-chatbot/nlu/CMO",
        "support-chatbot/nlu/CDO",
    }

    assert changes(reader, actor="pmo-tool") == [
        ("update", "role", "CMO"),
        ("create", "raci_cell", "support-chatbot/nlu/CDO"),
    ]
    assert changes(reader, action="update") == [("update", "role", "CMO")]
    assert changes(reader, resource_type=["role", "raci_cell"], since=start.isoformat()) == [
        ("update", "role", "CMO"),
        ("create", "raci_cell", "support-chatbot/nlu/CDO"),
    ]
    later = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    assert changes(reader, since=later) == []


def test_a_prefix_is_matched_literally(client: TestClient, database: Database) -> None:
    builders.initiative(database, "a_b")
    builders.initiative(database, "axb")
    assert {key for _, _, key in changes(client, resource_key_prefix="a_")} == {"a_b"}
    assert changes(client, resource_key_prefix="CM") == []
    client.patch("/roles/CMO", json={"description": "x"})
    assert changes(client, resource_key_prefix="cm") == []
    assert changes(client, resource_key_prefix="CM") == [("update", "role", "CMO")]


@pytest.mark.parametrize(
    ("params", "loc"),
    [
        ({"resource_type": "widget"}, ["query", "resource_type", 0]),
        ({"action": "upsert"}, ["query", "action", 0]),
        ({"since": "2026-11-23T10:00:00"}, ["query", "since"]),
        ({"since": "yesterday"}, ["query", "since"]),
        ({"limit": 0}, ["query", "limit"]),
        ({"limit": 501}, ["query", "limit"]),
        ({"color": "red"}, ["query", "color"]),
    ],
)
def test_invalid_filters_are_422(
    client: TestClient, params: dict[str, Any], loc: list[Any]
) -> None:
    response = client.get("/audit", params=params)
    assert_problem(response, 422)
    assert loc in error_locs(response)


def test_a_filter_repeated_too_often_is_422(client: TestClient) -> None:
    response = client.get("/audit", params={"actor": [f"k{i}" for i in range(51)]})
    assert error_locs(assert_problem_422(response)) == [["query", "actor"]]


def test_the_audit_log_needs_a_key(anon: TestClient, reader: TestClient) -> None:
    assert_problem(anon.get("/audit"), 401)
    assert reader.get("/audit").status_code == 200


# --- CSV --------------------------------------------------------------------------------


def test_csv_has_a_header_json_states_and_the_cursor_in_a_header(client: TestClient) -> None:
    client.patch("/roles/CMO", json={"description": "Brand"})
    for response in (
        client.get("/audit", params={"resource_type": "role", "format": "csv"}),
        client.get("/audit", params={"resource_type": "role"}, headers={"Accept": "text/csv"}),
    ):
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/csv")
        assert response.headers["x-resume-token"]
        assert "x-next-cursor" not in response.headers  # the last page
        assert response.headers["x-has-more"] == "false"
        rows = list(csv.DictReader(io.StringIO(response.text)))
        assert list(rows[0]) == list(
            ("id", "at", "actor", "action", "resource_type", "resource_key", "before", "after")
        )
        (row,) = rows
        assert (row["action"], row["resource_key"], row["actor"]) == ("update", "CMO", "pmo-tool")
        assert json.loads(row["after"])["description"] == "Brand"
        assert json.loads(row["before"])["description"] is None


def test_csv_cells_that_a_spreadsheet_would_run_are_prefixed(
    client: TestClient, database: Database
) -> None:
    with database.transaction() as session:
        handed_over.record(
            session, [AuditRecord("create", "role", "=HYPERLINK(1)", None, {"code": "x"})]
        )
    response = client.get("/audit", params={"format": "csv", "resource_type": "role"})
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert rows[0]["resource_key"] == "'=HYPERLINK(1)"
    assert rows[0]["before"] == ""


def test_concurrent_writers_never_make_a_poller_skip_or_repeat_a_change(
    client: TestClient,
) -> None:
    writers, per_writer = 4, 8
    params: dict[str, Any] = {"resource_type": "role", "limit": 500}
    cursor = client.get("/audit", params=params).json()["resume_token"]
    seen: list[dict[str, Any]] = []
    writing_done = threading.Event()

    def poll() -> None:
        nonlocal cursor
        while True:
            finished = writing_done.is_set()
            page = client.get("/audit", params={**params, "cursor": cursor}).json()
            seen.extend(page["items"])
            cursor = page["resume_token"]
            if finished and not page["has_more"]:
                return

    def write(writer: int) -> None:
        for index in range(per_writer):
            response = client.post("/roles", json={"code": f"W{writer}X{index}", "name": "x"})
            assert response.status_code == 201

    poller = threading.Thread(target=poll)
    poller.start()
    threads = [threading.Thread(target=write, args=(w,)) for w in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    writing_done.set()
    poller.join(timeout=60)

    keys = [entry["resource_key"] for entry in seen]
    expected = {f"W{w}X{i}" for w in range(writers) for i in range(per_writer)}
    assert len(keys) == len(expected) and set(keys) == expected
    ids = [entry["id"] for entry in seen]
    assert ids == sorted(ids)


# --- paging like every list, and what read keys may see -------------------------------


def test_paging_until_next_cursor_is_null_ends(client: TestClient) -> None:
    """A client that pages as every list allows stops: the last page's next_cursor is null."""
    for index in range(3):
        client.post("/roles", json={"code": f"P{index}X", "name": "x"})
    pages, cursor = 0, None
    while True:
        params = {"resource_type": "role", "limit": 2, **({"cursor": cursor} if cursor else {})}
        page = client.get("/audit", params=params).json()
        pages += 1
        assert pages < 10, "next_cursor never became null"
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert pages == 2
    assert page["has_more"] is False and page["resume_token"]
    csv_answer = client.get("/audit", params={"resource_type": "role", "format": "csv"})
    assert "x-next-cursor" not in csv_answer.headers
    assert csv_answer.headers["x-resume-token"]


def test_entries_about_api_keys_are_shown_to_admin_keys_only(
    admin: TestClient, reader: TestClient, client: TestClient
) -> None:
    assert admin.post("/keys", json={"name": "pmo-sync", "scope": "write"}).status_code == 201
    admin_view = [e for e in feed(admin) if e["resource_type"] == "api_key"]
    assert [e["after"]["scope"] for e in admin_view if e["resource_key"] == "pmo-sync"]
    for holder in (reader, client):
        entries = feed(holder)
        assert all(e["resource_type"] != "api_key" for e in entries)
        assert "scope" not in json.dumps(entries)
        assert_problem(holder.get("/audit", params={"resource_type": "api_key"}), 403)
