"""Components: the parts of an initiative, each optionally of a shared capability."""

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event

from app.db.engine import Database
from tests import builders
from tests.builders import initiative_version
from tests.problems import assert_problem, error_locs

BASE = "/initiatives/support-chatbot/components"
NLU = f"{BASE}/nlu"


@pytest.fixture
def chatbot(database: Database) -> Database:
    """The demo chatbot with its components nlu, persona and crm-feed, and their cells."""
    builders.support_chatbot(database)
    return database


def everything(client: TestClient) -> list[dict[str, Any]]:
    """Every component of the chatbot as the API shows it: to prove nothing changed."""
    response = client.get(BASE)
    assert response.status_code == 200
    items: list[dict[str, Any]] = response.json()["items"]
    return items


# --- reading -------------------------------------------------------------------------------


def test_list_is_ordered_by_key(client: TestClient, chatbot: Database) -> None:
    body = client.get(BASE).json()
    assert [item["key"] for item in body["items"]] == ["crm-feed", "nlu", "persona"]
    assert body["next_cursor"] is None
    nlu = body["items"][1]
    assert nlu == {
        "initiative": "support-chatbot",
        "key": "nlu",
        "name": "NLU engine",
        "capability": "conversational-ai",
        "description": None,
        "group": None,
        "version": 1,
        "created_at": nlu["created_at"],
        "updated_at": nlu["updated_at"],
    }
    assert nlu["created_at"].endswith("Z")


def test_pagination_walks_every_component_once(client: TestClient, database: Database) -> None:
    builders.initiative(database, "support-chatbot")
    for index in range(7):
        builders.component(database, "support-chatbot", f"part-{index}")
    seen: list[str] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"limit": 3, **({"cursor": cursor} if cursor else {})}
        body = client.get(BASE, params=params).json()
        assert len(body["items"]) <= 3
        seen += [item["key"] for item in body["items"]]
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert seen == [f"part-{index}" for index in range(7)]


def test_list_shows_only_the_initiatives_own_components(
    client: TestClient, chatbot: Database
) -> None:
    builders.initiative(chatbot, "chatbot-pilot-2024")
    builders.component(chatbot, "chatbot-pilot-2024", "nlu", "Pilot NLU")
    pilot = client.get("/initiatives/chatbot-pilot-2024/components").json()["items"]
    assert [(item["initiative"], item["key"], item["name"]) for item in pilot] == [
        ("chatbot-pilot-2024", "nlu", "Pilot NLU")
    ]
    assert client.get(NLU).json()["name"] == "NLU engine"


def test_listing_takes_the_same_number_of_queries_however_many_components(
    client: TestClient, database: Database
) -> None:
    builders.initiative(database, "support-chatbot")
    statements: list[str] = []

    def count(*args: Any) -> None:
        statements.append(args[2])

    def queries_for_listing() -> int:
        statements.clear()
        event.listen(database.engine, "before_cursor_execute", count)
        try:
            assert client.get(BASE).status_code == 200
        finally:
            event.remove(database.engine, "before_cursor_execute", count)
        return len(statements)

    builders.component(database, "support-chatbot", "one")
    queries_for_listing()  # the first request also records when the API key was last used
    with_one = queries_for_listing()
    for index in range(20):
        builders.component(database, "support-chatbot", f"part-{index}")
    assert queries_for_listing() == with_one


def test_get_sends_the_version_as_etag(client: TestClient, chatbot: Database) -> None:
    response = client.get(NLU)
    assert response.status_code == 200
    assert response.headers["etag"] == '"1"'
    assert response.json()["key"] == "nlu"


def test_reader_may_read_but_not_write(reader: TestClient, chatbot: Database) -> None:
    assert reader.get(BASE).status_code == 200
    assert reader.get(NLU).status_code == 200
    assert_problem(reader.post(BASE, json={"key": "x", "name": "X"}), 403)
    assert_problem(reader.put(NLU, json={"name": "X"}), 403)
    assert_problem(reader.patch(NLU, json={"name": "X"}), 403)
    assert_problem(reader.delete(NLU), 403)
    assert reader.get(NLU).json()["name"] == "NLU engine"


