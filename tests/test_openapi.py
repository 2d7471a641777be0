"""The OpenAPI document: committed (so drift shows in review) and complete enough to use."""

import json
import re
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from jsonschema import Draft202012Validator

from app.core.config import Settings
from app.db.engine import Database
from app.main import create_app
from app.openapi import REGENERATE_COMMAND, document, render
from tests.portfolio_loader import demo_portfolio, load_portfolio

COMMITTED = Path(__file__).resolve().parent.parent / "openapi" / "openapi.json"
HTTP_METHODS = {"get", "put", "post", "delete", "patch", "head", "options", "trace"}
PUBLIC_PATHS = {"/healthz", "/readyz"}


@pytest.fixture(scope="module")
def schema() -> dict[str, Any]:
    # The document does not depend on the database; an in-memory URL keeps this test offline.
    app = create_app(Settings(database_url="sqlite://", bootstrap_admin_key=None))
    # Through render() and back, so that both sides are plain JSON (lists, not tuples).
    loaded: dict[str, Any] = json.loads(render(document(app)))
    return loaded


def _operations(schema: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method.upper(), path, operation)
        for path, item in schema["paths"].items()
        for method, operation in item.items()
        if method in HTTP_METHODS
    ]


def _drift(committed: dict[str, Any], current: dict[str, Any]) -> str:
    old, new = set(committed.get("paths", {})), set(current.get("paths", {}))
    lines = [f"+ {path}" for path in sorted(new - old)] + [
        f"- {path}" for path in sorted(old - new)
    ]
    lines += [
        f"~ {path}"
        for path in sorted(old & new)
        if committed["paths"][path] != current["paths"][path]
    ]
    if committed.get("components") != current.get("components"):
        lines.append("~ components (schemas or security schemes)")
    return "\n".join(lines) or "~ top-level fields (info, tags, ...)"


def test_the_committed_openapi_document_is_current(schema: dict[str, Any]) -> None:
    assert COMMITTED.is_file(), f"openapi/openapi.json is missing; run: {REGENERATE_COMMAND}"
    committed = json.loads(COMMITTED.read_text(encoding="utf-8"))
    if committed != schema:
        # pytest.fail rather than assert: pytest's diff of two whole documents runs to
        # thousands of lines and buries the one that says what to do.
        pytest.fail(
            f"openapi/openapi.json is out of date; run: {REGENERATE_COMMAND}\n"
            + _drift(committed, schema),
            pytrace=False,
        )


def test_the_committed_document_is_in_its_canonical_form() -> None:
    text = COMMITTED.read_text(encoding="utf-8")
    assert text == render(json.loads(text)), (
        f"openapi/openapi.json was edited by hand; run: {REGENERATE_COMMAND}"
    )


def test_every_operation_has_a_summary_and_a_description(schema: dict[str, Any]) -> None:
    missing = [
        f"{method} {path}"
        for method, path, operation in _operations(schema)
        if not operation.get("summary") or not operation.get("description")
    ]
    assert missing == [], f"give these a summary= and a docstring: {missing}"


def test_every_api_operation_documents_its_problem_answers(schema: dict[str, Any]) -> None:
    problem_ref = "#/components/schemas/Problem"
    undocumented = []
    for method, path, operation in _operations(schema):
        if path in PUBLIC_PATHS:
            continue
        responses = operation.get("responses", {})
        client_errors = {code for code in responses if code.startswith("4")}
        if not {"401", "403"} <= client_errors:
            undocumented.append(f"{method} {path}: no 401/403")
        for code in sorted(client_errors):
            content = responses[code].get("content", {})
            ref = content.get("application/problem+json", {}).get("schema", {}).get("$ref")
            if ref != problem_ref:
                undocumented.append(f"{method} {path}: {code} is not a problem+json")
    assert undocumented == [], "use app.core.http.problems(...) in responses=: " + "; ".join(
        undocumented
    )
    assert "Problem" in schema["components"]["schemas"]


