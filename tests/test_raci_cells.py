"""RACI cells: what one role is (R, A, C, I or AR) for one component of an initiative."""

import re
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.db.engine import Database
from tests import builders
from tests.builders import initiative_version
from tests.problems import assert_problem, error_locs

NLU = "/initiatives/support-chatbot/components/nlu"
CIO = f"{NLU}/raci/CIO"  # holds AR on nlu
CDO = f"{NLU}/raci/CDO"  # holds nothing on nlu
ACCEPTED = {"A", "R", "S", "C", "I", "V"}


@pytest.fixture
def chatbot(database: Database) -> Database:
    """The demo chatbot: nlu has CIO=AR and CMO=C; persona CMO=A, CDO=R; crm-feed ..."""
    builders.support_chatbot(database)
    return database


def state(client: TestClient, chatbot: Database) -> tuple[Any, ...]:
    """The cells of nlu and the initiative's version: to prove that nothing changed."""
    cells = tuple(client.get(f"{NLU}/raci/{role}") for role in ("CIO", "CMO", "CDO", "CEO"))
    return (
        tuple((cell.status_code, cell.text) for cell in cells),
        builders.cell_count(chatbot),
        initiative_version(chatbot, "support-chatbot"),
    )


# --- GET -----------------------------------------------------------------------------------


def test_get_shows_the_cell_with_its_etag(client: TestClient, chatbot: Database) -> None:
    response = client.get(CIO)
    assert response.status_code == 200
    assert response.headers["etag"] == '"1"'
    body = response.json()
    assert body == {
        "initiative": "support-chatbot",
        "component": "nlu",
        "role": "CIO",
        "raci": "AR",
        "rationale": None,
        "agreement": {"state": "proposed", "by": None, "at": None, "comment": None},
        "version": 1,
        "created_at": body["created_at"],
        "updated_at": body["updated_at"],
    }
    assert body["created_at"].endswith("Z")


def test_role_code_in_the_path_is_case_insensitive(client: TestClient, chatbot: Database) -> None:
    assert client.get(f"{NLU}/raci/cio").json()["role"] == "CIO"
    response = client.put(f"{NLU}/raci/cdo", json={"raci": "r"})
    assert response.status_code == 201
    assert (
        response.headers["location"]
        == "/api/v1/initiatives/support-chatbot/components/nlu/raci/CDO"
    )
    assert response.json()["role"] == "CDO"
    assert client.get(f"{NLU}/raci/Cdo").json()["raci"] == "R"
    assert client.delete(f"{NLU}/raci/cDo").status_code == 204


def test_a_role_without_a_cell_is_404_saying_so(client: TestClient, chatbot: Database) -> None:
    assert_problem(client.get(CDO), 404, detail_contains="CDO holds no RACI cell")
    assert_problem(client.delete(CDO), 404, detail_contains="CDO holds no RACI cell")


def test_reader_may_read_but_not_write(
    reader: TestClient, client: TestClient, chatbot: Database
) -> None:
    before = state(client, chatbot)
    assert reader.get(CIO).status_code == 200
    assert_problem(reader.put(CIO, json={"raci": "C"}), 403)
    assert_problem(reader.delete(CIO), 403)
    assert state(client, chatbot) == before


def test_no_key_is_401(anon: TestClient, chatbot: Database) -> None:
    assert_problem(anon.get(CIO), 401)
    assert_problem(anon.put(CIO, json={"raci": "C"}), 401)


# --- unknown resources and bad paths -------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "named"),
    [
        ("/initiatives/no-such-thing/components/nlu/raci/CIO", "'no-such-thing'"),
        ("/initiatives/support-chatbot/components/voice/raci/CIO", "component 'voice'"),
        (f"{NLU}/raci/CFO", "CFO"),
        (f"{NLU}/raci/cfo", "CFO"),
    ],
)
def test_unknown_initiative_component_or_role_is_404_naming_it(
    client: TestClient, chatbot: Database, path: str, named: str
) -> None:
    before = state(client, chatbot)
    for response in [
        client.get(path),
        client.put(path, json={"raci": "A"}),
        client.delete(path),
    ]:
        assert_problem(response, 404, detail_contains=named)
    assert state(client, chatbot) == before


