"""HTTP details shared by the routers: path parameters, headers, documented error answers."""

from typing import Annotated, Any

from fastapi import Path, Response
from pydantic import BeforeValidator, StringConstraints

from app.core.errors import PROBLEM_JSON
from app.core.identifiers import (
    KEY_PATTERN,
    ROLE_CODE_INPUT_PATTERN,
    ROLE_CODE_PATTERN,
    upper_if_str,
)
from app.core.preconditions import etag
from app.core.schemas import VersionedRead

API_PREFIX = "/api/v1"

KeyPath = Annotated[
    str,
    StringConstraints(pattern=KEY_PATTERN, max_length=64),
    Path(description="The resource's key.", examples=["support-chatbot"]),
]
ComponentKeyPath = Annotated[
    str,
    StringConstraints(pattern=KEY_PATTERN, max_length=64),
    Path(description="The component's key, unique within its initiative.", examples=["nlu"]),
]
RoleCodePath = Annotated[
    str,
    BeforeValidator(upper_if_str),
    StringConstraints(pattern=ROLE_CODE_PATTERN, max_length=16),
    Path(
        description="A role code; lower case is accepted.",
        examples=["CIO"],
        json_schema_extra={"pattern": ROLE_CODE_INPUT_PATTERN},
    ),
]

_DESCRIPTIONS = {
    400: "Malformed request (e.g. a body that is not JSON).",
    401: "No API key, or an unknown or revoked one.",
    403: "The API key lacks the scope this needs.",
    404: "No such resource.",
    409: "Conflicts with the current state (a taken key, a reference that still exists).",
    412: "If-Match names a version that is no longer current (or a weak ETag), or "
    "If-None-Match: * and the resource exists; nothing was changed.",
    413: "The body is larger than the configured limit.",
    415: "The body is not JSON.",
    422: "The body or a parameter is invalid; `errors` names each problem by its location.",
    429: "Too many failed authentications or requests without a key from this address; "
    "retry after `Retry-After` seconds.",
    503: "The database is busy (a lock held too long by another write) or unreachable; "
    "nothing was changed: retry after `Retry-After` seconds.",
    507: "The database's disk is full; nothing was written.",
}
# The same code, said of an expensive report.
_REPORT_429 = (
    "This API key already runs as many expensive reports (findings, export, dashboard) as "
    "it may at once, or too many failed authentications; retry after `Retry-After` seconds."
)

_PROBLEM_SCHEMA = {"$ref": "#/components/schemas/Problem"}

# One example per status, as the service words it, so that Swagger UI and ReDoc do not show
# a 404 under every code.
_EXAMPLES: dict[int, tuple[str, str, str]] = {
    400: ("bad-request", "Bad request", "The body is not valid JSON: Expecting value (line 1)"),
    401: ("unauthorized", "Unauthorized", "The API key is unknown or has been revoked"),
    403: (
        "forbidden",
        "Forbidden",
        "This needs a key with the 'write' scope; 'dashboard' has 'read'",
    ),
    404: ("not-found", "Not found", "No initiative with key 'support-chatbot'"),
    409: ("conflict", "Conflict", "An initiative with key 'support-chatbot' already exists"),
    412: (
        "precondition-failed",
        "Precondition failed",
        'The resource is at version 4, not "3"; GET it again and retry with the new ETag',
    ),
    413: ("payload-too-large", "Payload too large", "The body is larger than 10485760 bytes"),
    415: ("unsupported-media-type", "Unsupported media type", "Send the body as application/json"),
    422: ("validation-failed", "Validation failed", "sponsor: unknown role 'CXO'"),
    429: (
        "too-many-requests",
        "Too many requests",
        "Too many failed authentications from this client; retry in 42 seconds",
    ),
}


def _example(code: int) -> dict[str, Any]:
    slug, title, detail = _EXAMPLES[code]
    example: dict[str, Any] = {
        "type": f"urn:raci:problem:{slug}",
        "title": title,
        "status": code,
        "detail": detail,
    }
    if code == 422:
        example["errors"] = [
            {"loc": ["body", "sponsor"], "msg": "unknown role 'CXO'", "path": "sponsor"}
        ]
    return example


def problems(*codes: int, report: bool = False) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses` for the problem+json answers a route can give, each with an
    example of its own status."""
    return {
        code: {
            "description": _REPORT_429 if report and code == 429 else _DESCRIPTIONS[code],
            "content": {PROBLEM_JSON: {"schema": _PROBLEM_SCHEMA, "example": _example(code)}},
        }
        for code in codes
    }


READ_PROBLEMS = (401, 403, 422, 429)
ONE_PROBLEMS = (*READ_PROBLEMS, 404)
WRITE_PROBLEMS = (400, 401, 403, 409, 413, 415, 422, 429)
CHANGE_PROBLEMS = (*WRITE_PROBLEMS, 404, 412)


def set_etag(response: Response, version: int) -> None:
    response.headers["ETag"] = etag(version)


def json_answer(resource: VersionedRead) -> Response:
    """`resource` as JSON with its version as the ETag, for a route that answers with a
    Response of its own (FastAPI then skips validating the model a second time)."""
    return Response(
        resource.model_dump_json(),
        media_type="application/json",
        headers={"ETag": etag(resource.version)},
    )


def created_at_location(response: Response, location: str, version: int | None = None) -> None:
    response.status_code = 201
    response.headers["Location"] = API_PREFIX + location
    if version is not None:
        set_etag(response, version)


def put_status(response: Response, *, created: bool, location: str, version: int) -> None:
    """PUT answers 201 with Location when it created the resource, 200 when it replaced it."""
    if created:
        created_at_location(response, location, version)
    else:
        response.status_code = 200
        set_etag(response, version)


PUT_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"description": "Replaced."},
    201: {"description": "Created."},
}
