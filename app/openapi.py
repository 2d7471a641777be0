"""The OpenAPI document as committed in openapi/openapi.json: stable bytes, so drift shows."""

import copy
import json
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute

from app.core.errors import PROBLEM_JSON
from app.core.format_paths import suffixes
from app.core.http import API_PREFIX
from app.idempotency.middleware import document as document_idempotency_key

REGENERATE_COMMAND = "raci openapi --output openapi/openapi.json"

# The project publishes no licence: its API is proprietary until one is chosen (an SPDX
# reference of its own, as SPDX has no identifier for "all rights reserved").
LICENSE = {"name": "Proprietary", "identifier": "LicenseRef-Proprietary"}
CONTACT = {"name": "The raci-tracker maintainers (issues in the project's tracker)"}
# Relative: the server that serves this document (at /openapi.json) serves the API.
SERVERS = [{"url": "/", "description": "The server this document was read from"}]

_KEY_LISTS = {
    "type": "object",
    "additionalProperties": {"type": "array", "items": {"type": "string"}},
}

# Every member app.core.errors and app.core.problems put in a problem: the RFC 9457 four,
# and the extensions some answers add.
PROBLEM_SCHEMA = {
    "title": "Problem",
    "type": "object",
    "description": "An error, as RFC 9457 problem details.",
    "required": ["type", "title", "status", "detail"],
    "properties": {
        "type": {
            "type": "string",
            "description": "What kind of problem: `urn:raci:problem:<slug>` (or `about:blank`); "
            "switch on this, not on `title` or `detail`.",
            "examples": ["urn:raci:problem:not-found"],
        },
        "title": {"type": "string", "examples": ["Not found"]},
        "status": {"type": "integer", "examples": [404]},
        "detail": {"type": "string", "examples": ["No initiative with key 'support-chatbot'"]},
        "errors": {
            "type": "array",
            "description": "422 only: every problem found, each at its location.",
            "items": {"$ref": "#/components/schemas/ProblemItem"},
        },
        "references": {
            **_KEY_LISTS,
            "description": "409 for a delete: what still refers to the resource, by kind "
            "(at most a few keys of each).",
        },
        "unknown": {
            **_KEY_LISTS,
            "description": "404 for a report's filter: the keys it names that do not exist, "
            "by kind.",
        },
        "existing": {
            "type": "object",
            "description": "409 for a measurement: the reading already recorded at that moment.",
            "required": ["value", "measured_at"],
            "properties": {
                "value": {"type": "number"},
                "measured_at": {"type": "string", "format": "date-time"},
            },
        },
    },
    "additionalProperties": True,
}

PROBLEM_ITEM_SCHEMA = {
    "title": "ProblemItem",
    "type": "object",
    "description": "One problem of a 422: where (`loc`, and `path` for people) and what (`msg`); "
    "a sheet's also says its `line`, `column` and the `value` found there.",
    "required": ["loc", "msg", "path"],
    "properties": {
        "loc": {
            "type": "array",
            "description": "The location, as pydantic gives it: `body`, `query` or `path` first.",
            "items": {"anyOf": [{"type": "string"}, {"type": "integer"}]},
            "examples": [["body", "components", 0, "raci", "CIO"]],
        },
        "msg": {"type": "string", "examples": ["unknown role 'CXO'"]},
        "path": {
            "type": "string",
            "description": "`loc` as a readable path (without `body`).",
            "examples": ["components[0].raci.CIO"],
        },
        "line": {"type": ["integer", "null"], "description": "A sheet's 1-based line."},
        "column": {"type": ["integer", "null"], "description": "A sheet's 1-based column."},
        "value": {"type": ["string", "null"], "description": "A sheet's field as written."},
    },
    "additionalProperties": True,
}


def operation_id(route: APIRoute) -> str:
    """A route's operation id: its function's name (`put_cell`, `list_initiatives`), so that
    generated clients get short method names that stay put when a path changes. Route
    functions are named uniquely across the API (tests/test_openapi.py checks it)."""
    return route.name


def build(app: FastAPI) -> dict[str, Any]:
    """The document FastAPI derives from the routes, completed for client generators: the
    Problem schemas, the Idempotency-Key header, shared response headers and 503/507
    answers, a body on every 2xx but a 204, maps typed by `additionalProperties`, and a
    path of its own per report format. Every step applies to every route (new ones too);
    built once per application."""
    if app.openapi_schema is None:
        schema = get_openapi(
            title=app.title,
            version=app.version,
            summary=app.summary,
            description=app.description,
            routes=app.routes,
            tags=app.openapi_tags,
        )
        schemas = schema.setdefault("components", {}).setdefault("schemas", {})
        schemas["Problem"] = PROBLEM_SCHEMA
        schemas["ProblemItem"] = PROBLEM_ITEM_SCHEMA
        document_idempotency_key(schema, API_PREFIX + "/")
        _add_shared_answers(schema)
        _maps_by_additional_properties(schema)
        for path, method, operation in _operations(schema):
            _parameters_without_null(operation)
            _complete_success_bodies(operation)
            if path.startswith(API_PREFIX + "/"):
                _add_unavailable_answers(method, operation)
            _document_headers(schema, operation)
        _add_format_paths(schema)
        for _, _, operation in _operations(schema):
            # Said explicitly, so that tools do not read "no requirement" as "unknown".
            operation.setdefault("security", [])
        schema["info"]["license"] = LICENSE
        schema["info"]["contact"] = CONTACT
        schema["servers"] = SERVERS
        app.openapi_schema = schema
    return app.openapi_schema


