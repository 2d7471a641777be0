"""Explicit agreement (API.md "Explicit agreement"): keys acting for roles, agreeing to or
disputing cells one at a time or many at once, and who may decide."""

from collections.abc import Callable, Iterator
from contextlib import ExitStack
from datetime import datetime
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from app.db.engine import Database
from tests import builders
from tests.problems import assert_problem, error_locs

NLU = "/initiatives/support-chatbot/components/nlu/raci/CIO"
PROPOSED = {"state": "proposed", "by": None, "at": None, "comment": None}

KeyFactory = Callable[..., TestClient]


@pytest.fixture
def chatbot(database: Database) -> Database:
    builders.support_chatbot(database)
    return database


@pytest.fixture
def key_for(app: FastAPI, admin: TestClient) -> Iterator[KeyFactory]:
    """Makes a key over HTTP (`POST /keys` by the admin) and a client holding it."""
    with ExitStack() as stack:

        def make(name: str, *acts_for: str, scope: str = "write") -> TestClient:
            response = admin.post(
                "/keys", json={"name": name, "scope": scope, "acts_for": list(acts_for)}
            )
            assert response.status_code == 201, response.text
            headers = {"Authorization": f"Bearer {response.json()['secret']}"}
            return stack.enter_context(
                TestClient(app, base_url="http://testserver/api/v1", headers=headers)
            )

        yield make


def agree(client: TestClient, url: str = NLU, **body: Any) -> Any:
    return client.post(f"{url}/agreement", json={"decision": "agree", **body})


# --- keys acting for roles -------------------------------------------------------------------


def test_a_key_acts_for_the_roles_an_admin_gives_it(admin: TestClient) -> None:
    created = admin.post("/keys", json={"name": "cio", "scope": "write", "acts_for": ["cio"]})
    assert created.status_code == 201
    assert created.json()["acts_for"] == ["CIO"]
    assert admin.get("/keys/cio").json()["acts_for"] == ["CIO"]
    patched = admin.patch("/keys/cio", json={"acts_for": ["CMO", "CIO"]})
    assert patched.status_code == 200
    assert patched.json()["acts_for"] == ["CIO", "CMO"]
    listed = {k["name"]: k["acts_for"] for k in admin.get("/keys").json()["items"]}
    assert listed["cio"] == ["CIO", "CMO"]
    assert listed["bootstrap"] == []
    assert admin.patch("/keys/cio", json={"acts_for": []}).json()["acts_for"] == []


def test_an_unknown_role_in_acts_for_is_a_422_naming_it(admin: TestClient) -> None:
    response = admin.post("/keys", json={"name": "x", "scope": "write", "acts_for": ["CIO", "CXO"]})
    assert_problem(response, 422, detail_contains="CXO")
    assert error_locs(response) == [["body", "acts_for", 1]]
    assert_problem(admin.get("/keys/x"), 404)
    admin.post("/keys", json={"name": "y", "scope": "write"})
    response = admin.patch("/keys/y", json={"acts_for": ["CZO"]})
    assert_problem(response, 422, detail_contains="CZO")
    assert admin.get("/keys/y").json()["acts_for"] == []


def test_only_an_admin_changes_what_a_key_acts_for(
    admin: TestClient, client: TestClient, reader: TestClient
) -> None:
    admin.post("/keys", json={"name": "y", "scope": "write"})
    for other in (client, reader):
        assert_problem(other.patch("/keys/y", json={"acts_for": ["CIO"]}), 403)
    assert_problem(admin.patch("/keys/nobody", json={"acts_for": ["CIO"]}), 404)
    assert_problem(admin.patch("/keys/y", json={"acts_for": ["CIO"], "scope": "admin"}), 422)
    assert admin.get("/keys/y").json() | {"acts_for": []} == admin.get("/keys/y").json()


def test_what_a_key_acts_for_is_audited(admin: TestClient) -> None:
    admin.post("/keys", json={"name": "cio", "scope": "write", "acts_for": ["CIO"]})
    admin.patch("/keys/cio", json={"acts_for": ["CDO"]})
    entries = admin.get("/audit", params={"resource_type": "api_key"}).json()["items"]
    changes = [(e["action"], e["after"]) for e in entries if e["resource_key"] == "cio"]
    assert ("update", {"name": "cio", "scope": "write", "acts_for": ["CDO"]}) in changes


