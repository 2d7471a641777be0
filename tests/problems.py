"""Assertions on problem+json answers."""

from typing import Any

import httpx


def assert_problem(
    response: httpx.Response, status: int, *, detail_contains: str = ""
) -> dict[str, Any]:
    """The response is a problem+json of `status` whose detail contains the given text."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json"), response.headers
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    assert body["title"] and body["type"] and body["detail"]
    assert detail_contains.lower() in body["detail"].lower(), body["detail"]
    return body


def error_locs(response: httpx.Response) -> list[list[Any]]:
    """The `loc` of each entry of a 422's `errors`."""
    return [error["loc"] for error in response.json()["errors"]]
