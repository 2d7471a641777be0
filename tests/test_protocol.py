"""HTTP and JSON details a careful client relies on: HEAD wherever GET is served, strong
If-Match, create-only PUT with If-None-Match, strict JSON (no duplicate keys, no true for a
number), names without invisible characters, limits on the stored value, KPI arithmetic at
the edge of the floating-point range."""

import json
import re
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from app.core.config import Settings
from app.db.engine import Database
from app.main import create_app
from tests import builders
from tests.problems import assert_problem, error_locs

PATH_VALUES = {
    "code": "CMO",
    "role_code": "CIO",
    "key": "support-chatbot",
    "component_key": "nlu",
    "name": "pmo-tool",
    "measured_at": "2026-01-15T10:00:00Z",
}
KPI = {
    "key": "csat",
    "name": "Customer satisfaction",
    "baseline": 70,
    "baseline_date": "2026-01-01",
    "target": 85,
    "target_date": "2026-12-31",
    "owners": ["CMO", "CIO"],
}


def _get_paths() -> list[str]:
    app = create_app(Settings(database_url="sqlite://", bootstrap_admin_key=None))
    paths = []
    for path, item in app.openapi()["paths"].items():
        if "get" in item:
            paths.append(re.sub(r"\{(\w+)\}", lambda m: PATH_VALUES.get(m.group(1), "x"), path))
    return paths


@pytest.mark.parametrize("path", _get_paths())
def test_head_answers_like_get_without_a_body(
    path: str, admin: TestClient, database: Database
) -> None:
    builders.support_chatbot(database)
    url = "http://testserver" + path
    got = admin.get(url)
    head = admin.head(url)
    assert head.status_code == got.status_code, (path, head.status_code, got.text)
    assert head.content == b""
    assert head.headers.get("content-type") == got.headers.get("content-type")
    if "etag" in got.headers:
        assert head.headers["etag"] == got.headers["etag"]


def test_head_needs_a_key_like_get(anon: TestClient) -> None:
    assert_problem(anon.get("/roles"), 401)
    response = anon.head("/roles")
    assert response.status_code == 401 and response.content == b""


# -- preconditions -----------------------------------------------------------------------------


def test_a_weak_etag_in_if_match_never_matches(client: TestClient) -> None:
    etag = client.put("/roles/CFO", json={"name": "Finance"}).headers["etag"]
    assert etag == '"1"'
    for sent in ('W/"1"', 'w/"1"', "1", '"1', 'W/"1", "7"'):
        response = client.put("/roles/CFO", json={"name": "Changed"}, headers={"If-Match": sent})
        assert_problem(response, 412)
    assert (
        "weak"
        in client.patch("/roles/CFO", json={"name": "x"}, headers={"If-Match": 'W/"1"'}).json()[
            "detail"
        ]
    )
    assert client.get("/roles/CFO").json()["name"] == "Finance"
    ok = client.put("/roles/CFO", json={"name": "Changed"}, headers={"If-Match": '"7", "1"'})
    assert ok.status_code == 200


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/roles/CFO", {"name": "Finance"}),
        ("/capabilities/crm", {"name": "CRM"}),
        ("/initiatives/chatbot", {"name": "Chatbot"}),
        ("/kpis/csat", KPI),
    ],
)
def test_if_none_match_star_on_put_creates_only(
    client: TestClient, path: str, body: dict[str, Any]
) -> None:
    created = client.put(path, json=body, headers={"If-None-Match": "*"})
    assert created.status_code == 201, created.text
    again = client.put(path, json={**body, "name": "Other"}, headers={"If-None-Match": "*"})
    assert_problem(again, 412, detail_contains="create only")
    assert client.get(path).json()["version"] == 1


def test_if_none_match_star_creates_only_components_and_cells(
    client: TestClient, database: Database
) -> None:
    builders.support_chatbot(database)
    base = "/initiatives/support-chatbot/components"
    assert client.put(f"{base}/voice", json={"name": "Voice"}, headers={"If-None-Match": "*"})
    assert_problem(
        client.put(f"{base}/nlu", json={"name": "x"}, headers={"If-None-Match": "*"}), 412
    )
    cell = f"{base}/nlu/raci/CIO"
    assert_problem(client.put(cell, json={"raci": "R"}, headers={"If-None-Match": "*"}), 412)
    new_cell = f"{base}/nlu/raci/CEO"
    assert (
        client.put(new_cell, json={"raci": "I"}, headers={"If-None-Match": "*"}).status_code == 201
    )


def test_if_none_match_with_the_current_etag_is_412(client: TestClient) -> None:
    client.put("/roles/CFO", json={"name": "Finance"})
    headers = {"If-None-Match": '"1"'}
    assert_problem(client.put("/roles/CFO", json={"name": "x"}, headers=headers), 412)
    assert client.put("/roles/CFO", json={"name": "x"}, headers={"If-None-Match": '"9"'}).is_success


# -- strict JSON -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    [
        b'{"name": "Finance", "name": "Other"}',
        b'{"name": "Finance", "description": {"a": 1, "a": 2}}',
        b'{"name": "F", "description": null, "name": "G"}',
    ],
)
def test_a_json_object_repeating_a_key_is_400_and_changes_nothing(
    client: TestClient, raw: bytes
) -> None:
    response = client.put("/roles/CFO", content=raw, headers={"Content-Type": "application/json"})
    body = assert_problem(response, 400, detail_contains="repeats the key")
    assert body["type"] == "urn:raci:problem:bad-request"
    assert_problem(client.get("/roles/CFO"), 404)