def test_no_key_is_401(anon: TestClient, chatbot: Database) -> None:
    assert_problem(anon.get(BASE), 401)
    assert_problem(anon.get(NLU), 401)


# --- unknown resources and bad paths -------------------------------------------------------


def test_unknown_initiative_is_404_naming_it(client: TestClient, chatbot: Database) -> None:
    other = "/initiatives/no-such-thing/components"
    for response in [
        client.get(other),
        client.post(other, json={"key": "nlu", "name": "NLU"}),
        client.get(f"{other}/nlu"),
        client.put(f"{other}/nlu", json={"name": "NLU"}),
        client.patch(f"{other}/nlu", json={"name": "NLU"}),
        client.delete(f"{other}/nlu"),
    ]:
        assert_problem(response, 404, detail_contains="initiative with key 'no-such-thing'")


def test_unknown_component_is_404_naming_it(client: TestClient, chatbot: Database) -> None:
    before = everything(client)
    missing = f"{BASE}/voice"
    for response in [
        client.get(missing),
        client.patch(missing, json={"name": "Voice"}),
        client.delete(missing),
    ]:
        assert_problem(response, 404, detail_contains="component 'voice'")
    assert everything(client) == before


@pytest.mark.parametrize("bad_key", ["NLU", "-nlu", "nl u", "nlu!", "x" * 65])
def test_bad_component_key_in_the_path_is_422(
    client: TestClient, chatbot: Database, bad_key: str
) -> None:
    before = everything(client)
    for response in [
        client.get(f"{BASE}/{bad_key}"),
        client.put(f"{BASE}/{bad_key}", json={"name": "X"}),
        client.patch(f"{BASE}/{bad_key}", json={"name": "X"}),
        client.delete(f"{BASE}/{bad_key}"),
    ]:
        assert_problem(response, 422)
        assert error_locs(response) == [["path", "component_key"]]
    assert everything(client) == before


@pytest.mark.parametrize("bad_key", ["Support-Chatbot", "_chatbot", "x" * 65])
def test_bad_initiative_key_in_the_path_is_422(
    client: TestClient, chatbot: Database, bad_key: str
) -> None:
    for response in [
        client.get(f"/initiatives/{bad_key}/components"),
        client.post(f"/initiatives/{bad_key}/components", json={"key": "x", "name": "X"}),
        client.get(f"/initiatives/{bad_key}/components/nlu"),
    ]:
        assert_problem(response, 422)
        assert error_locs(response) == [["path", "key"]]


# --- POST ----------------------------------------------------------------------------------


def test_post_creates_with_location_and_etag(client: TestClient, chatbot: Database) -> None:
    response = client.post(
        BASE,
        json={
            "key": "handover",
            "name": "Hand-over to an agent",
            "capability": "conversational-ai",
            "description": "Passes the conversation to a person.",
        },
    )
    assert response.status_code == 201, response.text
    assert response.headers["location"] == "/api/v1/initiatives/support-chatbot/components/handover"
    assert response.headers["etag"] == '"1"'
    body = response.json()
    assert body["initiative"] == "support-chatbot"
    assert body["capability"] == "conversational-ai"
    assert body["version"] == 1
    assert client.get(f"{BASE}/handover").json() == body


def test_post_needs_only_key_and_name(client: TestClient, chatbot: Database) -> None:
    response = client.post(BASE, json={"key": "voice", "name": "Voice channel"})
    assert response.status_code == 201
    assert response.json()["capability"] is None
    assert response.json()["description"] is None


def test_post_raises_the_initiatives_version(client: TestClient, chatbot: Database) -> None:
    before = initiative_version(chatbot, "support-chatbot")
    client.post(BASE, json={"key": "voice", "name": "Voice channel"})
    assert initiative_version(chatbot, "support-chatbot") == before + 1


def test_post_of_a_taken_key_is_409_and_changes_nothing(
    client: TestClient, chatbot: Database
) -> None:
    before, version = everything(client), initiative_version(chatbot, "support-chatbot")
    response = client.post(BASE, json={"key": "nlu", "name": "Another NLU"})
    assert_problem(response, 409, detail_contains="'nlu'")
    assert everything(client) == before
    assert initiative_version(chatbot, "support-chatbot") == version


