"""Initiatives: their fields, validation, list filters, concurrency and deletion."""

from datetime import date
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from app.components.models import Component
from app.db.engine import Database
from app.initiatives.models import Initiative, InitiativeTag
from app.kpis.models import Kpi, KpiInitiative
from app.raci.models import RaciCell
from tests.problems import assert_problem, error_locs

CHATBOT = {
    "key": "support-chatbot",
    "name": "Customer support chatbot",
    "kind": "chatbot",
    "status": "active",
    "portfolio": "joint",
    "sponsor": "CMO",
    "priority": 1,
    "start_date": "2026-01-15",
    "end_date": "2026-12-15",
    "goals": "Answer routine questions around the clock",
    "use_cases": "Order tracking and returns",
    "feasibility": "Proven vendors",
    "tags": ["customer-experience"],
    "external_ref": "PMO-1042",
}

# The demo portfolio's initiatives, enough to exercise every filter.
PORTFOLIO = [
    CHATBOT,
    {
        "key": "smart-store-iot",
        "name": "Smart store sensors",
        "kind": "iot",
        "status": "planned",
        "portfolio": "it",
        "sponsor": "CIO",
        "priority": 2,
        "tags": ["stores"],
    },
    {
        "key": "customer-360",
        "name": "Customer 360 analytics",
        "kind": "analytics",
        "status": "active",
        "portfolio": "digital",
        "sponsor": "CDO",
        "priority": 1,
        "tags": ["customer-experience", "data"],
    },
    {
        "key": "spring-campaign",
        "name": "Spring digital campaign",
        "kind": "campaign",
        "status": "proposed",
        "portfolio": "marketing",
        "sponsor": None,
        "priority": 3,
    },
    {
        "key": "loyalty-app",
        "name": "Loyalty app",
        "kind": "app",
        "status": "on_hold",
        "portfolio": "digital",
        "sponsor": "CDO",
        "priority": 2,
    },
    {
        "key": "legacy-portal",
        "name": "Legacy customer portal",
        "kind": "app",
        "status": "done",
        "portfolio": "it",
        "sponsor": "CIO",
        "priority": 4,
    },
    {
        "key": "chatbot-pilot-2024",
        "name": "Chatbot pilot",
        "kind": "chatbot",
        "status": "cancelled",
        "portfolio": "marketing",
        "sponsor": "CMO",
        "priority": 5,
    },
]


def _create(client: TestClient, **overrides: Any) -> dict[str, Any]:
    response = client.post("/initiatives", json={**CHATBOT, **overrides})
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


@pytest.fixture
def portfolio(client: TestClient) -> None:
    for initiative in PORTFOLIO:
        assert client.post("/initiatives", json=initiative).status_code == 201


def _keys(client: TestClient, params: Any) -> list[str]:
    response = client.get("/initiatives", params=params)
    assert response.status_code == 200, response.text
    return [item["key"] for item in response.json()["items"]]


def _count(database: Database, model: Any) -> int:
    with database.transaction(write=False) as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


# --- create and read -------------------------------------------------------------------


def test_post_creates_with_location_etag_and_every_field(client: TestClient) -> None:
    response = client.post("/initiatives", json=CHATBOT)
    assert response.status_code == 201
    assert response.headers["location"] == "/api/v1/initiatives/support-chatbot"
    assert response.headers["etag"] == '"1"'
    body = response.json()
    assert {k: body[k] for k in CHATBOT} == CHATBOT
    assert body["version"] == 1
    assert body["created_at"].endswith("Z") and body["updated_at"].endswith("Z")
    assert "components" not in body


def test_defaults_kind_other_status_proposed_priority_3(client: TestClient) -> None:
    body = _create_minimal(client)
    assert body["kind"] == "other"
    assert body["status"] == "proposed"
    assert body["priority"] == 3
    assert body["tags"] == []
    for field in ["portfolio", "sponsor", "goals", "start_date", "end_date", "external_ref"]:
        assert body[field] is None


def _create_minimal(client: TestClient) -> dict[str, Any]:
    response = client.post("/initiatives", json={"key": "spring-campaign", "name": "Spring"})
    assert response.status_code == 201
    body: dict[str, Any] = response.json()
    return body


