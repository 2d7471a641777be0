"""Every write path re-opens a cell's agreement exactly when its letters change, and keeps it
when they do not (API.md "Explicit agreement"): cell PUT, component PUT, initiative POST,
PUT and PATCH, /imports, the sheet import, role rename and merge."""

from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.db.engine import Database
from tests import builders

CHATBOT = "/initiatives/support-chatbot"
NLU = f"{CHATBOT}/components/nlu/raci"


@pytest.fixture
def agreed(database: Database, admin: TestClient) -> TestClient:
    """The chatbot with every cell agreed (by the admin key)."""
    builders.support_chatbot(database)
    response = admin.post(
        "/agreements",
        json={
            "decision": "agree",
            "cells": [
                {"initiative": "support-chatbot", "component": c, "role": r}
                for c, r in [
                    ("nlu", "CIO"),
                    ("nlu", "CMO"),
                    ("persona", "CMO"),
                    ("persona", "CDO"),
                    ("crm-feed", "CIO"),
                    ("crm-feed", "CDO"),
                    ("crm-feed", "CMO"),
                ]
            ],
        },
    )
    assert response.json()["decided"] == 7
    return admin


def states(client: TestClient, key: str = "support-chatbot") -> dict[str, dict[str, str]]:
    rows = client.get(f"/initiatives/{key}/raci").json()["rows"]
    return {row["component"]: row["agreements"] for row in rows}


def document(client: TestClient) -> dict[str, Any]:
    body: dict[str, Any] = client.get(CHATBOT, params={"expand": "components"}).json()
    return body


def with_letters(doc: dict[str, Any], component: str, role: str, raci: str) -> dict[str, Any]:
    for c in doc["components"]:
        if c["key"] == component:
            c["raci"][role] = raci
    return doc


ALL_AGREED = {
    "crm-feed": {"CDO": "agreed", "CIO": "agreed", "CMO": "agreed"},
    "nlu": {"CIO": "agreed", "CMO": "agreed"},
    "persona": {"CDO": "agreed", "CMO": "agreed"},
}


def test_cell_put_keeps_the_agreement_for_the_same_letters_and_reopens_it_for_new_ones(
    agreed: TestClient, client: TestClient
) -> None:
    assert client.put(f"{NLU}/CIO", json={"raci": "r/a"}).status_code == 200  # AR again
    assert client.put(f"{NLU}/CIO", json={"raci": "AR", "rationale": "Why"}).status_code == 200
    assert states(client) == ALL_AGREED
    changed = client.put(f"{NLU}/CIO", json={"raci": "A", "rationale": "Why"}).json()
    assert changed["agreement"] == {"state": "proposed", "by": None, "at": None, "comment": None}
    assert states(client)["nlu"] == {"CIO": "proposed", "CMO": "agreed"}


def test_a_new_cell_is_proposed(agreed: TestClient, client: TestClient) -> None:
    assert client.put(f"{NLU}/CDO", json={"raci": "I"}).status_code == 201
    assert states(client)["nlu"]["CDO"] == "proposed"


def test_component_put_keeps_the_agreements(agreed: TestClient, client: TestClient) -> None:
    component = client.get(f"{CHATBOT}/components/nlu").json()
    component["name"] = "Language understanding"
    assert client.put(f"{CHATBOT}/components/nlu", json=component).status_code == 200
    assert states(client) == ALL_AGREED


def test_initiative_put_reopens_only_the_cells_whose_letters_change(
    agreed: TestClient, client: TestClient
) -> None:
    same = document(client)
    version = same["version"]
    assert client.put(CHATBOT, json=same).json()["version"] == version
    assert states(client) == ALL_AGREED
    changed = with_letters(document(client), "nlu", "CMO", "CI")
    changed["components"][1]["rationales"] = {"CIO": "Rationale only"}
    assert client.put(CHATBOT, json=changed).status_code == 200
    assert states(client) == {**ALL_AGREED, "nlu": {"CIO": "agreed", "CMO": "proposed"}}


def test_initiative_post_makes_proposed_cells_and_patch_keeps_them(
    agreed: TestClient, client: TestClient
) -> None:
    body = {
        "key": "pilot",
        "name": "Pilot",
        "components": [{"key": "app", "name": "App", "raci": {"CIO": "A", "CMO": "R"}}],
    }
    assert client.post("/initiatives", json=body).status_code == 201
    assert states(client, "pilot") == {"app": {"CIO": "proposed", "CMO": "proposed"}}
    assert client.patch(CHATBOT, json={"name": "Chatbot"}).status_code == 200
    assert states(client) == ALL_AGREED


def test_reimporting_an_identical_document_leaves_agreements_untouched(
    agreed: TestClient, client: TestClient
) -> None:
    exported = client.get("/export").json()
    version = document(client)["version"]
    answer = client.post("/imports", json=exported).json()
    assert answer["raci_cells"]["updated"] == 0
    assert states(client) == ALL_AGREED
    assert document(client)["version"] == version
    for initiative in exported["initiatives"]:
        for component in initiative.get("components", []):
            if component["key"] == "persona":
                component["raci"]["CDO"] = "RC"
    assert client.post("/imports", json=exported).json()["raci_cells"]["updated"] == 1
    assert states(client) == {**ALL_AGREED, "persona": {"CDO": "proposed", "CMO": "agreed"}}


def test_the_sheet_import_reopens_only_changed_letters(
    agreed: TestClient, client: TestClient
) -> None:
    sheet = "Key,Task,CIO,CMO\nnlu,NLU engine,AR,I\n"
    response = client.post(
        f"{CHATBOT}/raci/import", content=sheet, headers={"Content-Type": "text/csv"}
    )
    assert response.status_code == 200, response.text
    assert states(client) == {**ALL_AGREED, "nlu": {"CIO": "agreed", "CMO": "proposed"}}


def test_a_role_rename_carries_agreements_and_the_keys_acting_for_it(
    agreed: TestClient, admin: TestClient
) -> None:
    admin.post("/keys", json={"name": "cdo-office", "scope": "write", "acts_for": ["CDO"]})
    assert admin.post("/roles/CDO/rename", json={"code": "CDAO"}).status_code == 200
    assert states(admin)["persona"] == {"CDAO": "agreed", "CMO": "agreed"}
    assert admin.get("/keys/cdo-office").json()["acts_for"] == ["CDAO"]


def test_a_role_merge_reopens_the_cells_whose_letters_it_joins(
    agreed: TestClient, admin: TestClient
) -> None:
    admin.post("/keys", json={"name": "both", "scope": "write", "acts_for": ["CDO", "CIO"]})
    admin.post("/keys", json={"name": "cdo-office", "scope": "write", "acts_for": ["CDO"]})
    # crm-feed: CIO A + CDO A stay A (kept); persona: CDO R moves to CIO (kept, as moved).
    admin.put(f"{NLU}/CDO", json={"raci": "C"})
    admin.post(
        "/agreements",
        json={"decision": "agree", "initiative": "support-chatbot", "role": "CDO"},
    )
    assert admin.post("/roles/CDO/merge", json={"into": "CIO"}).status_code == 200
    assert states(admin) == {
        "crm-feed": {"CIO": "agreed", "CMO": "agreed"},
        "nlu": {"CIO": "proposed", "CMO": "agreed"},  # AR + C became ARC
        "persona": {"CIO": "agreed", "CMO": "agreed"},
    }
    keys = {k["name"]: k["acts_for"] for k in admin.get("/keys").json()["items"]}
    assert keys["both"] == ["CIO"] and keys["cdo-office"] == ["CIO"]
