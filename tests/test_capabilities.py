"""Capabilities: the shared vocabulary of work and the role agreed to own it."""

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from app.components.models import Component
from app.db.engine import Database
from app.initiatives.models import Initiative
from tests.problems import assert_problem, error_locs

CONVERSATIONAL_AI = {
    "key": "conversational-ai",
    "name": "Conversational AI platform",
    "domain": "technology",
    "agreed_owner": "CIO",
    "rationale": "Runs on enterprise infrastructure; integration, security and uptime sit with IT.",
}


def _create(client: TestClient, **overrides: Any) -> dict[str, Any]:
    response = client.post("/capabilities", json={**CONVERSATIONAL_AI, **overrides})
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def test_post_creates_with_location_and_etag(client: TestClient) -> None:
    response = client.post("/capabilities", json=CONVERSATIONAL_AI)
    assert response.status_code == 201
    assert response.headers["location"] == "/api/v1/capabilities/conversational-ai"
    assert response.headers["etag"] == '"1"'
    body = response.json()
    assert {k: body[k] for k in CONVERSATIONAL_AI} == CONVERSATIONAL_AI
    assert body["description"] is None
    assert body["version"] == 1
    assert body["created_at"].endswith("Z") and body["updated_at"].endswith("Z")


def test_only_key_and_name_are_required(client: TestClient) -> None:
    body = _create(client, key="mobile-app", name="Mobile app development", domain=None)
    body_fields = {k: body[k] for k in ("domain", "agreed_owner", "rationale", "description")}
    assert body_fields == {
        "domain": None,
        "agreed_owner": "CIO",
        "rationale": CONVERSATIONAL_AI["rationale"],
        "description": None,
    }
    minimal = client.post("/capabilities", json={"key": "vendor-selection", "name": "Vendors"})
    assert minimal.status_code == 201
    assert minimal.json()["agreed_owner"] is None


def test_agreed_owner_in_lower_case_is_upper_cased(client: TestClient) -> None:
    assert _create(client, agreed_owner="cdo")["agreed_owner"] == "CDO"


def test_unknown_agreed_owner_is_422_and_creates_nothing(client: TestClient) -> None:
    response = client.post("/capabilities", json={**CONVERSATIONAL_AI, "agreed_owner": "CXO"})
    assert_problem(response, 422, detail_contains="CXO")
    assert error_locs(response) == [["body", "agreed_owner"]]
    assert_problem(client.get("/capabilities/conversational-ai"), 404)


def test_badly_formed_agreed_owner_is_422(client: TestClient) -> None:
    response = client.post("/capabilities", json={**CONVERSATIONAL_AI, "agreed_owner": "C-IO"})
    assert_problem(response, 422)
    assert error_locs(response) == [["body", "agreed_owner"]]


def test_unknown_domain_is_422(client: TestClient) -> None:
    response = client.post("/capabilities", json={**CONVERSATIONAL_AI, "domain": "finance"})
    assert_problem(response, 422)
    assert error_locs(response) == [["body", "domain"]]
    assert_problem(client.get("/capabilities/conversational-ai"), 404)


def test_every_contract_domain_is_accepted(client: TestClient) -> None:
    for index, domain in enumerate(["marketing", "technology", "data", "experience", "operations"]):
        assert _create(client, key=f"c{index}", domain=domain)["domain"] == domain


def test_bad_keys_missing_name_unknown_fields_and_overlong_text_are_422(
    client: TestClient,
) -> None:
    cases: list[tuple[dict[str, Any], list[str]]] = [
        ({**CONVERSATIONAL_AI, "key": "Conversational AI"}, ["body", "key"]),
        ({**CONVERSATIONAL_AI, "key": "x" * 65}, ["body", "key"]),
        ({"key": "conversational-ai"}, ["body", "name"]),
        ({**CONVERSATIONAL_AI, "name": "   "}, ["body", "name"]),
        ({**CONVERSATIONAL_AI, "name": "x" * 201}, ["body", "name"]),
        ({**CONVERSATIONAL_AI, "rationale": "x" * 10_001}, ["body", "rationale"]),
        ({**CONVERSATIONAL_AI, "owner": "CIO"}, ["body", "owner"]),
    ]
    for body, loc in cases:
        response = client.post("/capabilities", json=body)
        assert_problem(response, 422)
        assert error_locs(response) == [loc], body
    assert client.get("/capabilities").json()["items"] == []


def test_post_of_a_taken_key_is_409_and_changes_nothing(client: TestClient) -> None:
    _create(client)
    response = client.post("/capabilities", json={**CONVERSATIONAL_AI, "name": "Other"})
    assert_problem(response, 409, detail_contains="already exists")
    assert client.get("/capabilities/conversational-ai").json()["name"] == CONVERSATIONAL_AI["name"]


