"""The nested initiative document: PUT /initiatives/{key} with `components`, and
GET /initiatives/{key}?expand=components."""

from collections.abc import Iterator
from contextlib import contextmanager
from copy import deepcopy
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event, select

from app.components.models import Component
from app.db.engine import Database
from app.initiatives.models import Initiative
from app.raci.models import RaciCell
from tests.problems import assert_problem, error_locs

URL = "/initiatives/support-chatbot"
EXPAND = {"expand": "components"}

CAPABILITIES = [
    {"key": "conversational-ai", "name": "Conversational AI platform", "agreed_owner": "CIO"},
    {"key": "conversation-design", "name": "Conversation and persona design"},
    {"key": "customer-data-platform", "name": "Customer data platform"},
]

DOCUMENT: dict[str, Any] = {
    "key": "support-chatbot",
    "name": "Customer support chatbot",
    "kind": "chatbot",
    "status": "active",
    "portfolio": "joint",
    "sponsor": "CMO",
    "tags": ["customer-experience"],
    "components": [
        {
            "key": "nlu",
            "name": "NLU engine",
            "capability": "conversational-ai",
            "raci": {"CIO": "AR", "CMO": "C"},
        },
        {
            "key": "persona",
            "name": "Conversation design",
            "capability": "conversation-design",
            "raci": {"CMO": "A", "CDO": "R"},
        },
        {
            "key": "crm-feed",
            "name": "CRM data feed",
            "capability": "customer-data-platform",
            "description": "Customer history for the bot",
            "raci": {"CIO": "A", "CDO": "A", "CMO": "I"},
        },
    ],
}


@pytest.fixture(autouse=True)
def capabilities(client: TestClient) -> None:
    for capability in CAPABILITIES:
        assert client.post("/capabilities", json=capability).status_code == 201


def _document(**changes: Any) -> dict[str, Any]:
    return {**deepcopy(DOCUMENT), **changes}