@pytest.mark.parametrize(
    ("path", "loc"),
    [
        ("/initiatives/Support-Chatbot/components/nlu/raci/CIO", ["path", "key"]),
        ("/initiatives/support-chatbot/components/NLU/raci/CIO", ["path", "component_key"]),
        ("/initiatives/support-chatbot/components/-nlu/raci/CIO", ["path", "component_key"]),
        (f"/initiatives/support-chatbot/components/{'n' * 65}/raci/CIO", ["path", "component_key"]),
        (f"{NLU}/raci/C", ["path", "role_code"]),
        (f"{NLU}/raci/1CIO", ["path", "role_code"]),
        (f"{NLU}/raci/CIO-X", ["path", "role_code"]),
        (f"{NLU}/raci/{'A' * 17}", ["path", "role_code"]),
    ],
)
def test_a_bad_key_or_role_code_in_the_path_is_422(
    client: TestClient, chatbot: Database, path: str, loc: list[str]
) -> None:
    before = state(client, chatbot)
    for response in [
        client.get(path),
        client.put(path, json={"raci": "A"}),
        client.delete(path),
    ]:
        assert_problem(response, 422)
        assert error_locs(response) == [loc]
    assert state(client, chatbot) == before


# --- PUT -----------------------------------------------------------------------------------


def test_put_creates_a_cell_with_201_location_and_etag(
    client: TestClient, chatbot: Database
) -> None:
    response = client.put(
        CDO, json={"raci": "C", "rationale": "The digital officer integrates the customer view."}
    )
    assert response.status_code == 201
    assert (
        response.headers["location"]
        == "/api/v1/initiatives/support-chatbot/components/nlu/raci/CDO"
    )
    assert response.headers["etag"] == '"1"'
    body = response.json()
    assert body["initiative"] == "support-chatbot"
    assert body["component"] == "nlu"
    assert body["role"] == "CDO"
    assert body["raci"] == "C"
    assert body["rationale"] == "The digital officer integrates the customer view."
    assert body["version"] == 1
    assert client.get(CDO).json() == body


def test_put_replaces_with_200_and_raises_the_cells_version(
    client: TestClient, chatbot: Database
) -> None:
    response = client.put(CIO, json={"raci": "R", "rationale": "The CDO now decides."})
    assert response.status_code == 200
    assert "location" not in response.headers
    assert response.headers["etag"] == '"2"'
    assert response.json()["raci"] == "R"
    assert response.json()["version"] == 2
    assert client.get(CIO).headers["etag"] == '"2"'


def test_a_component_holds_one_cell_per_role(client: TestClient, chatbot: Database) -> None:
    cells = builders.cell_count(chatbot)
    client.put(CIO, json={"raci": "A"})
    client.put(CIO, json={"raci": "C"})
    assert builders.cell_count(chatbot) == cells
    assert client.get(CIO).json()["raci"] == "C"


def test_the_same_role_holds_separate_cells_on_separate_components(
    client: TestClient, chatbot: Database
) -> None:
    client.put(CIO, json={"raci": "I"})
    persona = client.put(
        "/initiatives/support-chatbot/components/persona/raci/CIO", json={"raci": "C"}
    )
    assert persona.status_code == 201
    assert client.get(CIO).json()["raci"] == "I"


def test_put_of_the_same_value_and_rationale_changes_nothing(
    client: TestClient, chatbot: Database
) -> None:
    client.put(CDO, json={"raci": "C", "rationale": "Keeps the data consistent"})
    version = initiative_version(chatbot, "support-chatbot")
    for raci in ["C", "c", " c "]:
        again = client.put(CDO, json={"raci": raci, "rationale": "Keeps the data consistent"})
        assert again.status_code == 200
        assert again.headers["etag"] == '"1"'
        assert again.json()["version"] == 1
    assert initiative_version(chatbot, "support-chatbot") == version


def test_changing_only_the_rationale_is_a_change(client: TestClient, chatbot: Database) -> None:
    response = client.put(
        CIO, json={"raci": "AR", "rationale": "Runs on enterprise infrastructure"}
    )
    assert response.json()["version"] == 2
    cleared = client.put(CIO, json={"raci": "AR"})
    assert cleared.json()["rationale"] is None
    assert cleared.json()["version"] == 3


def test_put_back_what_was_read_is_accepted(client: TestClient, chatbot: Database) -> None:
    cell = client.get(CIO).json()
    assert client.put(CIO, json=cell).json()["version"] == 1
    cell["raci"] = "A"
    response = client.put(CIO, json=cell)
    assert response.status_code == 200
    assert response.json()["raci"] == "A"
    assert response.json()["version"] == 2