def test_get_sends_etag_and_unknown_key_is_404(client: TestClient) -> None:
    _create(client)
    response = client.get("/capabilities/conversational-ai")
    assert response.status_code == 200
    assert response.headers["etag"] == '"1"'
    assert_problem(client.get("/capabilities/nothing-here"), 404, detail_contains="nothing-here")


def test_reader_may_read_but_not_write(client: TestClient, reader: TestClient) -> None:
    _create(client)
    assert reader.get("/capabilities/conversational-ai").status_code == 200
    assert_problem(reader.post("/capabilities", json={"key": "x1", "name": "x"}), 403)
    assert_problem(reader.delete("/capabilities/conversational-ai"), 403)
    assert client.get("/capabilities/conversational-ai").status_code == 200


def test_anonymous_is_401(anon: TestClient) -> None:
    assert_problem(anon.get("/capabilities"), 401)


def test_put_creates_then_replaces_every_writable_field(client: TestClient) -> None:
    created = client.put("/capabilities/conversational-ai", json=CONVERSATIONAL_AI)
    assert created.status_code == 201
    assert created.headers["location"] == "/api/v1/capabilities/conversational-ai"
    assert created.headers["etag"] == '"1"'
    replaced = client.put("/capabilities/conversational-ai", json={"name": "Chat platforms"})
    assert replaced.status_code == 200
    assert replaced.headers["etag"] == '"2"'
    body = replaced.json()
    assert body["version"] == 2
    assert body["name"] == "Chat platforms"
    assert body["agreed_owner"] is None and body["domain"] is None and body["rationale"] is None


def test_put_of_the_same_content_raises_no_version(client: TestClient) -> None:
    _create(client)
    again = client.put("/capabilities/conversational-ai", json=CONVERSATIONAL_AI)
    assert again.status_code == 200
    assert again.json()["version"] == 1


def test_put_back_what_was_read_is_accepted(client: TestClient) -> None:
    read = _create(client)
    read["description"] = "NLU and dialogue management"
    response = client.put("/capabilities/conversational-ai", json=read)
    assert response.status_code == 200
    assert response.json()["version"] == 2


def test_put_with_another_key_in_the_body_is_422(client: TestClient) -> None:
    _create(client)
    response = client.put(
        "/capabilities/conversational-ai", json={**CONVERSATIONAL_AI, "key": "other"}
    )
    assert_problem(response, 422)
    assert error_locs(response) == [["body", "key"]]
    assert_problem(client.get("/capabilities/other"), 404)


def test_put_with_unknown_owner_is_422_and_changes_nothing(client: TestClient) -> None:
    _create(client)
    response = client.put(
        "/capabilities/conversational-ai", json={**CONVERSATIONAL_AI, "agreed_owner": "CXO"}
    )
    assert_problem(response, 422)
    assert error_locs(response) == [["body", "agreed_owner"]]
    after = client.get("/capabilities/conversational-ai").json()
    assert after["agreed_owner"] == "CIO" and after["version"] == 1


def test_put_to_a_bad_key_in_the_url_is_422(client: TestClient) -> None:
    response = client.put("/capabilities/Not%20A%20Key", json={"name": "x"})
    assert_problem(response, 422)


def test_patch_is_a_merge_patch(client: TestClient) -> None:
    _create(client)
    response = client.patch(
        "/capabilities/conversational-ai",
        json={"agreed_owner": "cdo", "rationale": None},
        headers={"Content-Type": "application/merge-patch+json"},
    )
    assert response.status_code == 200
    assert response.headers["etag"] == '"2"'
    body = response.json()
    assert body["agreed_owner"] == "CDO"
    assert body["rationale"] is None
    assert body["name"] == CONVERSATIONAL_AI["name"]
    assert body["domain"] == "technology"


def test_patch_with_unknown_owner_or_cleared_name_is_422_and_changes_nothing(
    client: TestClient,
) -> None:
    _create(client)
    for patch, loc in [
        ({"agreed_owner": "CXO"}, ["body", "agreed_owner"]),
        ({"name": None}, ["body", "name"]),
        ({"domain": "finance"}, ["body", "domain"]),
        ({"key": "renamed"}, ["body", "key"]),
    ]:
        response = client.patch("/capabilities/conversational-ai", json=patch)
        assert_problem(response, 422)
        assert error_locs(response) == [loc], patch
    after = client.get("/capabilities/conversational-ai").json()
    assert after["version"] == 1
    assert after["agreed_owner"] == "CIO"


