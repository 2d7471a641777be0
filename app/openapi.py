"""The OpenAPI document as committed in openapi/openapi.json: stable bytes, so drift shows."""

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
        app.openapi_schema = schema
    return app.openapi_schema


def document(application: FastAPI) -> dict[str, Any]:
    """The application's OpenAPI document."""
    return application.openapi()


def render(schema: dict[str, Any]) -> str:
    """Sorted keys and a trailing newline, so regenerating an unchanged API changes no byte."""
    return json.dumps(schema, sort_keys=True, indent=2, ensure_ascii=False) + "\n"