def test_get_sends_etag_and_unknown_key_is_404(client: TestClient) -> None:
    _create(client)
    response = client.get("/initiatives/support-chatbot")
    assert response.status_code == 200
    assert response.headers["etag"] == '"1"'
    assert response.json()["name"] == CHATBOT["name"]
    assert_problem(client.get("/initiatives/no-such"), 404, detail_contains="no-such")


def test_post_of_a_taken_key_is_409_and_changes_nothing(client: TestClient) -> None:
    _create(client)
    response = client.post("/initiatives", json={**CHATBOT, "name": "Other"})
    assert_problem(response, 409, detail_contains="already exists")
    assert client.get("/initiatives/support-chatbot").json()["name"] == CHATBOT["name"]


def test_sponsor_in_lower_case_is_upper_cased(client: TestClient) -> None:
    assert _create(client, sponsor="cio")["sponsor"] == "CIO"


def test_tags_are_deduplicated_sorted_and_stored_once(
    client: TestClient, database: Database
) -> None:
    body = _create(client, tags=["stores", "data", "stores", " data "])
    assert body["tags"] == ["data", "stores"]
    assert _count(database, InitiativeTag) == 2


def test_reader_may_read_but_not_write(client: TestClient, reader: TestClient) -> None:
    _create(client)
    assert reader.get("/initiatives/support-chatbot").status_code == 200
    assert reader.get("/initiatives").status_code == 200
    assert_problem(reader.post("/initiatives", json={**CHATBOT, "key": "x"}), 403)
    assert_problem(reader.put("/initiatives/support-chatbot", json=CHATBOT), 403)
    assert_problem(reader.patch("/initiatives/support-chatbot", json={"name": "x"}), 403)
    assert_problem(reader.delete("/initiatives/support-chatbot"), 403)
    assert client.get("/initiatives/support-chatbot").json()["version"] == 1


def test_anonymous_is_401(anon: TestClient) -> None:
    assert_problem(anon.get("/initiatives"), 401)
    assert_problem(anon.post("/initiatives", json=CHATBOT), 401)


# --- validation ------------------------------------------------------------------------

INVALID: list[tuple[dict[str, Any], list[Any]]] = [
    ({"kind": "robot"}, ["body", "kind"]),
    ({"status": "started"}, ["body", "status"]),
    ({"status": "ACTIVE"}, ["body", "status"]),
    ({"portfolio": "finance"}, ["body", "portfolio"]),
    ({"priority": 0}, ["body", "priority"]),
    ({"priority": 6}, ["body", "priority"]),
    ({"priority": "high"}, ["body", "priority"]),
    ({"priority": 2.5}, ["body", "priority"]),
    ({"start_date": "2026-02-30"}, ["body", "start_date"]),
    ({"end_date": "next year"}, ["body", "end_date"]),
    ({"start_date": "2026-06-01", "end_date": "2026-05-31"}, ["body", "end_date"]),
    ({"tags": "stores"}, ["body", "tags"]),
    ({"tags": [""]}, ["body", "tags", 0]),
    ({"tags": ["ok", "x" * 65]}, ["body", "tags", 1]),
    ({"tags": [f"t{i}" for i in range(51)]}, ["body", "tags"]),
    ({"sponsor": "C-MO"}, ["body", "sponsor"]),
    ({"name": ""}, ["body", "name"]),
    ({"name": "x" * 201}, ["body", "name"]),
    ({"goals": "x" * 10_001}, ["body", "goals"]),
    ({"external_ref": "x" * 201}, ["body", "external_ref"]),
    ({"key": "Support Chatbot"}, ["body", "key"]),
    ({"owner": "CMO"}, ["body", "owner"]),
]


@pytest.mark.parametrize(("change", "loc"), INVALID, ids=[str(c) for c, _ in INVALID])
def test_invalid_field_is_422_at_its_location_and_creates_nothing(
    client: TestClient, database: Database, change: dict[str, Any], loc: list[Any]
) -> None:
    response = client.post("/initiatives", json={**CHATBOT, **change})
    assert_problem(response, 422)
    assert error_locs(response) == [loc]
    assert _count(database, Initiative) == 0


def test_end_date_on_the_start_date_is_accepted(client: TestClient) -> None:
    body = _create(client, start_date="2026-06-01", end_date="2026-06-01")
    assert body["end_date"] == "2026-06-01"