@pytest.mark.parametrize(
    ("given", "stored"),
    [
        ("R", "R"),
        ("a", "A"),
        ("c", "C"),
        ("i", "I"),
        ("AR", "AR"),
        ("ar", "AR"),
        ("aR", "AR"),
        ("A/R", "AR"),
        ("a/r", "AR"),
        ("R/A", "AR"),
        ("r/a", "AR"),
        ("RA", "AR"),
        ("ra", "AR"),
        (" A / R ", "AR"),
        ("AC", "AC"),
        ("C/I", "CI"),
        ("i, c", "CI"),
        ("R/A/C", "ARC"),
        ("c+r&a", "ARC"),
        ("A R I", "ARI"),
        ("AA", "A"),
        ("racisv", "ARSCIV"),
        ("S", "S"),
        ("v", "V"),
        ("**A**", "A"),
        ("\uff21\uff32", "AR"),  # full-width
        ("\u0410", "A"),  # Cyrillic capital A, read as the letter it looks like
    ],
)
def test_raci_is_a_set_of_letters_in_any_spelling_stored_in_canonical_order(
    client: TestClient, chatbot: Database, given: str, stored: str
) -> None:
    response = client.put(CDO, json={"raci": given})
    assert response.status_code == 201, response.text
    assert response.json()["raci"] == stored
    assert client.get(CDO).json()["raci"] == stored


@pytest.mark.parametrize(
    "raci",
    [
        "X",
        "",
        " ",
        "-",
        "N/A",
        "Responsible",
        "A (why)",
        "\u0416",
        1,
        True,
        None,
        ["A"],
        {"A": 1},
    ],
)
def test_a_bad_raci_value_is_422_naming_the_letters_and_changes_nothing(
    client: TestClient, chatbot: Database, raci: Any
) -> None:
    before = state(client, chatbot)
    for path in [CIO, CDO]:
        response = client.put(path, json={"raci": raci})
        body = assert_problem(response, 422)
        assert error_locs(response) == [["body", "raci"]]
        message = body["errors"][0]["msg"]
        if isinstance(raci, str) and "(" not in raci:  # a note is refused on its own
            assert set(re.findall(r"\b[ARSCIV]\b", message)) >= ACCEPTED, message
    assert state(client, chatbot) == before


def test_a_look_alike_letter_that_is_no_raci_letter_is_named_by_its_code_point(
    client: TestClient, chatbot: Database
) -> None:
    response = client.put(CDO, json={"raci": "\u0416"})
    message = assert_problem(response, 422)["errors"][0]["msg"]
    assert "U+0416 CYRILLIC CAPITAL LETTER ZHE" in message


@pytest.mark.parametrize(
    ("body", "loc"),
    [
        ({}, ["body", "raci"]),
        ({"rationale": "Why"}, ["body", "raci"]),
        ({"raci": "A", "rationale": "x" * 10_001}, ["body", "rationale"]),
        ({"raci": "A", "rationale": "bad\x00text"}, ["body", "rationale"]),
        ({"raci": "A", "rationale": 7}, ["body", "rationale"]),
        ({"raci": "A", "owner": "CIO"}, ["body", "owner"]),
        ({"raci": "A", "role": "CMO"}, ["body", "role"]),
        ({"raci": "A", "role": "not a code"}, ["body", "role"]),
        ({"raci": "A", "component": "persona"}, ["body", "component"]),
        ({"raci": "A", "initiative": "customer-360"}, ["body", "initiative"]),
    ],
)
def test_an_invalid_body_is_422_at_the_field_and_changes_nothing(
    client: TestClient, chatbot: Database, body: dict[str, Any], loc: list[str]
) -> None:
    before = state(client, chatbot)
    for path in [CIO, CDO]:
        response = client.put(path, json=body)
        assert_problem(response, 422)
        assert error_locs(response) == [loc]
    assert state(client, chatbot) == before


def test_body_may_repeat_the_url_with_a_lower_case_role(
    client: TestClient, chatbot: Database
) -> None:
    response = client.put(
        CDO,
        json={"raci": "I", "role": "cdo", "component": "nlu", "initiative": "support-chatbot"},
    )
    assert response.status_code == 201


def test_a_body_that_is_not_an_object_is_422(client: TestClient, chatbot: Database) -> None:
    before = state(client, chatbot)
    assert_problem(client.put(CIO, json="A"), 422)
    assert_problem(client.put(CIO, json=["A"]), 422)
    assert state(client, chatbot) == before


def test_a_body_that_is_not_json_is_rejected(client: TestClient, chatbot: Database) -> None:
    before = state(client, chatbot)
    response = client.put(CIO, content=b"raci=A", headers={"Content-Type": "text/plain"})
    assert_problem(response, 415)
    response = client.put(CIO, content=b"{raci: A", headers={"Content-Type": "application/json"})
    assert_problem(response, 400)
    assert state(client, chatbot) == before


