"""The OpenAPI document as committed in openapi/openapi.json: stable bytes, so drift shows."""

import copy
import json
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute

from app.core.http import API_PREFIX
from app.idempotency.middleware import document as document_idempotency_key

REGENERATE_COMMAND = "raci openapi --output openapi/openapi.json"

PROBLEM_SCHEMA = {
    "title": "Problem",
    "type": "object",
    "description": "An error, as RFC 9457 problem details.",
    "required": ["type", "title", "status", "detail"],
    "properties": {
        "type": {"type": "string", "examples": ["urn:raci:problem:not-found"]},
        "title": {"type": "string", "examples": ["Not found"]},
        "status": {"type": "integer", "examples": [404]},
        "detail": {"type": "string", "examples": ["No initiative with key 'support-chatbot'"]},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["loc", "msg"],
                "properties": {
                    "loc": {
                        "type": "array",
                        "items": {"anyOf": [{"type": "string"}, {"type": "integer"}]},
                    },
                    "msg": {"type": "string"},
                },
            },
        },
    },
    "additionalProperties": True,
}


def operation_id(route: APIRoute) -> str:
    """A route's operation id: its function's name (`put_cell`, `list_initiatives`), so that
    generated clients get short method names that stay put when a path changes. Route
    functions are named uniquely across the API (tests/test_openapi.py checks it)."""
    return route.name


def build(app: FastAPI) -> dict[str, Any]:
    """The document FastAPI derives from the routes, with the Problem schema and the
    Idempotency-Key header added; built once per application."""
    if app.openapi_schema is None:
        schema = get_openapi(
            title=app.title,
            version=app.version,
            summary=app.summary,
            description=app.description,
            routes=app.routes,
            tags=app.openapi_tags,
        )
        schema.setdefault("components", {}).setdefault("schemas", {})["Problem"] = PROBLEM_SCHEMA
        document_idempotency_key(schema, API_PREFIX + "/")
        for operation in _operations(schema):
            _complete_success_bodies(operation)
        app.openapi_schema = schema
    return app.openapi_schema


_METHODS = ("get", "put", "post", "patch", "delete", "head", "options", "trace")


def _operations(schema: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        item[method]
        for item in schema.get("paths", {}).values()
        for method in _METHODS
        if method in item
    ]


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


def document(application: FastAPI) -> dict[str, Any]:
    """The application's OpenAPI document."""
    return application.openapi()


def render(schema: dict[str, Any]) -> str:
    """Sorted keys and a trailing newline, so regenerating an unchanged API changes no byte."""
    return json.dumps(schema, sort_keys=True, indent=2, ensure_ascii=False) + "\n"