def test_unknown_sponsor_is_422_and_creates_nothing(client: TestClient, database: Database) -> None:
    response = client.post("/initiatives", json={**CHATBOT, "sponsor": "CXO"})
    assert_problem(response, 422, detail_contains="CXO")
    assert error_locs(response) == [["body", "sponsor"]]
    assert _count(database, Initiative) == 0


def test_every_contract_enum_value_is_accepted(client: TestClient) -> None:
    kinds = ["chatbot", "iot", "analytics", "app", "campaign", "platform", "other"]
    statuses = ["proposed", "planned", "active", "on_hold", "done", "cancelled"]
    portfolios = ["marketing", "it", "digital", "joint"]
    for index, kind in enumerate(kinds):
        body = _create(
            client,
            key=f"i{index}",
            kind=kind,
            status=statuses[index % len(statuses)],
            portfolio=portfolios[index % len(portfolios)],
            priority=index % 5 + 1,
        )
        assert body["kind"] == kind


# --- replace and patch -----------------------------------------------------------------


def test_put_creates_then_replaces_and_left_out_fields_take_defaults(client: TestClient) -> None:
    body = {k: v for k, v in CHATBOT.items() if k != "key"}
    created = client.put("/initiatives/support-chatbot", json=body)
    assert created.status_code == 201
    assert created.headers["location"] == "/api/v1/initiatives/support-chatbot"
    assert created.headers["etag"] == '"1"'
    replaced = client.put("/initiatives/support-chatbot", json={"name": "Chatbot"})
    assert replaced.status_code == 200
    assert replaced.headers["etag"] == '"2"'
    after = replaced.json()
    assert after["version"] == 2
    assert (after["kind"], after["status"], after["priority"]) == ("other", "proposed", 3)
    assert after["tags"] == [] and after["sponsor"] is None and after["external_ref"] is None


def test_put_of_the_same_content_raises_no_version(client: TestClient) -> None:
    _create(client)
    again = client.put("/initiatives/support-chatbot", json=CHATBOT)
    assert again.status_code == 200
    assert again.json()["version"] == 1
    assert again.headers["etag"] == '"1"'


def test_put_back_what_was_read_is_accepted(client: TestClient) -> None:
    read = _create(client)
    read["goals"] = "Fewer calls"
    response = client.put("/initiatives/support-chatbot", json=read)
    assert response.status_code == 200
    assert response.json()["version"] == 2


def test_changing_only_the_tags_raises_the_version_by_one(client: TestClient) -> None:
    _create(client)
    response = client.put("/initiatives/support-chatbot", json={**CHATBOT, "tags": ["data"]})
    assert response.json()["version"] == 2
    assert response.json()["tags"] == ["data"]
    same_tags_reordered = {**CHATBOT, "tags": ["data", "data"]}
    assert (
        client.put("/initiatives/support-chatbot", json=same_tags_reordered).json()["version"] == 2
    )


def test_changing_fields_and_tags_together_raises_the_version_by_one(client: TestClient) -> None:
    _create(client)
    change = {**CHATBOT, "name": "Bot", "tags": ["a", "b"], "priority": 2}
    assert client.put("/initiatives/support-chatbot", json=change).json()["version"] == 2


def test_put_with_another_key_in_the_body_is_422(client: TestClient) -> None:
    _create(client)
    response = client.put("/initiatives/support-chatbot", json={**CHATBOT, "key": "other"})
    assert_problem(response, 422)
    assert error_locs(response) == [["body", "key"]]
    assert_problem(client.get("/initiatives/other"), 404)


def test_put_with_bad_dates_or_unknown_sponsor_is_422_and_changes_nothing(
    client: TestClient,
) -> None:
    _create(client)
    for change, loc in [
        ({"start_date": "2027-01-01"}, ["body", "end_date"]),
        ({"sponsor": "CXO"}, ["body", "sponsor"]),
        ({"priority": 9}, ["body", "priority"]),
    ]:
        response = client.put("/initiatives/support-chatbot", json={**CHATBOT, **change})
        assert_problem(response, 422)
        assert error_locs(response) == [loc]
    after = client.get("/initiatives/support-chatbot").json()
    assert after["version"] == 1 and after["sponsor"] == "CMO"