def test_the_same_component_key_may_be_used_in_another_initiative(
    client: TestClient, chatbot: Database
) -> None:
    builders.initiative(chatbot, "chatbot-pilot-2024")
    response = client.post(
        "/initiatives/chatbot-pilot-2024/components", json={"key": "nlu", "name": "Pilot NLU"}
    )
    assert response.status_code == 201
    assert client.get(NLU).json()["name"] == "NLU engine"


def test_post_with_another_initiative_in_the_body_is_422(
    client: TestClient, chatbot: Database
) -> None:
    builders.initiative(chatbot, "chatbot-pilot-2024")
    response = client.post(
        BASE, json={"key": "voice", "name": "Voice", "initiative": "chatbot-pilot-2024"}
    )
    assert_problem(response, 422)
    assert error_locs(response) == [["body", "initiative"]]
    assert_problem(client.get(f"{BASE}/voice"), 404)


@pytest.mark.parametrize(
    ("body", "loc"),
    [
        ({"name": "No key"}, ["body", "key"]),
        ({"key": "voice"}, ["body", "name"]),
        ({"key": "voice", "name": ""}, ["body", "name"]),
        ({"key": "voice", "name": "   "}, ["body", "name"]),
        ({"key": "voice", "name": "x" * 201}, ["body", "name"]),
        ({"key": "voice", "name": "Voice", "description": "x" * 10_001}, ["body", "description"]),
        ({"key": "voice", "name": "Bad\x00name"}, ["body", "name"]),
        ({"key": "Voice", "name": "Voice"}, ["body", "key"]),
        ({"key": "voice channel", "name": "Voice"}, ["body", "key"]),
        ({"key": "v" * 65, "name": "Voice"}, ["body", "key"]),
        ({"key": "voice", "name": 12}, ["body", "name"]),
        (
            {"key": "voice", "name": "Voice", "capability": "Conversational AI"},
            ["body", "capability"],
        ),
        ({"key": "voice", "name": "Voice", "owner": "CIO"}, ["body", "owner"]),
        ({"key": "voice", "name": "Voice", "raci": {"CIO": "A"}}, ["body", "raci"]),
    ],
)
def test_invalid_post_is_422_at_the_field_and_creates_nothing(
    client: TestClient, chatbot: Database, body: dict[str, Any], loc: list[str]
) -> None:
    before, version = everything(client), initiative_version(chatbot, "support-chatbot")
    response = client.post(BASE, json=body)
    assert_problem(response, 422)
    assert error_locs(response) == [loc]
    assert everything(client) == before
    assert initiative_version(chatbot, "support-chatbot") == version


def test_a_body_that_is_not_an_object_is_422(client: TestClient, chatbot: Database) -> None:
    before = everything(client)
    assert_problem(client.post(BASE, json=["nlu"]), 422)
    assert_problem(client.put(NLU, json="NLU engine"), 422)
    assert everything(client) == before


def test_unknown_capability_is_422_and_changes_nothing(
    client: TestClient, chatbot: Database
) -> None:
    before, version = everything(client), initiative_version(chatbot, "support-chatbot")
    for response in [
        client.post(BASE, json={"key": "voice", "name": "Voice", "capability": "telepathy"}),
        client.put(f"{BASE}/voice", json={"name": "Voice", "capability": "telepathy"}),
        client.put(NLU, json={"name": "NLU engine", "capability": "telepathy"}),
        client.patch(NLU, json={"capability": "telepathy"}),
    ]:
        assert_problem(response, 422, detail_contains="telepathy")
        assert error_locs(response) == [["body", "capability"]]
    assert everything(client) == before
    assert initiative_version(chatbot, "support-chatbot") == version


# --- PUT -----------------------------------------------------------------------------------