# --- one cell --------------------------------------------------------------------------------


def test_every_cell_starts_proposed(client: TestClient, chatbot: Database) -> None:
    assert client.get(NLU).json()["agreement"] == PROPOSED


def test_a_key_acting_for_the_role_agrees_and_the_cell_says_who_and_when(
    key_for: KeyFactory, client: TestClient, chatbot: Database
) -> None:
    cio = key_for("cio-office", "CIO")
    before = builders.initiative_version(chatbot, "support-chatbot")
    response = agree(cio, comment="Confirmed at the steering committee.")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["raci"] == "AR"
    assert body["agreement"]["state"] == "agreed"
    assert body["agreement"]["by"] == "cio-office"
    assert body["agreement"]["comment"] == "Confirmed at the steering committee."
    assert datetime.fromisoformat(body["agreement"]["at"].replace("Z", "+00:00"))
    # The cell's state changed: its version and ETag rise, and its initiative's.
    assert body["version"] == 2 and response.headers["etag"] == '"2"'
    assert builders.initiative_version(chatbot, "support-chatbot") == before + 1
    assert client.get(NLU).json() == body


def test_a_dispute_needs_a_comment(
    key_for: KeyFactory, client: TestClient, chatbot: Database
) -> None:
    cio = key_for("cio-office", "CIO")
    for body in ({"decision": "dispute"}, {"decision": "dispute", "comment": "  "}):
        response = cio.post(f"{NLU}/agreement", json=body)
        assert_problem(response, 422, detail_contains="comment")
        assert error_locs(response) == [["body", "comment"]]
    assert client.get(NLU).json()["agreement"] == PROPOSED
    disputed = cio.post(
        f"{NLU}/agreement", json={"decision": "dispute", "comment": "The vendor runs it."}
    ).json()
    assert disputed["agreement"]["state"] == "disputed"
    assert disputed["agreement"]["comment"] == "The vendor runs it."


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"decision": "maybe"},
        {"decision": "agree", "comment": 7},
        {"decision": "agree", "raci": "A"},
        {"decision": "agree", "comment": "x" * 10_001},
    ],
)
def test_bad_decisions_are_422_and_change_nothing(
    key_for: KeyFactory, client: TestClient, chatbot: Database, body: dict[str, Any]
) -> None:
    cio = key_for("cio-office", "CIO")
    assert_problem(cio.post(f"{NLU}/agreement", json=body), 422)
    assert client.get(NLU).json()["agreement"] == PROPOSED


def test_only_a_key_acting_for_the_role_or_an_admin_may_decide(
    key_for: KeyFactory,
    admin: TestClient,
    client: TestClient,
    reader: TestClient,
    chatbot: Database,
) -> None:
    cmo = key_for("cmo-office", "CMO")
    reading_cio = key_for("cio-reader", "CIO", scope="read")
    for other in (cmo, client, reader, reading_cio):
        assert_problem(agree(other), 403)
    assert client.get(NLU).json()["agreement"] == PROPOSED
    assert client.get(NLU).json()["version"] == 1
    decided = agree(admin).json()["agreement"]
    assert (decided["state"], decided["by"]) == ("agreed", "bootstrap")


def test_unknown_initiative_component_role_or_cell_is_404(
    admin: TestClient, chatbot: Database
) -> None:
    for url in (
        "/initiatives/nowhere/components/nlu/raci/CIO",
        "/initiatives/support-chatbot/components/nowhere/raci/CIO",
        "/initiatives/support-chatbot/components/nlu/raci/CXO",
        "/initiatives/support-chatbot/components/nlu/raci/CDO",  # CDO holds no cell there
    ):
        assert_problem(agree(admin, url), 404)


