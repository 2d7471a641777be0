"""What a client gets for malformed requests: always a problem+json, never a bare page."""

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from app.core.config import Settings
from app.db.engine import Database
from app.main import create_app
from tests.conftest import ADMIN_SECRET
from tests.problems import assert_problem

SMALL_LIMIT = 1024
ROLE = {"code": "CFO", "name": "Chief Financial Officer"}


@pytest.fixture
def small_limit(database_url: str, database: Database) -> Iterator[TestClient]:
    """A write-capable client of an app whose body limit is 1 KiB."""
    settings = Settings(
        database_url=database_url,
        bootstrap_admin_key=ADMIN_SECRET,  # type: ignore[arg-type]
        max_body_bytes=SMALL_LIMIT,
    )
    with TestClient(
        create_app(settings, database),
        base_url="http://testserver/api/v1",
        headers={"Authorization": f"Bearer {ADMIN_SECRET}"},
    ) as test_client:
        yield test_client


def _role_of_size(size: int) -> bytes:
    head = b'{"code": "CFO", "name": "Chief", "description": "'
    return head + b"x" * (size - len(head) - 2) + b'"}'


def test_malformed_json_is_400(client: TestClient) -> None:
    response = client.post(
        "/roles", content=b'{"code": "CFO", "name": ', headers={"Content-Type": "application/json"}
    )
    body = assert_problem(response, 400, detail_contains="not valid JSON")
    assert body["type"] == "urn:raci:problem:malformed-json"
    assert_problem(client.get("/roles/CFO"), 404)


def test_invalid_utf8_is_400_naming_the_encoding(client: TestClient) -> None:
    response = client.post(
        "/roles",
        content=b'{"code": "CFO", "name": "Caf\xe9"}',
        headers={"Content-Type": "application/json"},
    )
    body = assert_problem(response, 400, detail_contains="not valid UTF-8")
    assert "0xe9" in body["detail"]
    assert_problem(client.get("/roles/CFO"), 404)


def test_valid_utf8_is_accepted(client: TestClient) -> None:
    response = client.post(
        "/roles",
        content='{"code": "CFO", "name": "Directeur financier \u00e9\u2013\u65e5"}'.encode(),
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 201
    assert response.json()["name"] == "Directeur financier \u00e9\u2013\u65e5"


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded"])
def test_a_body_that_is_not_json_is_415(client: TestClient, content_type: str) -> None:
    response = client.post(
        "/roles", content=b"code=CFO&name=x", headers={"Content-Type": content_type}
    )
    assert_problem(response, 415, detail_contains="application/json")


def test_a_body_without_a_content_type_is_415(client: TestClient) -> None:
    response = client.post("/roles", content=b'{"code": "CFO", "name": "x"}')
    assert_problem(response, 415, detail_contains="no content type")


def test_a_json_body_with_a_charset_parameter_is_accepted(client: TestClient) -> None:
    response = client.post(
        "/roles",
        content=b'{"code": "CFO", "name": "x"}',
        headers={"Content-Type": "application/json; charset=utf-8"},
    )
    assert response.status_code == 201


def test_a_body_over_the_limit_is_413(small_limit: TestClient) -> None:
    response = small_limit.post(
        "/roles",
        content=_role_of_size(SMALL_LIMIT + 1),
        headers={"Content-Type": "application/json"},
    )
    assert response.request.headers["content-length"] == str(SMALL_LIMIT + 1)
    body = assert_problem(response, 413, detail_contains=f"limit of {SMALL_LIMIT} bytes")
    assert body["type"] == "urn:raci:problem:payload-too-large"
    assert_problem(small_limit.get("/roles/CFO"), 404)


def test_a_chunked_body_over_the_limit_is_413(small_limit: TestClient) -> None:
    payload = _role_of_size(3 * SMALL_LIMIT)

    def chunks() -> Iterator[bytes]:
        for start in range(0, len(payload), 256):
            yield payload[start : start + 256]

    response = small_limit.post(
        "/roles", content=chunks(), headers={"Content-Type": "application/json"}
    )
    assert "content-length" not in response.request.headers
    assert response.request.headers["transfer-encoding"] == "chunked"
    body = assert_problem(response, 413, detail_contains=f"limit of {SMALL_LIMIT} bytes")
    assert body["type"] == "urn:raci:problem:payload-too-large"
    assert_problem(small_limit.get("/roles/CFO"), 404)


def test_a_body_at_the_limit_is_accepted(small_limit: TestClient) -> None:
    response = small_limit.post(
        "/roles", content=_role_of_size(SMALL_LIMIT), headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 201, response.text


def test_a_chunked_body_under_the_limit_is_accepted(small_limit: TestClient) -> None:
    response = small_limit.post(
        "/roles",
        content=iter([b'{"code": "CFO", ', b'"name": "x"}']),
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 201, response.text


@pytest.mark.parametrize("path", ["/api/v1/nothing-here", "/nothing-here", "/api/v2/roles"])
def test_an_unknown_path_is_a_404_problem(client: TestClient, path: str) -> None:
    response = client.get(f"http://testserver{path}")
    body = assert_problem(response, 404, detail_contains="/api/v1")
    assert body["type"] == "urn:raci:problem:not-found"


def test_a_wrong_method_is_a_405_problem_naming_the_allowed_ones(client: TestClient) -> None:
    response = client.delete("/roles")
    body = assert_problem(response, 405, detail_contains="DELETE")
    assert body["type"] == "urn:raci:problem:method-not-allowed"
    assert response.headers["allow"] == "GET, HEAD, POST"
    assert "GET or HEAD or POST" in body["detail"]


def test_an_unknown_query_parameter_is_422(client: TestClient) -> None:
    response = client.get("/roles", params={"limt": 5})
    body = assert_problem(response, 422, detail_contains="limt")
    assert [(error["loc"], error["msg"]) for error in body["errors"]] == [
        (["query", "limt"], "is not a parameter of this endpoint")
    ]


def test_a_body_that_is_not_an_object_is_422(client: TestClient) -> None:
    assert_problem(client.post("/roles", json=[ROLE]), 422)


def test_an_empty_body_is_422(client: TestClient) -> None:
    response = client.post("/roles", content=b"", headers={"Content-Type": "application/json"})
    assert_problem(response, 422)


@pytest.mark.parametrize("path", ["/healthz", "/readyz", "/docs", "/redoc", "/openapi.json"])
def test_public_paths_need_no_key(anon: TestClient, path: str) -> None:
    assert anon.get(f"http://testserver{path}").status_code == 200