def test_the_bearer_scheme_gives_swagger_its_authorize_button(schema: dict[str, Any]) -> None:
    schemes = schema["components"]["securitySchemes"]
    bearer = [
        name
        for name, scheme in schemes.items()
        if scheme.get("type") == "http" and scheme.get("scheme") == "bearer"
    ]
    assert bearer, schemes
    unsecured = [
        f"{method} {path}"
        for method, path, operation in _operations(schema)
        if path not in PUBLIC_PATHS
        and {bearer[0]} not in [set(requirement) for requirement in operation.get("security", [])]
    ]
    assert unsecured == [], f"these do not declare the bearer key: {unsecured}"


def test_the_probes_are_documented_as_public(schema: dict[str, Any]) -> None:
    for path in PUBLIC_PATHS:
        assert schema["paths"][path]["get"]["security"] == []
    assert "503" in schema["paths"]["/readyz"]["get"]["responses"]


def test_operation_ids_are_short_unique_snake_case_names(schema: dict[str, Any]) -> None:
    # Generated clients name their functions after these: the route function's name, never
    # the path, so a client's code survives a path parameter being renamed.
    ids = [operation.get("operationId", "") for _, _, operation in _operations(schema)]
    assert len(ids) == len(set(ids)), sorted(i for i in ids if ids.count(i) > 1)
    for method, path, operation in _operations(schema):
        operation_id = operation.get("operationId", "")
        assert re.fullmatch(r"[a-z][a-z0-9]*(_[a-z0-9]+)*", operation_id), (method, path)
        assert "api_v1" not in operation_id and not operation_id.endswith(
            ("_get", "_put", "_post", "_patch", "_delete")
        ), (method, path, operation_id)
    assert "put_cell" in ids and "list_initiatives" in ids


def test_every_success_but_a_204_documents_its_body(schema: dict[str, Any]) -> None:
    # A PUT answers 201 with the resource it created; documented without a body, a generated
    # client would hand None to a PMO's first sync.
    bodiless = [
        f"{method} {path} {code}"
        for method, path, operation in _operations(schema)
        for code, answer in operation["responses"].items()
        if code.startswith("2") and code != "204" and not answer.get("content")
    ]
    assert bodiless == []
    put_cell = schema["paths"][
        "/api/v1/initiatives/{key}/components/{component_key}/raci/{role_code}"
    ]["put"]["responses"]
    assert put_cell["201"]["content"] == put_cell["200"]["content"]


def _headers(answer: dict[str, Any]) -> set[str]:
    return set(answer.get("headers", {}))


def test_response_headers_are_documented_from_shared_components(
    schema: dict[str, Any],
) -> None:
    shared = schema["components"]["headers"]
    assert {"ETag", "Location", "Retry-After", "X-Request-ID"} <= set(shared)
    for method, path, operation in _operations(schema):
        for code, answer in operation["responses"].items():
            if "$ref" in answer:
                answer = schema["components"]["responses"][answer["$ref"].split("/")[-1]]
            where = f"{method} {path} {code}"
            assert "X-Request-ID" in _headers(answer), where
            for header in answer["headers"].values():
                assert header["$ref"].startswith("#/components/headers/"), where
            if code == "201":
                assert "Location" in _headers(answer), where
            if code == "429" or (code in ("503", "507") and path.startswith("/api/")):
                assert "Retry-After" in _headers(answer), where
    cell = "/api/v1/initiatives/{key}/components/{component_key}/raci/{role_code}"
    for method, code in (("get", "200"), ("put", "200"), ("put", "201")):
        assert "ETag" in _headers(schema["paths"][cell][method]["responses"][code])
    assert "ETag" in _headers(
        schema["paths"]["/api/v1/initiatives/{key}"]["get"]["responses"]["200"]
    )
    assert "ETag" not in _headers(schema["paths"]["/api/v1/roles"]["get"]["responses"]["200"])


def _reachable(schema: dict[str, Any], node: Any, seen: set[str]) -> set[str]:
    """The names of the component schemas `node` refers to, directly or through others."""
    if isinstance(node, dict):
        reference = node.get("$ref", "")
        if reference.startswith("#/components/schemas/"):
            name = reference.split("/")[-1]
            if name not in seen:
                seen.add(name)
                _reachable(schema, schema["components"]["schemas"][name], seen)
        for value in node.values():
            _reachable(schema, value, seen)
    elif isinstance(node, list):
        for value in node:
            _reachable(schema, value, seen)
    return seen


