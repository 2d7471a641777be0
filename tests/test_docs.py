"""Swagger UI and ReDoc from this server: no CDN, a Content-Security-Policy, no key kept in the
browser, problem examples per status, request examples that succeed on a new database, and a
pasted `Bearer ` prefix forgiven."""

import re
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from app.core.http import API_PREFIX
from app.main import TAGS
from tests.conftest import ADMIN_SECRET


@pytest.fixture
def site(app: FastAPI) -> TestClient:
    return TestClient(app, base_url="http://testserver")


def referenced_assets(html: str) -> list[str]:
    return re.findall(r'(?:src|href)="([^"]+)"', html)


@pytest.mark.parametrize("path", ["/docs", "/redoc"])
def test_the_docs_pages_load_every_script_and_style_from_this_server(
    site: TestClient, path: str
) -> None:
    response = site.get(path)
    assert response.status_code == 200
    assets = referenced_assets(response.text)
    assert assets, "the page loads its viewer"
    for asset in assets:
        assert asset.startswith("/"), f"{asset} is not on this server"
        loaded = site.get(asset)
        assert loaded.status_code == 200, asset
    assert "<script>" not in response.text  # nothing inline: the CSP allows none
    assert "cdn" not in response.text.lower()


@pytest.mark.parametrize("path", ["/docs", "/redoc"])
def test_the_docs_pages_carry_a_strict_content_security_policy(site: TestClient, path: str) -> None:
    policy = site.get(path).headers["content-security-policy"]
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";"))
    assert directives["default-src"] == "'none'"
    assert directives["script-src"] == "'self'"
    assert directives["connect-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'"


def test_swagger_ui_keeps_the_key_in_memory_only(site: TestClient) -> None:
    html = site.get("/docs").text
    init = next(a for a in referenced_assets(html) if a.endswith("swagger-init.js"))
    script = site.get(init).text
    assert "persistAuthorization: false" in script
    assert "localStorage" not in script.replace("never written to localStorage", "")


def test_the_swagger_ui_assets_are_real_bundles(site: TestClient) -> None:
    bundle = site.get("/docs/assets/swagger-ui-bundle.js")
    assert bundle.headers["content-type"].startswith(("application/javascript", "text/javascript"))
    assert "SwaggerUIBundle" in bundle.text
    assert "Redoc" in site.get("/docs/assets/redoc.standalone.js").text


def test_every_problem_status_has_an_example_of_its_own(site: TestClient) -> None:
    schema = site.get("/openapi.json").json()
    seen: set[int] = set()
    for item in schema["paths"].values():
        for operation in item.values():
            for code, answer in operation.get("responses", {}).items():
                content = answer.get("content", {}).get("application/problem+json")
                if content is None:
                    continue
                assert content["example"]["status"] == int(code), (code, content["example"])
                seen.add(int(code))
    assert {401, 403, 404, 409, 412, 422} <= seen


# --- the examples, tried out on a new database ------------------------------------------------


def _resolve(schema: dict[str, Any], spec: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        schema = spec["components"]["schemas"][name]
    return schema


def sample(schema: dict[str, Any], spec: dict[str, Any]) -> Any:
    """What Swagger UI puts in a request body for `schema`: a field's example, else its
    default, else a placeholder of its type."""
    schema = _resolve(schema, spec)
    if "example" in schema:
        return schema["example"]
    if schema.get("examples"):
        return schema["examples"][0]
    if "default" in schema:
        return schema["default"]
    for combined in ("anyOf", "oneOf"):
        if combined in schema:
            options = [s for s in schema[combined] if s.get("type") != "null"]
            return sample(options[0], spec) if options else None
    if schema.get("enum"):
        return schema["enum"][0]
    kind = schema.get("type")
    if kind == "object" or "properties" in schema:
        return {
            name: sample(prop, spec)
            for name, prop in schema.get("properties", {}).items()
            if not _resolve(prop, spec).get("readOnly")
        }
    if kind == "array":
        return [sample(schema.get("items", {}), spec)]
    return {"string": "string", "integer": 0, "number": 0, "boolean": True}.get(kind or "")


def _operations(spec: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    """Every POST, PUT and PATCH in the order Swagger UI lists them: by tag, then by path."""
    order = {tag["name"]: index for index, tag in enumerate(TAGS)}
    found = [
        (order.get((operation.get("tags") or [""])[0], len(order)), index, method, path, operation)
        for index, (path, item) in enumerate(spec["paths"].items())
        for method, operation in item.items()
        if method in {"post", "put", "patch"}
    ]
    return [
        (method, path, operation)
        for *_, method, path, operation in sorted(found, key=lambda f: f[:2])
    ]


# Take something away rather than enter it: tried in their own tests.
_TAKES_AWAY = ("/rename", "/merge")
# Name what the service itself gives an id to (an example cannot know it): tried in
# tests/test_webhooks.py.
_NAMES_A_GENERATED_ID = ("{webhook_id}",)


def test_the_request_examples_succeed_on_a_new_database_in_the_order_shown(
    admin: TestClient, site: TestClient
) -> None:
    spec = site.get("/openapi.json").json()
    failures = []
    tried = 0
    for method, path, operation in _operations(spec):
        if path.endswith(_TAKES_AWAY) or not path.startswith(API_PREFIX):
            continue
        if any(part in path for part in _NAMES_A_GENERATED_ID):
            continue
        url = path.removeprefix(API_PREFIX)
        for parameter in operation.get("parameters", []):
            if parameter.get("in") == "path":  # headers (Idempotency-Key) are $refs
                value = sample(parameter["schema"], spec)
                url = url.replace("{" + parameter["name"] + "}", str(value))
        body = None
        media_type = "application/json"
        content = operation.get("requestBody", {}).get("content", {})
        if content:
            media_type, media = next(iter(content.items()))
            named = media.get("examples")
            body = (
                next(iter(named.values()))["value"]
                if named
                else media.get("example", sample(media["schema"], spec))
            )
        if media_type.endswith("json"):
            response = admin.request(method.upper(), url, json=body)
        else:  # a sheet, sent as Swagger UI sends it: the text with its media type
            response = admin.request(
                method.upper(), url, content=str(body), headers={"Content-Type": media_type}
            )
        tried += 1
        if response.status_code >= 400:
            failures.append(
                f"{method.upper()} {url} {body}: {response.status_code} {response.text}"
            )
    assert tried >= 15
    assert failures == [], "\n".join(failures)


# --- a pasted "Bearer " -----------------------------------------------------------------------


def test_a_doubled_bearer_prefix_pasted_into_authorize_is_accepted(anon: TestClient) -> None:
    response = anon.get("/roles", headers={"Authorization": f"Bearer Bearer {ADMIN_SECRET}"})
    assert response.status_code == 200
    assert (
        anon.get("/roles", headers={"Authorization": f"bearer  BEARER {ADMIN_SECRET}"}).status_code
        == 200
    )


def test_a_doubled_bearer_prefix_with_a_wrong_key_is_still_401(anon: TestClient) -> None:
    response = anon.get("/roles", headers={"Authorization": "Bearer Bearer raci_not-a-key"})
    assert response.status_code == 401
