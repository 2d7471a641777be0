"""The OpenAPI document as committed in openapi/openapi.json: stable bytes, so drift shows."""

import json
from typing import Any

from fastapi import FastAPI

REGENERATE_COMMAND = "raci openapi --output openapi/openapi.json"


def document(application: FastAPI | None = None) -> dict[str, Any]:
    """The application's OpenAPI document (`app.main.app` unless another is given)."""
    if application is None:
        from app.main import app as default_app

        return default_app.openapi()
    return application.openapi()


def render(schema: dict[str, Any]) -> str:
    """Sorted keys and a trailing newline, so regenerating an unchanged API changes no byte."""
    return json.dumps(schema, sort_keys=True, indent=2, ensure_ascii=False) + "\n"