def test_every_field_of_an_answer_is_required_as_it_is_always_sent(
    schema: dict[str, Any],
) -> None:
    # The server sends every field of an answer, null when it has no value: generated clients
    # must not have to tell "absent" from "null" (app.core.schemas.ReadModel says so).
    answers: set[str] = set()
    for _, path, operation in _operations(schema):
        if path == "/api/v1/export":
            continue  # the import document, whose empty optional fields it leaves out
        for code, answer in operation["responses"].items():
            if code.startswith("2"):
                _reachable(schema, answer.get("content", {}), answers)
    optional = {
        name: sorted(set(body.get("properties", {})) - set(body.get("required", [])))
        for name in sorted(answers)
        if (body := schema["components"]["schemas"][name]).get("properties")
        and not name.endswith("-Input")
    }
    assert {name: fields for name, fields in optional.items() if fields} == {}
    assert "next_cursor" in schema["components"]["schemas"]["Page_RoleRead_"]["required"]


def _inline_enums(node: Any, where: str) -> list[str]:
    if isinstance(node, dict):
        found = [where] if "enum" in node else []
        return found + [
            spot for key, value in node.items() for spot in _inline_enums(value, f"{where}/{key}")
        ]
    if isinstance(node, list):
        return [
            spot for i, value in enumerate(node) for spot in _inline_enums(value, f"{where}/{i}")
        ]
    return []


def test_enums_are_named_schemas_referenced_everywhere(schema: dict[str, Any]) -> None:
    # A value read from a GET has the same type as a PUT's field or a filter's: name a Literal
    # with TypeAliasType (app.rules.catalog.Severity) and it becomes one `$ref`'d schema.
    inline = _inline_enums(schema["paths"], "paths") + [
        spot
        for name, body in schema["components"]["schemas"].items()
        for spot in _inline_enums({k: v for k, v in body.items() if k != "enum"}, name)
    ]
    assert inline == [], "name these enums with TypeAliasType: " + ", ".join(inline)
    named = schema["components"]["schemas"]
    assert named["Portfolio"]["enum"] == ["marketing", "it", "digital", "joint"]
    assert named["Severity"]["enum"] == ["high", "medium", "low"]


def test_raci_maps_are_typed_by_additional_properties(schema: dict[str, Any]) -> None:
    # Generators ignore patternProperties: the map would be an untyped dict.
    assert "patternProperties" not in json.dumps(schema)
    raci = schema["components"]["schemas"]["ComponentDocument"]["properties"]["raci"]
    assert raci["additionalProperties"] == {"$ref": "#/components/schemas/RaciLetters-Input"}
    assert raci["propertyNames"]["pattern"]
    cells = schema["components"]["schemas"]["MatrixRowRead"]["properties"]["cells"]
    assert cells["additionalProperties"] == {"$ref": "#/components/schemas/RaciLetters-Output"}


def test_each_report_format_is_an_operation_of_its_own(schema: dict[str, Any]) -> None:
    # A generated client reads one media type per operation: JSON when JSON is offered.
    twin = schema["paths"]["/api/v1/reports/findings.csv"]["get"]
    assert twin["operationId"] == "get_findings_csv"
    assert list(twin["responses"]["200"]["content"]) == ["text/csv"]
    assert "format" not in [parameter["name"] for parameter in twin.get("parameters", [])]
    workbook = schema["paths"]["/api/v1/initiatives/{key}/raci.xlsx"]["get"]["responses"]["200"]
    assert list(workbook["content"]) == [
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    ]


def test_the_export_is_documented_as_the_import_document_it_is(
    schema: dict[str, Any], database: Database, reader: TestClient
) -> None:
    load_portfolio(database, demo_portfolio())
    exported = reader.get("/export")
    assert exported.status_code == 200
    answer = schema["paths"]["/api/v1/export"]["get"]["responses"]["200"]
    body = answer["content"]["application/json"]["schema"]
    assert body == {"$ref": "#/components/schemas/ImportDocument"}
    validator = Draft202012Validator({**body, "components": schema["components"]})
    assert [error.message for error in validator.iter_errors(exported.json())] == []


def test_the_document_is_a_valid_openapi_document(schema: dict[str, Any]) -> None:
    validator = pytest.importorskip("openapi_spec_validator", reason="not installed")
    validator.validate(schema)