def test_a_nested_repeated_key_in_an_import_is_400(client: TestClient) -> None:
    raw = b'{"initiatives": [{"key": "a", "name": "A", "key": "b"}]}'
    response = client.post("/imports", content=raw, headers={"Content-Type": "application/json"})
    assert_problem(response, 400, detail_contains='"key"')
    assert client.get("/initiatives").json()["items"] == []


def test_the_same_key_in_different_objects_is_fine(client: TestClient) -> None:
    document = {"roles": [{"code": "CFO", "name": "A"}, {"code": "CSO", "name": "B"}]}
    headers = {"Content-Type": "application/json"}
    assert client.post("/imports", content=json.dumps(document), headers=headers).status_code == 200


@pytest.mark.parametrize(
    ("path", "body", "loc"),
    [
        ("/initiatives/chatbot", {"name": "Chatbot", "priority": True}, ["body", "priority"]),
        ("/initiatives/chatbot", {"name": "Chatbot", "priority": False}, ["body", "priority"]),
        ("/kpis/csat", {**KPI, "baseline": True}, ["body", "baseline"]),
        ("/kpis/csat", {**KPI, "target": False}, ["body", "target"]),
    ],
)
def test_true_or_false_for_a_number_is_422(
    client: TestClient, path: str, body: dict[str, Any], loc: list[str]
) -> None:
    response = client.put(path, json=body)
    assert_problem(response, 422, detail_contains="number")
    assert error_locs(response) == [loc]
    assert_problem(client.get(path), 404)


def test_true_for_a_number_is_422_in_patches_measurements_and_imports(
    client: TestClient,
) -> None:
    assert client.put("/initiatives/chatbot", json={"name": "Chatbot"}).status_code == 201
    assert_problem(client.patch("/initiatives/chatbot", json={"priority": True}), 422)
    assert client.put("/kpis/csat", json=KPI).status_code == 201
    measurement = {"value": True, "measured_at": "2026-03-01T00:00:00Z"}
    assert_problem(client.post("/kpis/csat/measurements", json=measurement), 422)
    document = {"initiatives": [{"key": "other", "name": "Other", "priority": True}]}
    response = client.post("/imports", json=document)
    assert_problem(response, 422)
    assert error_locs(response) == [["body", "initiatives", 0, "priority"]]
    assert client.get("/initiatives/chatbot").json()["priority"] == 3


# -- names -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    [
        "Chat\u200bbot",  # zero-width space
        "Chat\u200dbot",  # zero-width joiner
        "\u202eTOBTAHC",  # right-to-left override
        "Chat\u2066bot\u2069",  # isolates
        "\ufeffChatbot",  # byte order mark
        "Chat\u00adbot",  # soft hyphen
        "Chat\u2028bot",  # line separator
        "\u3164",  # Hangul filler: looks blank
        "Chat\U000e0041bot",  # tag character
    ],
)
def test_invisible_or_direction_changing_characters_in_a_name_are_422(
    client: TestClient, name: str
) -> None:
    response = client.put("/roles/CFO", json={"name": name})
    assert_problem(response, 422, detail_contains="invisible")
    assert error_locs(response) == [["body", "name"]]
    response = client.put("/initiatives/chatbot", json={"name": "ok", "tags": [name]})
    assert_problem(response, 422)


def test_names_in_any_script_are_fine(client: TestClient) -> None:
    for name in ("Directeur général", "Директор", "最高技術責任者", "مدير", "Café ☕"):
        assert client.put("/roles/CFO", json={"name": name}).json()["name"] == name


def test_length_limits_count_the_stored_stripped_value(client: TestClient) -> None:
    padded = "  " + "a" * 200 + "  "
    assert client.put("/roles/CFO", json={"name": padded}).json()["name"] == "a" * 200
    assert_problem(client.put("/roles/CFO", json={"name": "a" * 201}), 422)
    unit = "  " + "u" * 64 + "  "
    created = client.put("/kpis/csat", json={**KPI, "unit": unit})
    assert created.status_code == 201, created.text
    assert created.json()["unit"] == "u" * 64
    response = client.put("/kpis/csat", json={**KPI, "unit": "u" * 65})
    assert_problem(response, 422)
    assert error_locs(response) == [["body", "unit"]]


# -- numbers at the edge -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("baseline", "target", "value", "expected"),
    [
        (-1e308, 1e308, 0.0, "on_track"),  # half way at half time
        (-1e308, 1e308, -0.2e308, "at_risk"),
        (-1e308, 1e308, -1e308, "off_track"),
        (1e308, -1e308, 1.7e308, "off_track"),  # a decrease going the wrong way
        (-1.7e308, 1.7e308, 1.7e308, "achieved"),
    ],
)
def test_kpi_status_is_right_near_the_largest_numbers(
    client: TestClient, baseline: float, target: float, value: float, expected: str
) -> None:
    direction = "increase" if target > baseline else "decrease"
    kpi = {**KPI, "baseline": baseline, "target": target, "direction": direction}
    assert client.put("/kpis/csat", json=kpi).status_code == 201
    measurement = {"value": value, "measured_at": "2026-07-02T00:00:00Z"}
    assert client.post("/kpis/csat/measurements", json=measurement).status_code == 201
    assert client.get("/kpis/csat", params={"as_of": "2026-07-02"}).json()["status"] == expected


def test_settings_app(app: FastAPI) -> None:
    """The app under test is the real composition (guards installed in order)."""
    names = [m.cls.__name__ for m in app.user_middleware]
    assert names.index("AuthenticationMiddleware") < names.index("BodyGuard")
    assert names.index("BodyGuard") < names.index("RejectDuplicateKeys")
    assert names.index("RejectDuplicateKeys") < names.index("IdempotencyMiddleware")