def _put(client: TestClient, body: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    response = client.put(URL, json=body, **kwargs)
    assert response.status_code in (200, 201), response.text
    result: dict[str, Any] = response.json()
    return result


def _expanded(client: TestClient) -> dict[str, Any]:
    response = client.get(URL, params=EXPAND)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def _by_key(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {component["key"]: component for component in document["components"]}


def _cell_versions(database: Database) -> dict[tuple[str, str], int]:
    """(component key, role) -> version of every stored cell."""
    with database.transaction(write=False) as session:
        rows = session.execute(
            select(Component.key, RaciCell.role, RaciCell.version).join(
                Component, Component.id == RaciCell.component_id
            )
        )
        return {(component, role): version for component, role, version in rows}


def _stored_state(database: Database) -> dict[str, Any]:
    """Every row of the document with its version and updated_at, to prove nothing changed."""
    with database.transaction(write=False) as session:
        initiatives = session.execute(
            select(Initiative.key, Initiative.version, Initiative.updated_at)
        )
        components = session.execute(select(Component.key, Component.version, Component.updated_at))
        cells = session.execute(
            select(RaciCell.component_id, RaciCell.role, RaciCell.raci, RaciCell.version)
        )
        return {
            "initiatives": sorted(tuple(row) for row in initiatives),
            "components": sorted(tuple(row) for row in components),
            "cells": sorted(tuple(row) for row in cells),
        }


@contextmanager
def _counting_queries(database: Database) -> Iterator[list[str]]:
    statements: list[str] = []

    def _record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    event.listen(database.engine, "before_cursor_execute", _record)
    try:
        yield statements
    finally:
        event.remove(database.engine, "before_cursor_execute", _record)


# --- creating and reading the document --------------------------------------------------


def test_put_creates_the_initiative_with_its_components_and_cells(client: TestClient) -> None:
    response = client.put(URL, json=DOCUMENT)
    assert response.status_code == 201
    assert response.headers["etag"] == '"1"'
    assert response.json()["version"] == 1
    body = _expanded(client)
    assert body["version"] == 1
    assert [c["key"] for c in body["components"]] == ["crm-feed", "nlu", "persona"]
    components = _by_key(body)
    assert components["nlu"]["raci"] == {"CIO": "AR", "CMO": "C"}
    assert components["crm-feed"]["raci"] == {"CDO": "A", "CIO": "A", "CMO": "I"}
    assert components["crm-feed"]["description"] == "Customer history for the bot"
    assert components["persona"]["capability"] == "conversation-design"
    for component in body["components"]:
        assert component["version"] == 1
        assert component["created_at"].endswith("Z") and component["updated_at"].endswith("Z")


def test_post_accepts_the_same_document(client: TestClient) -> None:
    response = client.post("/initiatives", json=DOCUMENT)
    assert response.status_code == 201
    assert response.json()["version"] == 1
    assert len(_expanded(client)["components"]) == 3


def test_get_without_expand_has_no_components(client: TestClient) -> None:
    _put(client, DOCUMENT)
    assert "components" not in client.get(URL).json()


def test_expand_of_an_initiative_without_components_is_an_empty_list(client: TestClient) -> None:
    _put(client, _document(components=None))
    assert _expanded(client)["components"] == []


def test_expand_sends_the_document_version_as_etag(client: TestClient) -> None:
    _put(client, DOCUMENT)
    assert client.get(URL, params=EXPAND).headers["etag"] == '"1"'


def test_unknown_expand_value_is_422(client: TestClient) -> None:
    _put(client, DOCUMENT)
    response = client.get(URL, params={"expand": "cells"})
    assert_problem(response, 422)
    assert error_locs(response) == [["query", "expand"]]


def test_put_can_answer_with_the_expanded_document(client: TestClient) -> None:
    response = client.put(URL, json=DOCUMENT, params=EXPAND)
    assert response.status_code == 201
    assert [c["key"] for c in response.json()["components"]] == ["crm-feed", "nlu", "persona"]


def test_raci_values_and_role_codes_are_case_insensitive_with_ar_aliases(
    client: TestClient,
) -> None:
    document = _document(
        components=[
            {"key": "a", "name": "A", "raci": {"cio": "a/r", "cmo": "c"}},
            {"key": "b", "name": "B", "raci": {"Cdo": "R/A", "CEO": "i"}},
            {"key": "c", "name": "C", "raci": {"CMO": "ra", "CIO": " r "}},
        ]
    )
    _put(client, document)
    raci = {key: c["raci"] for key, c in _by_key(_expanded(client)).items()}
    assert raci == {
        "a": {"CIO": "AR", "CMO": "C"},
        "b": {"CDO": "AR", "CEO": "I"},
        "c": {"CIO": "R", "CMO": "AR"},
    }


def test_expand_reads_in_a_fixed_number_of_queries(client: TestClient, database: Database) -> None:
    _put(client, _document(components=DOCUMENT["components"][:1]))
    with _counting_queries(database) as few:
        _expanded(client)
    many = [
        {"key": f"part-{i:02}", "name": f"Part {i}", "raci": {"CIO": "A", "CMO": "R", "CDO": "C"}}
        for i in range(25)
    ]
    _put(client, _document(components=many))
    with _counting_queries(database) as lots:
        assert len(_expanded(client)["components"]) == 25
    assert len(lots) == len(few), lots


# --- replacing the document -------------------------------------------------------------


def test_identical_document_changes_nothing_anywhere(
    client: TestClient, database: Database
) -> None:
    _put(client, DOCUMENT)
    before = _stored_state(database)
    response = client.put(URL, json=DOCUMENT)
    assert response.status_code == 200
    assert response.headers["etag"] == '"1"'
    assert _stored_state(database) == before


def test_identical_document_written_differently_changes_nothing(
    client: TestClient, database: Database
) -> None:
    _put(client, DOCUMENT)
    before = _stored_state(database)
    same = _document(
        sponsor="cmo",
        tags=["customer-experience", "customer-experience"],
        components=[
            {
                **component,
                "raci": {code.lower(): value.lower() for code, value in component["raci"].items()},
            }
            for component in reversed(DOCUMENT["components"])
        ],
    )
    assert _put(client, same)["version"] == 1
    assert _stored_state(database) == before


def test_get_expand_then_put_it_back_is_200_and_changes_nothing(
    client: TestClient, database: Database
) -> None:
    _put(client, DOCUMENT)
    client.put(URL, json=_document(goals="Fewer calls"))  # version 2, so versions differ
    before = _stored_state(database)
    got = _expanded(client)
    response = client.put(URL, json=got, headers={"If-Match": f'"{got["version"]}"'})
    assert response.status_code == 200
    assert response.json()["version"] == got["version"] == 2
    assert _expanded(client) == got
    assert _stored_state(database) == before


def test_changing_one_cell_raises_the_initiative_and_that_cell_only(
    client: TestClient, database: Database
) -> None:
    _put(client, DOCUMENT)
    document = _document()
    document["components"][1]["raci"]["CDO"] = "AR"
    response = client.put(URL, json=document)
    assert response.status_code == 200
    assert response.headers["etag"] == '"2"'
    body = _expanded(client)
    assert body["version"] == 2
    assert all(component["version"] == 1 for component in body["components"])
    assert _by_key(body)["persona"]["raci"] == {"CDO": "AR", "CMO": "A"}
    versions = _cell_versions(database)
    assert versions.pop(("persona", "CDO")) == 2
    assert set(versions.values()) == {1}


def test_changing_a_component_updates_it_in_place_and_leaves_the_others(
    client: TestClient,
) -> None:
    _put(client, DOCUMENT)
    before = _by_key(_expanded(client))
    document = _document()
    document["components"][0]["name"] = "Natural language understanding"
    document["components"][0]["capability"] = None
    _put(client, document)
    after = _expanded(client)
    assert after["version"] == 2
    components = _by_key(after)
    nlu = components["nlu"]
    assert nlu["version"] == 2
    assert nlu["name"] == "Natural language understanding" and nlu["capability"] is None
    assert nlu["created_at"] == before["nlu"]["created_at"]
    assert nlu["raci"] == before["nlu"]["raci"]
    assert components["persona"] == before["persona"]
    assert components["crm-feed"] == before["crm-feed"]


def test_description_left_out_of_a_component_is_cleared(client: TestClient) -> None:
    _put(client, DOCUMENT)
    document = _document()
    del document["components"][2]["description"]
    _put(client, document)
    crm_feed = _by_key(_expanded(client))["crm-feed"]
    assert crm_feed["description"] is None and crm_feed["version"] == 2


def test_components_left_out_are_removed_with_their_cells(
    client: TestClient, database: Database
) -> None:
    _put(client, DOCUMENT)
    _put(client, _document(components=DOCUMENT["components"][:1]))
    body = _expanded(client)
    assert body["version"] == 2
    assert [c["key"] for c in body["components"]] == ["nlu"]
    assert body["components"][0]["version"] == 1
    assert set(_cell_versions(database)) == {("nlu", "CIO"), ("nlu", "CMO")}


def test_cells_left_out_are_removed(client: TestClient, database: Database) -> None:
    _put(client, DOCUMENT)
    document = _document()
    document["components"][2]["raci"] = {"CDO": "A"}
    _put(client, document)
    assert _by_key(_expanded(client))["crm-feed"]["raci"] == {"CDO": "A"}
    assert _cell_versions(database)[("crm-feed", "CDO")] == 1


def test_new_components_and_cells_are_added(client: TestClient, database: Database) -> None:
    _put(client, DOCUMENT)
    document = _document()
    document["components"].append(
        {"key": "analytics", "name": "Conversation analytics", "raci": {"CDO": "AR"}}
    )
    document["components"][0]["raci"]["CEO"] = "I"
    _put(client, document)
    body = _expanded(client)
    assert body["version"] == 2
    components = _by_key(body)
    assert components["analytics"]["version"] == 1
    assert components["analytics"]["raci"] == {"CDO": "AR"}
    assert components["nlu"]["raci"] == {"CEO": "I", "CIO": "AR", "CMO": "C"}
    assert components["nlu"]["version"] == 1
    assert _cell_versions(database)[("nlu", "CEO")] == 1


def test_adding_removing_and_changing_at_once_raises_the_version_by_exactly_one(
    client: TestClient,
) -> None:
    _put(client, DOCUMENT)
    document = _document(name="Support bot", tags=["bots"])
    document["components"] = [
        {**DOCUMENT["components"][0], "raci": {"CIO": "A", "CDO": "R"}},
        {"key": "voice", "name": "Voice channel"},
    ]
    body = _put(client, document)
    assert body["version"] == 2
    assert [c["key"] for c in _expanded(client)["components"]] == ["nlu", "voice"]


def test_an_empty_list_removes_every_component(client: TestClient, database: Database) -> None:
    _put(client, DOCUMENT)
    assert _put(client, _document(components=[]))["version"] == 2
    assert _expanded(client)["components"] == []
    assert _cell_versions(database) == {}


def test_without_components_they_are_left_as_they_are(
    client: TestClient, database: Database
) -> None:
    _put(client, DOCUMENT)
    before = _stored_state(database)
    without = {k: v for k, v in DOCUMENT.items() if k != "components"}
    assert _put(client, without)["version"] == 1
    assert _stored_state(database) == before
    assert _put(client, {**without, "priority": 2})["version"] == 2
    assert len(_expanded(client)["components"]) == 3


def test_null_components_leave_them_as_they_are(client: TestClient) -> None:
    _put(client, DOCUMENT)
    assert _put(client, _document(components=None))["version"] == 1
    assert len(_expanded(client)["components"]) == 3


def test_a_cell_keeps_its_rationale_when_the_document_changes_its_letter(
    client: TestClient, database: Database
) -> None:
    _put(client, DOCUMENT)
    with database.transaction() as session:
        cell = session.scalar(
            select(RaciCell)
            .join(Component, Component.id == RaciCell.component_id)
            .where(Component.key == "nlu", RaciCell.role == "CMO")
        )
        assert cell is not None
        cell.rationale = "Brand voice"
    document = _document()
    document["components"][0]["raci"]["CMO"] = "I"
    _put(client, document)
    with database.transaction(write=False) as session:
        # crm-feed's CMO cell is an I too: name the component.
        stored = session.scalar(
            select(RaciCell)
            .join(Component, Component.id == RaciCell.component_id)
            .where(Component.key == "nlu", RaciCell.role == "CMO")
        )
        assert stored is not None and (stored.raci, stored.rationale) == ("I", "Brand voice")


def test_read_only_fields_inside_components_are_ignored(client: TestClient) -> None:
    _put(client, DOCUMENT)
    document = _document()
    for component in document["components"]:
        component.update(version=99, created_at="2000-01-01T00:00:00Z", updated_at="x")
    assert _put(client, document)["version"] == 1
    assert all(c["version"] == 1 for c in _expanded(client)["components"])


# --- invalid documents ------------------------------------------------------------------


def _assert_unchanged(client: TestClient, database: Database, before: dict[str, Any]) -> None:
    assert _stored_state(database) == before
    assert _expanded(client)["version"] == 1


def test_unknown_roles_and_capabilities_are_422_naming_every_item(
    client: TestClient, database: Database
) -> None:
    _put(client, DOCUMENT)
    before = _stored_state(database)
    document = _document(sponsor="CXO")
    document["components"][0]["capability"] = "telepathy"
    document["components"][1]["raci"]["CXO"] = "R"
    document["components"][2]["raci"]["cfo"] = "I"
    document["components"].append(
        {"key": "extra", "name": "Extra", "capability": "telepathy", "raci": {"CXO": "A"}}
    )
    response = client.put(URL, json=document)
    body = assert_problem(response, 422, detail_contains="unknown")
    assert sorted(map(str, error_locs(response))) == sorted(
        map(
            str,
            [
                ["body", "sponsor"],
                ["body", "components", 0, "capability"],
                ["body", "components", 1, "raci", "CXO"],
                ["body", "components", 2, "raci", "CFO"],
                ["body", "components", 3, "capability"],
                ["body", "components", 3, "raci", "CXO"],
            ],
        )
    )
    assert all(error["msg"] for error in body["errors"])
    _assert_unchanged(client, database, before)


def test_unknown_references_on_create_create_nothing(
    client: TestClient, database: Database
) -> None:
    document = _document()
    document["components"][1]["raci"]["CXO"] = "R"
    response = client.put(URL, json=document)
    assert_problem(response, 422, detail_contains="CXO")
    assert error_locs(response) == [["body", "components", 1, "raci", "CXO"]]
    assert_problem(client.get(URL), 404)
    assert _stored_state(database) == {"initiatives": [], "components": [], "cells": []}


def test_references_are_checked_with_one_query_per_kind(
    client: TestClient, database: Database
) -> None:
    def bad_document(size: int) -> dict[str, Any]:
        return _document(
            components=[
                {"key": f"p{i}", "name": "P", "capability": f"cap-{i}", "raci": {f"R{i}X": "A"}}
                for i in range(size)
            ]
        )

    with _counting_queries(database) as few:
        assert_problem(client.put(URL, json=bad_document(1)), 422)
    with _counting_queries(database) as many:
        response = client.put(URL, json=bad_document(30))
    assert_problem(response, 422)
    assert len(response.json()["errors"]) == 60
    assert len(many) == len(few)


def test_duplicate_component_keys_are_422(client: TestClient, database: Database) -> None:
    _put(client, DOCUMENT)
    before = _stored_state(database)
    document = _document()
    document["components"].append({"key": "nlu", "name": "Second NLU"})
    response = client.put(URL, json=document)
    assert_problem(response, 422, detail_contains="nlu")
    assert error_locs(response) == [["body", "components", 3, "key"]]
    _assert_unchanged(client, database, before)


def test_one_role_named_twice_in_a_raci_map_is_422(client: TestClient, database: Database) -> None:
    _put(client, DOCUMENT)
    before = _stored_state(database)
    document = _document()
    document["components"][0]["raci"] = {"CIO": "A", "cio": "R"}
    response = client.put(URL, json=document)
    assert_problem(response, 422, detail_contains="twice")
    assert error_locs(response) == [["body", "components", 0, "raci"]]
    _assert_unchanged(client, database, before)


@pytest.mark.parametrize(
    ("component", "loc"),
    [
        ({"raci": {"CIO": "X"}}, ["body", "components", 0, "raci", "CIO"]),
        ({"raci": {"CIO": "RAX"}}, ["body", "components", 0, "raci", "CIO"]),
        ({"raci": {"CIO": ""}}, ["body", "components", 0, "raci", "CIO"]),
        ({"raci": {"CIO": 1}}, ["body", "components", 0, "raci", "CIO"]),
        ({"raci": {"CIO": None}}, ["body", "components", 0, "raci", "CIO"]),
        ({"raci": {"C-IO": "A"}}, ["body", "components", 0, "raci", "C-IO", "[key]"]),
        ({"raci": ["CIO", "A"]}, ["body", "components", 0, "raci"]),
        ({"raci": {f"R{i:02}X": "C" for i in range(101)}}, ["body", "components", 0, "raci"]),
        ({"key": "NLU Engine"}, ["body", "components", 0, "key"]),
        ({"capability": "Conversational AI"}, ["body", "components", 0, "capability"]),
        ({"name": ""}, ["body", "components", 0, "name"]),
        ({"name": "x" * 201}, ["body", "components", 0, "name"]),
        ({"description": "x" * 10_001}, ["body", "components", 0, "description"]),
        ({"owner": "CIO"}, ["body", "components", 0, "owner"]),
    ],
)
def test_invalid_component_is_422_at_its_location_and_changes_nothing(
    client: TestClient, database: Database, component: dict[str, Any], loc: list[Any]
) -> None:
    _put(client, DOCUMENT)
    before = _stored_state(database)
    document = _document()
    document["components"][0] = {**document["components"][0], **component}
    response = client.put(URL, json=document)
    assert_problem(response, 422)
    assert error_locs(response) == [loc]
    _assert_unchanged(client, database, before)


def test_component_without_key_or_name_is_422(client: TestClient) -> None:
    response = client.put(URL, json=_document(components=[{"raci": {"CIO": "A"}}]))
    assert_problem(response, 422)
    assert sorted(map(str, error_locs(response))) == sorted(
        map(str, [["body", "components", 0, "key"], ["body", "components", 0, "name"]])
    )
    assert_problem(client.get(URL), 404)


def test_components_that_are_not_a_list_are_422(client: TestClient) -> None:
    for components in [{"nlu": {"name": "x"}}, "nlu", [1]]:
        response = client.put(URL, json=_document(components=components))
        assert_problem(response, 422)
    assert_problem(client.get(URL), 404)


def test_too_many_components_is_422(client: TestClient) -> None:
    components = [{"key": f"c{i}", "name": "C"} for i in range(5_001)]
    response = client.put(URL, json=_document(components=components))
    assert_problem(response, 422)
    assert error_locs(response) == [["body", "components"]]
    assert_problem(client.get(URL), 404)


def test_stale_if_match_on_a_document_put_is_412_and_changes_nothing(
    client: TestClient, database: Database
) -> None:
    _put(client, DOCUMENT)
    document = _document()
    document["components"][0]["raci"]["CIO"] = "R"
    _put(client, document)  # version 2
    before = _stored_state(database)
    response = client.put(URL, json=_document(components=[]), headers={"If-Match": '"1"'})
    assert_problem(response, 412)
    assert _stored_state(database) == before
    assert len(_expanded(client)["components"]) == 3


def test_a_change_through_the_cell_endpoint_makes_an_old_etag_stale(client: TestClient) -> None:
    _put(client, DOCUMENT)
    got = _expanded(client)
    cell = client.put(f"{URL}/components/nlu/raci/CMO", json={"raci": "I"})
    assert cell.status_code in (200, 201), cell.text
    assert client.get(URL).headers["etag"] == '"2"'
    response = client.put(URL, json=got, headers={"If-Match": '"1"'})
    assert_problem(response, 412)
    assert _by_key(_expanded(client))["nlu"]["raci"]["CMO"] == "I"


def test_deleting_a_capability_used_in_a_document_is_409(client: TestClient) -> None:
    _put(client, DOCUMENT)
    response = client.delete("/capabilities/conversational-ai")
    body = assert_problem(response, 409, detail_contains="support-chatbot/nlu")
    assert body["references"] == {"components": ["support-chatbot/nlu"]}
    _put(client, _document(components=DOCUMENT["components"][1:]))
    assert client.delete("/capabilities/conversational-ai").status_code == 204


def test_document_schemas_are_importable_for_the_bulk_import() -> None:
    from app.initiatives.document import document_problems
    from app.initiatives.schemas import ComponentDocument, InitiativeDocument

    document = InitiativeDocument.model_validate(DOCUMENT)
    assert document.components is not None
    assert all(isinstance(c, ComponentDocument) for c in document.components)
    problems = document_problems(
        document.sponsor,
        document.components,
        roles={"CMO", "CIO", "CDO"},
        capabilities={"conversational-ai"},
        loc=["initiatives", 3],
    )
    assert [p["loc"] for p in problems] == [
        ["initiatives", 3, "components", 1, "capability"],
        ["initiatives", 3, "components", 2, "capability"],
    ]


def test_put_patch_post_and_import_write_through_the_one_document_engine(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    from app.initiatives.engine import DocumentEngine

    applied: list[list[str]] = []
    original = DocumentEngine.apply

    def spy(self: DocumentEngine, documents: Any) -> None:
        applied.append([document.key for document in documents])
        original(self, documents)

    monkeypatch.setattr(DocumentEngine, "apply", spy)
    _put(client, _document())
    other = _document(key="other-bot", name="Other bot")
    assert client.post("/initiatives", json=other).status_code == 201
    patched = client.patch(
        URL, json={"priority": 1}, headers={"Content-Type": "application/merge-patch+json"}
    )
    assert patched.status_code == 200, patched.text
    both = [_document(), _document(key="third-bot", name="Third bot")]
    assert client.post("/imports", json={"initiatives": both}).status_code == 200
    assert applied == [
        ["support-chatbot"],
        ["other-bot"],
        ["support-chatbot"],
        ["support-chatbot", "third-bot"],
    ]
