"""Governance models (issue 20): named sets of agreed owners, one of them active."""

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.problems import assert_problem, error_locs

MERGE_PATCH = {"Content-Type": "application/merge-patch+json"}
SHIPPED = ["cdo-above", "cdo-beside", "cmo-cio-partnership"]


@pytest.fixture
def capabilities(client: TestClient) -> TestClient:
    for key, domain, owner in [
        ("nlu", "technology", "CIO"),
        ("crm-data", "data", "CMO"),
        ("campaigns", "marketing", "CMO"),
        ("persona", "experience", None),
        ("loose", None, "CEO"),
    ]:
        body = {"name": key, "domain": domain, "agreed_owner": owner}
        assert client.put(f"/capabilities/{key}", json=body).status_code == 201
    return client


def owners(client: TestClient) -> dict[str, tuple[str | None, str | None]]:
    items = client.get("/capabilities", params={"limit": 500}).json()["items"]
    return {c["key"]: (c["agreed_owner"], c["rationale"]) for c in items}


def audit(client: TestClient, resource_type: str) -> list[dict[str, Any]]:
    return list(client.get("/audit", params={"resource_type": resource_type}).json()["items"])


DATA_FIRST = {
    "name": "Data first",
    "owners": [
        {"capability": "nlu", "owner": "CDO", "rationale": "The NLU learns from our data."},
        {"domain": "technology", "owner": "CIO", "rationale": "IT runs the platforms."},
        {"domain": "data", "owner": "CDO", "rationale": "The CDO owns the data."},
    ],
}


def test_the_three_shipped_models_are_listed_none_active(client: TestClient) -> None:
    items = client.get("/governance-models").json()["items"]
    assert [m["key"] for m in items] == SHIPPED
    assert not any(m["active"] for m in items)
    beside = client.get("/governance-models/cdo-beside").json()
    by_domain = {o["domain"]: o["owner"] for o in beside["owners"]}
    assert by_domain == {
        "marketing": "CMO",
        "experience": "CDO",
        "data": "CDO",
        "operations": "CDO",
        "technology": "CIO",
    }
    assert all(o["rationale"] and o["capability"] is None for o in beside["owners"])
    above = {
        o["domain"]: o["owner"] for o in client.get("/governance-models/cdo-above").json()["owners"]
    }
    assert above["technology"] == "CDO"


def test_create_read_replace_patch_and_delete(capabilities: TestClient) -> None:
    client = capabilities
    created = client.post("/governance-models", json={"key": "data-first", **DATA_FIRST})
    assert created.status_code == 201, created.text
    assert created.headers["location"] == "/api/v1/governance-models/data-first"
    body = created.json()
    assert (body["active"], body["version"]) == (False, 1)
    assert body["owners"][0] == {
        "capability": "nlu",
        "domain": None,
        "owner": "CDO",
        "rationale": "The NLU learns from our data.",
    }
    got = client.get("/governance-models/data-first")
    assert got.headers["etag"] == '"1"'
    patched = client.patch(
        "/governance-models/data-first", json={"description": "Draft"}, headers=MERGE_PATCH
    )
    assert patched.json()["description"] == "Draft"
    assert len(patched.json()["owners"]) == 3  # a merge patch keeps what it omits
    replaced = client.put(
        "/governance-models/data-first", json={"name": "Data first", "owners": []}
    )
    assert (replaced.status_code, replaced.json()["owners"]) == (200, [])
    assert client.put("/governance-models/new-one", json={"name": "New"}).status_code == 201
    assert client.delete("/governance-models/data-first").status_code == 204
    assert_problem(client.get("/governance-models/data-first"), 404)
    assert [e["action"] for e in audit(client, "governance_model")] == [
        "create", "update", "update", "create", "delete"
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("entry", "loc"),
    [
        ({"owner": "CIO", "rationale": "x"}, ["body", "owners", 0]),
        (
            {"capability": "nlu", "domain": "data", "owner": "CIO", "rationale": "x"},
            ["body", "owners", 0],
        ),
        ({"domain": "finance", "owner": "CIO", "rationale": "x"}, ["body", "owners", 0, "domain"]),
        ({"domain": "data", "owner": "CIO", "rationale": " "}, ["body", "owners", 0, "rationale"]),
        ({"domain": "data", "owner": "CIO"}, ["body", "owners", 0, "rationale"]),
        ({"domain": "data", "owner": "NOBODY", "rationale": "x"}, ["body", "owners", 0, "owner"]),
        (
            {"capability": "nope", "owner": "CIO", "rationale": "x"},
            ["body", "owners", 0, "capability"],
        ),
        (
            {"domain": "data", "owner": "CIO", "rationale": "x", "extra": 1},
            ["body", "owners", 0, "extra"],
        ),
    ],
)
def test_a_bad_owner_entry_is_422_and_writes_nothing(
    capabilities: TestClient, entry: dict[str, Any], loc: list[Any]
) -> None:
    client = capabilities
    response = client.post(
        "/governance-models", json={"key": "bad", "name": "Bad", "owners": [entry]}
    )
    assert_problem(response, 422)
    assert error_locs(response) == [loc]
    assert_problem(client.get("/governance-models/bad"), 404)
    assert (
        client.put(
            "/governance-models/cdo-beside", json={"name": "x", "owners": [entry]}
        ).status_code
        == 422
    )
    assert client.get("/governance-models/cdo-beside").json()["version"] == 1