def test_if_match_guards_a_decision(
    key_for: KeyFactory, client: TestClient, chatbot: Database
) -> None:
    cio = key_for("cio-office", "CIO")
    stale = cio.post(f"{NLU}/agreement", json={"decision": "agree"}, headers={"If-Match": '"7"'})
    assert_problem(stale, 412)
    assert client.get(NLU).json()["agreement"] == PROPOSED
    fresh = cio.post(f"{NLU}/agreement", json={"decision": "agree"}, headers={"If-Match": '"1"'})
    assert fresh.status_code == 200


def test_a_decision_is_audited_with_who_decided(
    key_for: KeyFactory, client: TestClient, chatbot: Database
) -> None:
    cio = key_for("cio-office", "CIO")
    agree(cio)
    entries = client.get(
        "/audit", params={"resource_type": "raci_cell", "resource_key": "support-chatbot/nlu/CIO"}
    ).json()["items"]
    last = entries[-1]
    assert last["actor"] == "cio-office" and last["action"] == "update"
    assert last["before"]["agreement"] == "proposed"
    assert (last["after"]["agreement"], last["after"]["agreement_by"]) == ("agreed", "cio-office")
    assert last["after"]["raci"] == "AR"


def test_deciding_again_records_a_new_decision(key_for: KeyFactory, chatbot: Database) -> None:
    cio = key_for("cio-office", "CIO")
    first = agree(cio).json()
    again = agree(cio, comment="Re-confirmed.").json()
    assert again["version"] == first["version"] + 1
    assert again["agreement"]["at"] >= first["agreement"]["at"]
    assert again["agreement"]["comment"] == "Re-confirmed."


# --- many cells --------------------------------------------------------------------------------


def test_a_role_agrees_to_all_its_cells_in_an_initiative(
    key_for: KeyFactory, client: TestClient, chatbot: Database
) -> None:
    cio = key_for("cio-office", "CIO")
    response = cio.post(
        "/agreements", json={"decision": "agree", "initiative": "support-chatbot", "role": "cio"}
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["decision"], body["decided"], body["refused"]) == ("agree", 2, 0)
    assert [(c["component"], c["status"]) for c in body["cells"]] == [
        ("crm-feed", 200),
        ("nlu", 200),
    ]
    assert all(c["cell"]["agreement"]["by"] == "cio-office" for c in body["cells"])
    matrix = client.get("/initiatives/support-chatbot/raci").json()
    states = {row["component"]: row["agreements"] for row in matrix["rows"]}
    assert states["nlu"] == {"CIO": "agreed", "CMO": "proposed"}
    assert states["crm-feed"]["CIO"] == "agreed"


def test_a_role_form_names_an_existing_initiative_and_role_the_key_acts_for(
    key_for: KeyFactory, client: TestClient, chatbot: Database
) -> None:
    cio = key_for("cio-office", "CIO")
    for body, status in (
        ({"initiative": "nowhere", "role": "CIO"}, 404),
        ({"initiative": "support-chatbot", "role": "CXO"}, 404),
        ({"initiative": "support-chatbot", "role": "CMO"}, 403),
    ):
        assert_problem(cio.post("/agreements", json={"decision": "agree", **body}), status)
    assert client.get(NLU).json()["agreement"] == PROPOSED


def test_a_list_of_cells_answers_per_cell(
    key_for: KeyFactory, client: TestClient, chatbot: Database
) -> None:
    cio = key_for("cio-office", "CIO")
    cells = [
        {"initiative": "support-chatbot", "component": "nlu", "role": "CIO"},
        {"initiative": "support-chatbot", "component": "nlu", "role": "CMO"},
        {"initiative": "support-chatbot", "component": "persona", "role": "CIO"},
        {"initiative": "support-chatbot", "component": "nowhere", "role": "CIO"},
        {"initiative": "nowhere", "component": "nlu", "role": "CIO"},
        {"initiative": "support-chatbot", "component": "nlu", "role": "CIO"},
    ]
    response = cio.post(
        "/agreements", json={"decision": "dispute", "comment": "Not ours.", "cells": cells}
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["decided"], body["refused"]) == (1, 4)
    outcomes = [(c["component"], c["role"], c["status"]) for c in body["cells"]]
    assert outcomes == [
        ("nlu", "CIO", 200),
        ("nlu", "CMO", 403),
        ("persona", "CIO", 404),
        ("nowhere", "CIO", 404),
        ("nlu", "CIO", 404),
    ]
    details = [c["detail"] for c in body["cells"]]
    assert details[0] is None and "does not act for role CMO" in details[1]
    assert "holds no RACI cell" in details[2] and "no component 'nowhere'" in details[3]
    assert "No initiative" in details[4]
    assert body["cells"][0]["cell"]["agreement"]["state"] == "disputed"
    assert client.get(NLU).json()["agreement"]["state"] == "disputed"
    cmo = client.get("/initiatives/support-chatbot/components/nlu/raci/CMO").json()
    assert cmo["agreement"] == PROPOSED