def test_patch_is_a_merge_patch(client: TestClient) -> None:
    _create(client)
    response = client.patch(
        "/initiatives/support-chatbot",
        json={"status": "on_hold", "goals": None, "sponsor": "cdo", "tags": ["b", "a"]},
        headers={"Content-Type": "application/merge-patch+json"},
    )
    assert response.status_code == 200
    assert response.headers["etag"] == '"2"'
    body = response.json()
    assert body["status"] == "on_hold"
    assert body["goals"] is None
    assert body["sponsor"] == "CDO"
    assert body["tags"] == ["a", "b"]
    assert body["name"] == CHATBOT["name"] and body["priority"] == 1


def test_patch_that_changes_nothing_raises_no_version(client: TestClient) -> None:
    _create(client)
    response = client.patch("/initiatives/support-chatbot", json={"status": "active"})
    assert response.json()["version"] == 1


@pytest.mark.parametrize(
    ("patch", "loc"),
    [
        ({"end_date": "2025-01-01"}, ["body", "end_date"]),
        ({"start_date": "2027-01-01"}, ["body", "end_date"]),
        ({"sponsor": "CXO"}, ["body", "sponsor"]),
        ({"name": None}, ["body", "name"]),
        ({"priority": 0}, ["body", "priority"]),
        ({"kind": "robot"}, ["body", "kind"]),
        ({"key": "renamed"}, ["body", "key"]),
        ({"components": []}, ["body", "components"]),
    ],
)
def test_invalid_patch_is_422_and_changes_nothing(
    client: TestClient, patch: dict[str, Any], loc: list[Any]
) -> None:
    _create(client)
    response = client.patch("/initiatives/support-chatbot", json=patch)
    assert_problem(response, 422)
    assert error_locs(response) == [loc]
    after = client.get("/initiatives/support-chatbot").json()
    assert {k: after[k] for k in CHATBOT} == CHATBOT
    assert after["version"] == 1


def test_patch_of_unknown_initiative_is_404(client: TestClient) -> None:
    assert_problem(client.patch("/initiatives/nothing", json={"name": "x"}), 404)


# --- If-Match --------------------------------------------------------------------------


def test_stale_if_match_is_412_and_changes_nothing(client: TestClient) -> None:
    _create(client)
    client.patch("/initiatives/support-chatbot", json={"priority": 2})
    url, stale = "/initiatives/support-chatbot", {"If-Match": '"1"'}
    assert_problem(
        client.put(url, json={"name": "x"}, headers=stale), 412, detail_contains="version 2"
    )
    assert_problem(client.patch(url, json={"name": "x"}, headers=stale), 412)
    assert_problem(client.delete(url, headers=stale), 412)
    after = client.get(url).json()
    assert after["name"] == CHATBOT["name"] and after["version"] == 2


def test_current_if_match_is_honoured(client: TestClient) -> None:
    _create(client)
    url = "/initiatives/support-chatbot"
    assert (
        client.put(url, json=CHATBOT | {"priority": 2}, headers={"If-Match": '"1"'}).status_code
        == 200
    )
    response = client.patch(url, json={"priority": 3}, headers={"If-Match": '"2"'})
    assert response.status_code == 200
    assert response.headers["etag"] == '"3"'
    assert client.delete(url, headers={"If-Match": '"3"'}).status_code == 204


def test_if_match_on_put_of_a_missing_initiative_is_412(client: TestClient) -> None:
    response = client.put("/initiatives/new-one", json={"name": "x"}, headers={"If-Match": '"1"'})
    assert_problem(response, 412)
    assert_problem(client.get("/initiatives/new-one"), 404)


# --- delete ----------------------------------------------------------------------------


def test_delete_removes_the_initiative_its_tags_components_and_cells(
    client: TestClient, database: Database
) -> None:
    document = {
        **CHATBOT,
        "components": [{"key": "nlu", "name": "NLU engine", "raci": {"CIO": "AR", "CMO": "C"}}],
    }
    assert client.put("/initiatives/support-chatbot", json=document).status_code == 201
    assert client.delete("/initiatives/support-chatbot").status_code == 204
    assert_problem(client.get("/initiatives/support-chatbot"), 404)
    assert_problem(client.delete("/initiatives/support-chatbot"), 404)
    for model in (Initiative, InitiativeTag, Component, RaciCell):
        assert _count(database, model) == 0, model