def test_put_creates_then_replaces(client: TestClient, chatbot: Database) -> None:
    start = initiative_version(chatbot, "support-chatbot")
    created = client.put(f"{BASE}/voice", json={"name": "Voice channel"})
    assert created.status_code == 201
    assert created.headers["location"] == "/api/v1/initiatives/support-chatbot/components/voice"
    assert created.headers["etag"] == '"1"'
    assert initiative_version(chatbot, "support-chatbot") == start + 1

    replaced = client.put(
        f"{BASE}/voice", json={"name": "Voice channel", "capability": "conversational-ai"}
    )
    assert replaced.status_code == 200
    assert replaced.headers["etag"] == '"2"'
    assert replaced.json()["version"] == 2
    assert replaced.json()["capability"] == "conversational-ai"
    assert initiative_version(chatbot, "support-chatbot") == start + 2


def test_put_replaces_every_writable_field(client: TestClient, chatbot: Database) -> None:
    client.patch(NLU, json={"description": "Understands questions"})
    response = client.put(NLU, json={"name": "Language understanding"})
    assert response.status_code == 200
    body = response.json()
    assert body["name"] == "Language understanding"
    assert body["capability"] is None
    assert body["description"] is None


def test_put_of_the_same_content_raises_no_version(client: TestClient, chatbot: Database) -> None:
    version = initiative_version(chatbot, "support-chatbot")
    again = client.put(NLU, json={"name": "NLU engine", "capability": "conversational-ai"})
    assert again.status_code == 200
    assert again.json()["version"] == 1
    assert again.headers["etag"] == '"1"'
    assert initiative_version(chatbot, "support-chatbot") == version


def test_put_back_what_was_read_is_accepted(client: TestClient, chatbot: Database) -> None:
    component = client.get(NLU).json()
    assert client.put(NLU, json=component).json()["version"] == 1
    component["description"] = "Understands what customers ask"
    response = client.put(NLU, json=component)
    assert response.status_code == 200
    assert response.json()["version"] == 2
    assert response.json()["description"] == "Understands what customers ask"


def test_put_with_another_key_in_the_body_is_422(client: TestClient, chatbot: Database) -> None:
    before = everything(client)
    response = client.put(NLU, json={"key": "persona", "name": "x"})
    assert_problem(response, 422)
    assert error_locs(response) == [["body", "key"]]
    response = client.put(NLU, json={"initiative": "customer-360", "name": "x"})
    assert_problem(response, 422)
    assert error_locs(response) == [["body", "initiative"]]
    assert everything(client) == before


def test_put_keeps_the_components_cells(client: TestClient, chatbot: Database) -> None:
    client.put(NLU, json={"name": "Language understanding"})
    assert client.get(f"{NLU}/raci/CIO").json()["raci"] == "AR"


# --- PATCH ---------------------------------------------------------------------------------


def test_patch_is_a_merge_patch(client: TestClient, chatbot: Database) -> None:
    version = initiative_version(chatbot, "support-chatbot")
    response = client.patch(
        NLU,
        json={"description": "Understands questions"},
        headers={"Content-Type": "application/merge-patch+json"},
    )
    assert response.status_code == 200
    assert response.headers["etag"] == '"2"'
    body = response.json()
    assert body["description"] == "Understands questions"
    assert body["name"] == "NLU engine"
    assert body["capability"] == "conversational-ai"
    assert initiative_version(chatbot, "support-chatbot") == version + 1


def test_patch_with_null_detaches_the_capability(client: TestClient, chatbot: Database) -> None:
    body = client.patch(NLU, json={"capability": None}).json()
    assert body["capability"] is None
    assert body["name"] == "NLU engine"
    assert body["version"] == 2


def test_patch_that_changes_nothing_raises_no_version(
    client: TestClient, chatbot: Database
) -> None:
    version = initiative_version(chatbot, "support-chatbot")
    for patch in [{}, {"name": "NLU engine"}, {"version": 7}]:
        response = client.patch(NLU, json=patch)
        assert response.status_code == 200
        assert response.json()["version"] == 1
    assert initiative_version(chatbot, "support-chatbot") == version