_METHODS = ("get", "put", "post", "patch", "delete", "head", "options", "trace")


def _operations(schema: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    """(path, method, operation) of every operation of the document."""
    return [
        (path, method, item[method])
        for path, item in schema.get("paths", {}).items()
        for method in _METHODS
        if method in item
    ]


def _parameters_without_null(operation: dict[str, Any]) -> None:
    """A parameter's schema without the `null` FastAPI adds for an optional one: a query
    parameter or header is absent or a string, never JSON null (`required: false` says it
    may be left out), and generators would otherwise type it as three states."""
    for parameter in operation.get("parameters", []):
        schema = parameter.get("schema", {})
        alternatives = schema.get("anyOf")
        if not isinstance(alternatives, list) or {"type": "null"} not in alternatives:
            continue
        rest = [alternative for alternative in alternatives if alternative != {"type": "null"}]
        del schema["anyOf"]
        if len(rest) == 1:
            schema.update({**rest[0], **schema})
        else:
            schema["anyOf"] = rest


def _complete_success_bodies(operation: dict[str, Any]) -> None:
    """Every 2xx answer but a 204 carries the route's body: FastAPI documents it under the
    route's own status only, so a PUT's 201 (created) or a repeated measurement's 200 would
    otherwise read as bodiless to a generated client, which then returns None."""
    responses = operation.get("responses", {})
    bodies = [
        answer["content"]
        for code, answer in sorted(responses.items())
        if code.startswith("2") and answer.get("content")
    ]
    if not bodies:
        return
    for code, answer in responses.items():
        if code.startswith("2") and code != "204" and not answer.get("content"):
            answer["content"] = copy.deepcopy(bodies[0])


# The response headers the server sends, described once and referenced by every answer that
# carries them, so a generated client (or a reader) knows where to find the version to send
# back, the created resource and how long to wait.
HEADERS: dict[str, dict[str, Any]] = {
    "ETag": {
        "description": 'The resource\'s version as a strong entity tag (`"3"`): send it '
        "back in `If-Match` to make a write conditional (412 if it is no longer current).",
        "required": True,
        "schema": {"type": "string", "pattern": '^"[0-9]+"$'},
        "example": '"3"',
    },
    "Location": {
        "description": "The path of the resource created (under /api/v1).",
        "required": True,
        "schema": {"type": "string"},
        "example": API_PREFIX + "/initiatives/support-chatbot",
    },
    "Retry-After": {
        "description": "Seconds to wait before sending the request again.",
        "required": True,
        "schema": {"type": "integer", "minimum": 0},
        "example": 42,
    },
    "X-Request-ID": {
        "description": "The request's id, as sent by the client when it is sane (at most 128 "
        "letters, digits and `._:@/+=-`), else a new one; every log line of the request "
        "carries it: quote it when reporting a problem.",
        "required": True,
        "schema": {"type": "string", "maxLength": 128},
        "example": "4bf92f3577b34da6a3ce929d0e0e4736",
    },
}
_RETRY_LATER = ("429", "503", "507")

# Answers every API operation can give, whatever the route: the database is busy or gone
# (503), or its disk is full (507, writes only). Shared, so the document says it once.
SHARED_RESPONSES: dict[str, dict[str, Any]] = {
    "ServiceUnavailable": {
        "description": "The database is busy (a lock held too long by another write) or "
        "unreachable; nothing was changed: retry after `Retry-After` seconds.",
        "content": {
            PROBLEM_JSON: {
                "schema": {"$ref": "#/components/schemas/Problem"},
                "example": {
                    "type": "urn:raci:problem:unavailable",
                    "title": "Service unavailable",
                    "status": 503,
                    "detail": "The database is busy; retry in a moment",
                },
            }
        },
    },
    "InsufficientStorage": {
        "description": "The database's disk is full; nothing was written. Retry after "
        "`Retry-After` seconds, once an operator has made room.",
        "content": {
            PROBLEM_JSON: {
                "schema": {"$ref": "#/components/schemas/Problem"},
                "example": {
                    "type": "urn:raci:problem:insufficient-storage",
                    "title": "Insufficient storage",
                    "status": 507,
                    "detail": "The database's disk is full; nothing was written",
                },
            }
        },
    },
}


def _header(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/headers/{name}"}


def _add_shared_answers(schema: dict[str, Any]) -> None:
    components = schema.setdefault("components", {})
    components["headers"] = copy.deepcopy(HEADERS)
    responses = copy.deepcopy(SHARED_RESPONSES)
    for answer in responses.values():
        answer["headers"] = {"Retry-After": _header("Retry-After"), **_request_id()}
    components["responses"] = responses


def _request_id() -> dict[str, Any]:
    return {"X-Request-ID": _header("X-Request-ID")}


def _add_unavailable_answers(method: str, operation: dict[str, Any]) -> None:
    responses = operation.setdefault("responses", {})
    responses.setdefault("503", {"$ref": "#/components/responses/ServiceUnavailable"})
    if method != "get":
        responses.setdefault("507", {"$ref": "#/components/responses/InsufficientStorage"})


def _resolve(schema: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    """`node` with a local `$ref` followed (once is enough for a response's body)."""
    reference = node.get("$ref")
    if isinstance(reference, str) and reference.startswith("#/components/schemas/"):
        resolved: dict[str, Any] = schema["components"]["schemas"][reference.split("/")[-1]]
        return resolved
    return node


def _has_version(schema: dict[str, Any], body: dict[str, Any]) -> bool:
    """Whether every body `body` allows has a top-level `version` (the ETag's source)."""
    body = _resolve(schema, body)
    alternatives = body.get("anyOf") or body.get("oneOf")
    if alternatives:
        return all(_has_version(schema, alternative) for alternative in alternatives)
    return "version" in body.get("properties", {})


def _carries_a_version(schema: dict[str, Any], answer: dict[str, Any]) -> bool:
    body = answer.get("content", {}).get("application/json", {}).get("schema")
    return body is not None and _has_version(schema, body)


def _document_headers(schema: dict[str, Any], operation: dict[str, Any]) -> None:
    """The headers of each answer: `X-Request-ID` on all, `ETag` on a success whose body
    has a `version`, `Location` on a 201, `Retry-After` on a 429, 503 or 507."""
    for code, answer in operation.get("responses", {}).items():
        if "$ref" in answer:
            continue  # a shared answer: its headers are on it
        headers = answer.setdefault("headers", {})
        headers.update(_request_id())
        if code.startswith("2") and _carries_a_version(schema, answer):
            headers["ETag"] = _header("ETag")
        if code == "201":
            headers["Location"] = _header("Location")
        if code in _RETRY_LATER:
            headers["Retry-After"] = _header("Retry-After")


def _maps_by_additional_properties(node: Any) -> None:
    """A map whose keys follow a pattern (`dict[RoleCode, RaciLetters]`) as
    `additionalProperties` (the values' schema) with the keys' pattern in `propertyNames`:
    the same constraint, but one that client generators read (they ignore
    `patternProperties` and would type the map as an untyped dict)."""
    if isinstance(node, dict):
        patterns = node.get("patternProperties")
        if (
            isinstance(patterns, dict)
            and len(patterns) == 1
            and node.get("additionalProperties") in (None, False)
        ):
            ((pattern, values),) = patterns.items()
            del node["patternProperties"]
            node["additionalProperties"] = values
            node["propertyNames"] = {**node.get("propertyNames", {}), "pattern": pattern}
        for value in node.values():
            _maps_by_additional_properties(value)
    elif isinstance(node, list):
        for value in node:
            _maps_by_additional_properties(value)


def _add_format_paths(schema: dict[str, Any]) -> None:
    """`GET {path}.csv` (and `.xlsx`) beside every GET that answers those formats too: the
    same operation answering only that media type (app.core.format_paths serves them)."""
    paths = schema.get("paths", {})
    for path, item in list(paths.items()):
        get = item.get("get")
        if get is None:
            continue
        for suffix, media in suffixes(get):
            twin = copy.deepcopy(get)
            twin["operationId"] = f"{get['operationId']}_{suffix}"
            twin["summary"] = f"{get['summary']} ({suffix.upper()})"
            twin["description"] = (
                f"`GET {path}` with `format={suffix}`, at a path of its own so that a "
                f"generated client reads the answer as `{media}`.\n\n{get['description']}"
            )
            twin["parameters"] = [
                parameter
                for parameter in get.get("parameters", [])
                if not (parameter.get("in") == "query" and parameter.get("name") == "format")
            ]
            answer = twin["responses"]["200"]
            answer["content"] = {media: answer["content"][media]}
            paths[f"{path}.{suffix}"] = {"get": twin}


def document(application: FastAPI) -> dict[str, Any]:
    """The application's OpenAPI document."""
    return application.openapi()


def render(schema: dict[str, Any]) -> str:
    """Sorted keys and a trailing newline, so regenerating an unchanged API changes no byte."""
    return json.dumps(schema, sort_keys=True, indent=2, ensure_ascii=False) + "\n"