def _kpi_serving(database: Database, kpi_key: str, initiative_key: str) -> None:
    with database.transaction() as session:
        initiative_id = session.scalar(
            select(Initiative.id).where(Initiative.key == initiative_key)
        )
        kpi = Kpi(
            key=kpi_key,
            name=kpi_key,
            baseline=0.0,
            baseline_date=date(2026, 1, 1),
            target=1.0,
            target_date=date(2026, 12, 31),
        )
        session.add(kpi)
        session.flush()
        session.add(KpiInitiative(kpi_id=kpi.id, initiative_id=initiative_id))


def test_delete_while_kpis_serve_it_is_409_naming_them_and_changes_nothing(
    client: TestClient, database: Database
) -> None:
    document = {**CHATBOT, "components": [{"key": "nlu", "name": "NLU", "raci": {"CIO": "A"}}]}
    client.put("/initiatives/support-chatbot", json=document)
    _kpi_serving(database, "self-service-rate", "support-chatbot")
    _kpi_serving(database, "csat", "support-chatbot")
    response = client.delete("/initiatives/support-chatbot")
    body = assert_problem(response, 409, detail_contains="self-service-rate")
    assert body["references"] == {"KPIs": ["csat", "self-service-rate"]}
    expanded = client.get("/initiatives/support-chatbot", params={"expand": "components"})
    assert expanded.status_code == 200
    assert expanded.json()["components"][0]["raci"] == {"CIO": "A"}


def test_delete_of_a_sponsoring_role_is_409(client: TestClient) -> None:
    client.post("/roles", json={"code": "CFO", "name": "Chief Financial Officer"})
    _create(client, sponsor="CFO")
    assert_problem(client.delete("/roles/CFO"), 409, detail_contains="support-chatbot")


# --- list and filters ------------------------------------------------------------------


@pytest.mark.usefixtures("portfolio")
def test_list_without_filters_is_every_initiative_by_key(client: TestClient) -> None:
    assert _keys(client, {}) == sorted(i["key"] for i in PORTFOLIO)
    item = client.get("/initiatives").json()["items"][-1]
    assert item["key"] == "support-chatbot"
    assert item["tags"] == ["customer-experience"]


@pytest.mark.usefixtures("portfolio")
@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"status": "active"}, ["customer-360", "support-chatbot"]),
        (
            [("status", "active"), ("status", "on_hold")],
            ["customer-360", "loyalty-app", "support-chatbot"],
        ),
        ({"kind": "app"}, ["legacy-portal", "loyalty-app"]),
        ([("kind", "iot"), ("kind", "campaign")], ["smart-store-iot", "spring-campaign"]),
        ({"portfolio": "digital"}, ["customer-360", "loyalty-app"]),
        (
            [("portfolio", "it"), ("portfolio", "joint")],
            ["legacy-portal", "smart-store-iot", "support-chatbot"],
        ),
        ({"sponsor": "CMO"}, ["chatbot-pilot-2024", "support-chatbot"]),
        ({"sponsor": "cdo"}, ["customer-360", "loyalty-app"]),
        (
            [("sponsor", "CIO"), ("sponsor", "CDO")],
            ["customer-360", "legacy-portal", "loyalty-app", "smart-store-iot"],
        ),
        ({"sponsor": "CFO"}, []),
        ({"tag": "customer-experience"}, ["customer-360", "support-chatbot"]),
        ([("tag", "stores"), ("tag", "data")], ["customer-360", "smart-store-iot"]),
        ({"tag": "unknown"}, []),
        ({"q": "chatbot"}, ["chatbot-pilot-2024", "support-chatbot"]),
        ({"q": "CUSTOMER"}, ["customer-360", "legacy-portal", "support-chatbot"]),
        ({"q": "360 anal"}, ["customer-360"]),
        ({"q": "%"}, []),
        ({"q": "_"}, []),
        ({"status": "active", "kind": "chatbot"}, ["support-chatbot"]),
        ({"portfolio": "digital", "tag": "data"}, ["customer-360"]),
        (
            [("sponsor", "CMO"), ("sponsor", "CIO"), ("status", "done"), ("status", "cancelled")],
            ["chatbot-pilot-2024", "legacy-portal"],
        ),
        ({"q": "customer", "status": "active", "tag": "data"}, ["customer-360"]),
        ({"status": "done", "kind": "chatbot"}, []),
    ],
)
def test_list_filters(client: TestClient, params: Any, expected: list[str]) -> None:
    assert _keys(client, params) == expected


@pytest.mark.usefixtures("portfolio")
def test_tag_filter_lists_an_initiative_with_several_matching_tags_once(client: TestClient) -> None:
    keys = _keys(client, [("tag", "customer-experience"), ("tag", "data")])
    assert keys == ["customer-360", "support-chatbot"]