def test_a_subject_given_twice_a_taken_key_or_another_key_in_the_body_is_refused(
    capabilities: TestClient,
) -> None:
    client = capabilities
    twice = [
        {"domain": "data", "owner": "CIO", "rationale": "x"},
        {"domain": "data", "owner": "CDO", "rationale": "y"},
    ]
    response = client.post("/governance-models", json={"key": "t", "name": "T", "owners": twice})
    assert_problem(response, 422)
    assert error_locs(response) == [["body", "owners"]]
    assert_problem(client.post("/governance-models", json={"key": "cdo-above", "name": "x"}), 409)
    assert_problem(
        client.put("/governance-models/cdo-above", json={"key": "other", "name": "x"}), 422
    )
    assert_problem(
        client.patch("/governance-models/cdo-above", json={"name": None}, headers=MERGE_PATCH), 422
    )
    assert_problem(client.get("/governance-models/NOT A KEY"), 422)
    assert_problem(client.post("/governance-models/nope/activate"), 404)
    assert_problem(client.patch("/governance-models/nope", json={}, headers=MERGE_PATCH), 404)
    assert_problem(client.delete("/governance-models/nope"), 404)


def test_activating_sets_the_agreed_owners_once_and_is_idempotent(
    capabilities: TestClient,
) -> None:
    client = capabilities
    client.post("/governance-models", json={"key": "data-first", **DATA_FIRST})
    before = owners(client)
    response = client.post("/governance-models/data-first/activate")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["model"]["active"] is True
    assert body["changed"] == [
        {"capability": "crm-data", "before": "CMO", "after": "CDO", "rationale": "The CDO owns the data."},
        {"capability": "nlu", "before": "CIO", "after": "CDO", "rationale": "The NLU learns from our data."},
    ]  # fmt: skip
    after = owners(client)
    assert after["nlu"] == ("CDO", "The NLU learns from our data.")  # the capability entry wins
    assert after["crm-data"] == ("CDO", "The CDO owns the data.")
    # Not named, and no default for its domain (or no domain): left as they were.
    for key in ["campaigns", "persona", "loose"]:
        assert after[key] == before[key]
    capability_entries = audit(client, "capability")
    assert sorted(e["resource_key"] for e in capability_entries if e["action"] == "update") == [
        "crm-data",
        "nlu",
    ]

    versions = {c["key"]: c["version"] for c in client.get("/capabilities").json()["items"]}
    entries = len(client.get("/audit", params={"limit": 500}).json()["items"])
    again = client.post("/governance-models/data-first/activate").json()
    assert again["changed"] == []
    assert {c["key"]: c["version"] for c in client.get("/capabilities").json()["items"]} == versions
    assert len(client.get("/audit", params={"limit": 500}).json()["items"]) == entries


def test_one_model_is_active_at_a_time(capabilities: TestClient) -> None:
    client = capabilities
    client.post("/governance-models/cdo-beside/activate")
    changed = client.post("/governance-models/cdo-above/activate").json()["changed"]
    # IT goes under the CDO; the others keep their owner with the new model's rationale.
    assert {c["capability"]: c["after"] for c in changed if c["before"] != c["after"]} == {
        "nlu": "CDO"
    }
    assert {c["capability"] for c in changed} == {"nlu", "crm-data", "campaigns", "persona"}
    active = [m["key"] for m in client.get("/governance-models").json()["items"] if m["active"]]
    assert active == ["cdo-above"]
    assert owners(client)["persona"][0] == "CDO"


def test_activate_honours_if_match(capabilities: TestClient) -> None:
    client = capabilities
    stale = client.post("/governance-models/cdo-beside/activate", headers={"If-Match": '"7"'})
    assert_problem(stale, 412)
    assert owners(client)["nlu"] == ("CIO", None)
    fresh = client.post("/governance-models/cdo-beside/activate", headers={"If-Match": '"1"'})
    assert fresh.status_code == 200


def test_a_role_a_model_names_follows_renames_and_cannot_be_deleted(client: TestClient) -> None:
    client.post("/roles", json={"code": "CTO", "name": "CTO", "function": "technology"})
    model = {
        "key": "cto",
        "name": "CTO",
        "owners": [{"domain": "technology", "owner": "CTO", "rationale": "x"}],
    }
    assert client.post("/governance-models", json=model).status_code == 201
    response = client.delete("/roles/CTO")
    assert_problem(response, 409)
    assert "governance models" in response.json()["detail"]
    assert client.post("/roles/CTO/rename", json={"code": "CTEO"}).status_code == 200
    assert client.get("/governance-models/cto").json()["owners"][0]["owner"] == "CTEO"
    assert client.post("/roles/CTEO/merge", json={"into": "CIO"}).status_code in (200, 204)
    assert client.get("/governance-models/cto").json()["owners"][0]["owner"] == "CIO"


def test_reading_takes_a_read_key_and_writing_a_write_key(
    reader: TestClient, anon: TestClient
) -> None:
    assert reader.get("/governance-models").status_code == 200
    assert_problem(reader.post("/governance-models/cdo-beside/activate"), 403)
    assert_problem(anon.get("/governance-models"), 401)