@pytest.mark.parametrize(
    ("patch", "loc"),
    [
        ({"name": None}, ["body", "name"]),
        ({"name": ""}, ["body", "name"]),
        ({"name": "x" * 201}, ["body", "name"]),
        ({"key": "voice"}, ["body", "key"]),
        ({"owner": "CIO"}, ["body", "owner"]),
        ({"capability": "Not A Key"}, ["body", "capability"]),
    ],
)
def test_invalid_patch_is_422_and_changes_nothing(
    client: TestClient, chatbot: Database, patch: dict[str, Any], loc: list[str]
) -> None:
    before, version = everything(client), initiative_version(chatbot, "support-chatbot")
    response = client.patch(NLU, json=patch)
    assert_problem(response, 422)
    assert error_locs(response) == [loc]
    assert everything(client) == before
    assert initiative_version(chatbot, "support-chatbot") == version


# --- DELETE --------------------------------------------------------------------------------


def test_delete_removes_the_component_and_its_cells(client: TestClient, chatbot: Database) -> None:
    version = initiative_version(chatbot, "support-chatbot")
    cells = builders.cell_count(chatbot)
    assert client.delete(NLU).status_code == 204
    assert_problem(client.get(NLU), 404)
    assert_problem(client.get(f"{NLU}/raci/CIO"), 404, detail_contains="component 'nlu'")
    assert builders.cell_count(chatbot) == cells - 2
    assert client.get(f"{BASE}/persona/raci/CMO").json()["raci"] == "A"
    assert [item["key"] for item in everything(client)] == ["crm-feed", "persona"]
    assert initiative_version(chatbot, "support-chatbot") == version + 1
    assert_problem(client.delete(NLU), 404)


def test_a_deleted_key_can_be_used_again(client: TestClient, chatbot: Database) -> None:
    client.delete(NLU)
    response = client.post(BASE, json={"key": "nlu", "name": "New NLU"})
    assert response.status_code == 201
    assert response.json()["version"] == 1
    assert_problem(client.get(f"{NLU}/raci/CIO"), 404, detail_contains="CIO")


# --- If-Match ------------------------------------------------------------------------------


def test_stale_if_match_is_412_and_changes_nothing(client: TestClient, chatbot: Database) -> None:
    client.patch(NLU, json={"description": "v2"})
    before, version = everything(client), initiative_version(chatbot, "support-chatbot")
    stale = {"If-Match": '"1"'}
    response = client.put(NLU, json={"name": "Changed"}, headers=stale)
    assert_problem(response, 412, detail_contains="version 2")
    assert_problem(client.patch(NLU, json={"name": "Changed"}, headers=stale), 412)
    assert_problem(client.delete(NLU, headers=stale), 412)
    assert everything(client) == before
    assert initiative_version(chatbot, "support-chatbot") == version
    assert client.get(f"{NLU}/raci/CIO").status_code == 200


def test_if_match_on_a_component_that_does_not_exist_is_412(
    client: TestClient, chatbot: Database
) -> None:
    response = client.put(f"{BASE}/voice", json={"name": "Voice"}, headers={"If-Match": "*"})
    assert_problem(response, 412)
    assert_problem(client.get(f"{BASE}/voice"), 404)


def test_current_if_match_is_honoured(client: TestClient, chatbot: Database) -> None:
    response = client.patch(NLU, json={"description": "x"}, headers={"If-Match": '"1"'})
    assert response.status_code == 200
    assert response.headers["etag"] == '"2"'
    assert_problem(client.put(NLU, json={"name": "NLU"}, headers={"If-Match": 'W/"2"'}), 412)
    response = client.put(NLU, json={"name": "NLU"}, headers={"If-Match": '"2"'})
    assert response.status_code == 200
    assert response.headers["etag"] == '"3"'
    assert client.delete(NLU, headers={"If-Match": '"3"'}).status_code == 204


def test_the_initiatives_version_does_not_gate_a_components_if_match(
    client: TestClient, chatbot: Database
) -> None:
    """If-Match on a component compares the component's own ETag, not the initiative's."""
    client.post(BASE, json={"key": "voice", "name": "Voice"})
    assert initiative_version(chatbot, "support-chatbot") == 2
    response = client.patch(NLU, json={"description": "x"}, headers={"If-Match": '"1"'})
    assert response.status_code == 200