def test_name_search_matches_lower_case_names_whatever_the_case_of_the_query(
    client: TestClient,
) -> None:
    _create(client, key="cafe", name="Café loyalty")
    assert _keys(client, {"q": "CAFÉ"}) == ["cafe"]
    assert _keys(client, {"q": "é l"}) == ["cafe"]


@pytest.mark.usefixtures("portfolio")
@pytest.mark.parametrize(
    ("params", "loc"),
    [
        ({"status": "started"}, ["query", "status", 0]),
        ([("status", "active"), ("status", "bogus")], ["query", "status", 1]),
        ({"kind": "robot"}, ["query", "kind", 0]),
        ({"portfolio": "finance"}, ["query", "portfolio", 0]),
        ({"sponsor": "C-IO"}, ["query", "sponsor", 0]),
        ({"tag": "x" * 65}, ["query", "tag", 0]),
        ({"q": ""}, ["query", "q"]),
        ({"q": "x" * 201}, ["query", "q"]),
        ({"expand": "components"}, ["query", "expand"]),
        ({"stauts": "active"}, ["query", "stauts"]),
    ],
)
def test_bad_filter_values_are_422(client: TestClient, params: Any, loc: list[Any]) -> None:
    response = client.get("/initiatives", params=params)
    assert_problem(response, 422)
    assert error_locs(response) == [loc]


def test_too_many_values_of_one_filter_is_422(client: TestClient) -> None:
    response = client.get("/initiatives", params=[("tag", f"t{i}") for i in range(51)])
    assert_problem(response, 422)


def _walk(client: TestClient, params: list[tuple[str, Any]], limit: int) -> list[list[str]]:
    pages: list[list[str]] = []
    cursor = None
    while True:
        query = [*params, ("limit", limit), *([("cursor", cursor)] if cursor else [])]
        body = client.get("/initiatives", params=query).json()
        pages.append([item["key"] for item in body["items"]])
        cursor = body["next_cursor"]
        if cursor is None:
            return pages


@pytest.mark.usefixtures("portfolio")
def test_paging_walks_every_initiative_once(client: TestClient) -> None:
    pages = _walk(client, [], limit=3)
    assert [len(page) for page in pages] == [3, 3, 1]
    assert [key for page in pages for key in page] == sorted(i["key"] for i in PORTFOLIO)


@pytest.mark.usefixtures("portfolio")
def test_paging_combines_with_repeated_filters(client: TestClient) -> None:
    live = [("status", s) for s in ["proposed", "planned", "active", "on_hold"]]
    pages = _walk(client, live, limit=2)
    assert pages == [
        ["customer-360", "loyalty-app"],
        ["smart-store-iot", "spring-campaign"],
        ["support-chatbot"],
    ]
    by_sponsor = _walk(client, [("sponsor", "CIO"), ("sponsor", "CDO"), ("q", "a")], limit=1)
    assert by_sponsor == [["customer-360"], ["legacy-portal"], ["loyalty-app"], ["smart-store-iot"]]


@pytest.mark.usefixtures("portfolio")
def test_a_cursor_cannot_be_used_with_other_filters(client: TestClient) -> None:
    first = client.get("/initiatives", params={"status": "active", "limit": 1}).json()
    assert first["next_cursor"]
    response = client.get(
        "/initiatives", params={"status": "done", "limit": 1, "cursor": first["next_cursor"]}
    )
    assert_problem(response, 422, detail_contains="cursor")
    assert error_locs(response) == [["query", "cursor"]]


def test_bad_limit_and_forged_cursor_are_422(client: TestClient) -> None:
    for limit in [0, 501, "many"]:
        assert_problem(client.get("/initiatives", params={"limit": limit}), 422)
    assert_problem(client.get("/initiatives", params={"cursor": "forged"}), 422)


def test_filters_are_documented_as_repeatable_in_openapi(client: TestClient) -> None:
    schema = client.get("http://testserver/openapi.json").json()
    parameters = {p["name"]: p for p in schema["paths"]["/api/v1/initiatives"]["get"]["parameters"]}
    for name in ["status", "kind", "portfolio", "sponsor", "tag"]:
        assert parameters[name]["schema"]["type"] == "array", name
    assert "q" in parameters