def test_patch_of_unknown_capability_is_404(client: TestClient) -> None:
    assert_problem(client.patch("/capabilities/nothing", json={"name": "x"}), 404)


def test_stale_if_match_is_412_and_changes_nothing(client: TestClient) -> None:
    _create(client)
    client.patch("/capabilities/conversational-ai", json={"description": "v2"})
    url = "/capabilities/conversational-ai"
    stale = {"If-Match": '"1"'}
    assert_problem(client.put(url, json={"name": "x"}, headers=stale), 412, detail_contains="2")
    assert_problem(client.patch(url, json={"name": "x"}, headers=stale), 412)
    assert_problem(client.delete(url, headers=stale), 412)
    after = client.get(url).json()
    assert after["name"] == CONVERSATIONAL_AI["name"] and after["version"] == 2


def test_current_if_match_is_honoured(client: TestClient) -> None:
    _create(client)
    url = "/capabilities/conversational-ai"
    response = client.put(url, json={"name": "Chat"}, headers={"If-Match": '"1"'})
    assert response.status_code == 200
    response = client.patch(url, json={"name": "Chat 2"}, headers={"If-Match": '"2"'})
    assert response.status_code == 200
    assert client.delete(url, headers={"If-Match": '"3"'}).status_code == 204


def test_if_match_on_put_of_a_missing_capability_is_412(client: TestClient) -> None:
    response = client.put("/capabilities/new-one", json={"name": "x"}, headers={"If-Match": '"1"'})
    assert_problem(response, 412)
    assert_problem(client.get("/capabilities/new-one"), 404)


def test_delete_removes_the_capability(client: TestClient) -> None:
    _create(client)
    assert client.delete("/capabilities/conversational-ai").status_code == 204
    assert_problem(client.get("/capabilities/conversational-ai"), 404)
    assert_problem(client.delete("/capabilities/conversational-ai"), 404)


def test_delete_while_components_use_it_is_409_naming_them(
    client: TestClient, database: Database
) -> None:
    _create(client)
    with database.transaction() as session:
        for key in ["support-chatbot", "voice-bot"]:
            initiative = Initiative(key=key, name=key)
            session.add(initiative)
            session.flush()
            session.add(
                Component(
                    initiative_id=initiative.id,
                    key="nlu",
                    name="NLU",
                    capability="conversational-ai",
                )
            )
    response = client.delete("/capabilities/conversational-ai")
    body = assert_problem(response, 409, detail_contains="support-chatbot/nlu")
    assert body["references"] == {"components": ["support-chatbot/nlu", "voice-bot/nlu"]}
    assert client.get("/capabilities/conversational-ai").status_code == 200
    with database.transaction() as session:
        assert len(list(session.scalars(select(Component)))) == 2


def test_delete_of_a_role_that_owns_a_capability_is_409(client: TestClient) -> None:
    client.post("/roles", json={"code": "CFO", "name": "Chief Financial Officer"})
    _create(client, agreed_owner="CFO")
    assert_problem(client.delete("/roles/CFO"), 409, detail_contains="conversational-ai")


def test_list_is_ordered_by_key_and_pages(client: TestClient) -> None:
    for key in ["iot-platform", "campaign-analytics", "mobile-app", "conversational-ai", "data"]:
        _create(client, key=key)
    first = client.get("/capabilities", params={"limit": 2}).json()
    assert [c["key"] for c in first["items"]] == ["campaign-analytics", "conversational-ai"]
    seen = [c["key"] for c in first["items"]]
    cursor = first["next_cursor"]
    while cursor:
        body = client.get("/capabilities", params={"limit": 2, "cursor": cursor}).json()
        seen += [c["key"] for c in body["items"]]
        cursor = body["next_cursor"]
    assert seen == sorted(seen) and len(seen) == 5


def test_list_filters_by_any_of_the_domains_given(client: TestClient) -> None:
    _create(client, key="a-tech", domain="technology")
    _create(client, key="b-data", domain="data")
    _create(client, key="c-mkt", domain="marketing")
    _create(client, key="d-none", domain=None)
    one = client.get("/capabilities", params={"domain": "data"}).json()
    assert [c["key"] for c in one["items"]] == ["b-data"]
    several = client.get("/capabilities", params=[("domain", "data"), ("domain", "marketing")])
    assert [c["key"] for c in several.json()["items"]] == ["b-data", "c-mkt"]
    assert_problem(client.get("/capabilities", params={"domain": "finance"}), 422)


def test_list_refuses_unknown_query_parameters(client: TestClient) -> None:
    response = client.get("/capabilities", params={"owner": "CIO"})
    assert_problem(response, 422)
    assert error_locs(response) == [["query", "owner"]]