@pytest.mark.parametrize(
    "body",
    [
        {"decision": "agree"},
        {"decision": "agree", "initiative": "support-chatbot"},
        {"decision": "agree", "role": "CIO"},
        {"decision": "agree", "cells": []},
        {
            "decision": "agree",
            "initiative": "support-chatbot",
            "role": "CIO",
            "cells": [{"initiative": "support-chatbot", "component": "nlu", "role": "CIO"}],
        },
        {"decision": "agree", "cells": [{"initiative": "support-chatbot", "component": "nlu"}]},
        {"decision": "dispute", "initiative": "support-chatbot", "role": "CIO"},
    ],
)
def test_bad_bulk_requests_are_422_and_change_nothing(
    admin: TestClient, client: TestClient, chatbot: Database, body: dict[str, Any]
) -> None:
    assert_problem(admin.post("/agreements", json=body), 422)
    assert client.get(NLU).json()["agreement"] == PROPOSED


def test_a_read_key_may_not_decide_in_bulk(reader: TestClient, chatbot: Database) -> None:
    body = {"decision": "agree", "initiative": "support-chatbot", "role": "CIO"}
    assert_problem(reader.post("/agreements", json=body), 403)


# --- reads ------------------------------------------------------------------------------------


def test_documents_and_the_matrix_show_agreements(
    key_for: KeyFactory, client: TestClient, chatbot: Database
) -> None:
    agree(key_for("cio-office", "CIO"))
    document = client.get("/initiatives/support-chatbot", params={"expand": "components"}).json()
    nlu = next(c for c in document["components"] if c["key"] == "nlu")
    assert nlu["agreements"]["CIO"]["state"] == "agreed"
    assert nlu["agreements"]["CMO"] == PROPOSED
    lines = client.get("/initiatives/support-chatbot/raci", params={"format": "csv"}).text
    rows = {line.split(",")[1]: line for line in lines.splitlines()[1:]}
    assert lines.splitlines()[0].endswith(",agreement")
    assert rows["nlu"].endswith(",proposed: CMO")
    # The document as read can be PUT back: its agreements are read-only and kept.
    assert client.put("/initiatives/support-chatbot", json=document).status_code == 200
    assert client.get(NLU).json()["agreement"]["state"] == "agreed"
    cell = client.get(NLU).json()
    assert client.put(NLU, json=cell).status_code == 200
    assert client.get(NLU).json()["agreement"]["state"] == "agreed"


def test_the_export_carries_decided_agreements_and_imports_back(
    key_for: KeyFactory, client: TestClient, chatbot: Database
) -> None:
    agree(key_for("cio-office", "CIO"), comment="Ours.")
    exported = client.get("/export").json()
    chatbot_doc = next(i for i in exported["initiatives"] if i["key"] == "support-chatbot")
    nlu = next(c for c in chatbot_doc["components"] if c["key"] == "nlu")
    assert nlu["agreements"]["CIO"]["state"] == "agreed"
    assert nlu["agreements"]["CIO"]["by"] == "cio-office"
    assert "CMO" not in nlu["agreements"]  # proposed cells are not listed
    answer = client.post("/imports", json=exported)
    assert answer.status_code == 200, answer.text
    assert answer.json()["raci_cells"]["updated"] == 0
    assert client.get(NLU).json()["agreement"]["comment"] == "Ours."