# --- DELETE --------------------------------------------------------------------------------


def test_delete_removes_only_that_cell(client: TestClient, chatbot: Database) -> None:
    cells = builders.cell_count(chatbot)
    assert client.delete(CIO).status_code == 204
    assert_problem(client.get(CIO), 404)
    assert client.get(f"{NLU}/raci/CMO").json()["raci"] == "C"
    assert builders.cell_count(chatbot) == cells - 1
    assert_problem(client.delete(CIO), 404)


def test_a_deleted_cell_can_be_set_again_as_new(client: TestClient, chatbot: Database) -> None:
    client.delete(CIO)
    response = client.put(CIO, json={"raci": "A"})
    assert response.status_code == 201
    assert response.json()["version"] == 1


# --- versions of the cell, the component and the initiative ---------------------------------


def test_every_change_to_a_cell_raises_the_initiatives_version_by_one(
    client: TestClient, chatbot: Database
) -> None:
    start = initiative_version(chatbot, "support-chatbot")
    client.put(CDO, json={"raci": "C"})
    assert initiative_version(chatbot, "support-chatbot") == start + 1
    client.put(CDO, json={"raci": "I"})
    assert initiative_version(chatbot, "support-chatbot") == start + 2
    client.put(CDO, json={"raci": "I"})
    assert initiative_version(chatbot, "support-chatbot") == start + 2
    client.delete(CDO)
    assert initiative_version(chatbot, "support-chatbot") == start + 3


def test_a_cell_change_leaves_the_components_version_alone(
    client: TestClient, chatbot: Database
) -> None:
    client.put(CIO, json={"raci": "A"})
    client.delete(f"{NLU}/raci/CMO")
    assert client.get(NLU).headers["etag"] == '"1"'


def test_a_cell_change_leaves_other_initiatives_alone(
    client: TestClient, chatbot: Database
) -> None:
    builders.initiative(chatbot, "chatbot-pilot-2024")
    builders.component(chatbot, "chatbot-pilot-2024", "nlu")
    client.put(CIO, json={"raci": "A"})
    assert initiative_version(chatbot, "chatbot-pilot-2024") == 1


def test_stale_if_match_is_412_and_changes_nothing(client: TestClient, chatbot: Database) -> None:
    client.put(CIO, json={"raci": "A"})
    before = state(client, chatbot)
    stale = {"If-Match": '"1"'}
    assert_problem(
        client.put(CIO, json={"raci": "C"}, headers=stale), 412, detail_contains="version 2"
    )
    assert_problem(client.delete(CIO, headers=stale), 412)
    assert state(client, chatbot) == before


def test_if_match_on_a_cell_that_does_not_exist_is_412(
    client: TestClient, chatbot: Database
) -> None:
    before = state(client, chatbot)
    for if_match in ['"1"', "*"]:
        response = client.put(CDO, json={"raci": "C"}, headers={"If-Match": if_match})
        assert_problem(response, 412)
    assert state(client, chatbot) == before


def test_current_if_match_is_honoured(client: TestClient, chatbot: Database) -> None:
    response = client.put(CIO, json={"raci": "A"}, headers={"If-Match": '"1"'})
    assert response.status_code == 200
    assert response.headers["etag"] == '"2"'
    assert client.delete(CIO, headers={"If-Match": '"2"'}).status_code == 204


def test_the_initiatives_version_does_not_gate_a_cells_if_match(
    client: TestClient, chatbot: Database
) -> None:
    client.put(CDO, json={"raci": "C"})
    assert initiative_version(chatbot, "support-chatbot") > 1
    assert client.put(CIO, json={"raci": "A"}, headers={"If-Match": '"1"'}).status_code == 200


# --- other resources that refer to cells -------------------------------------------------


def test_a_role_holding_a_cell_cannot_be_deleted(client: TestClient, chatbot: Database) -> None:
    client.post("/roles", json={"code": "CFO", "name": "Chief Financial Officer"})
    client.put(f"{NLU}/raci/CFO", json={"raci": "I"})
    assert_problem(client.delete("/roles/CFO"), 409, detail_contains="support-chatbot/nlu")
    assert client.get(f"{NLU}/raci/CFO").json()["raci"] == "I"
    client.delete(f"{NLU}/raci/CFO")
    assert client.delete("/roles/CFO").status_code == 204
