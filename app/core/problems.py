"""Every error a client can cause answered as problem+json; nothing else escapes as a 500 page."""

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import ValidationError
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match
from starlette.types import Message, Send

from app.core.errors import (
    PROBLEM_JSON,
    DomainError,
    Unprocessable,
    problem_body,
)
from app.core.resources import summarise, unprocessable_from

log = logging.getLogger("raci.errors")


def problem_response(
    status: int,
    title: str,
    detail: str,
    type_: str = "about:blank",
    headers: dict[str, str] | None = None,
    **extensions: Any,
) -> JSONResponse:
    return JSONResponse(
        problem_body(status, title, detail, type_, **extensions),
        status_code=status,
        media_type=PROBLEM_JSON,
        headers=headers,
    )


def error_response(error: DomainError) -> JSONResponse:
    """`error` as a problem+json response, with its headers (Retry-After, WWW-Authenticate)."""
    return JSONResponse(
        error.body(), status_code=error.status, media_type=PROBLEM_JSON, headers=error.headers
    )


async def send_problem(send: Send, error: DomainError) -> None:
    """`error` sent as problem+json by an ASGI middleware that answers before any route:
    the same body and headers as `error_response`, written in this one place."""
    await error_response(error)({"type": "http"}, _no_receive, send)


async def _no_receive() -> Message:
    return {"type": "http.disconnect"}


def _domain_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, DomainError)
    return error_response(exc)


def _request_validation(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    raw = exc.errors()
    if any(error.get("type") == "json_invalid" for error in raw):
        ctx = next(e.get("ctx", {}) for e in raw if e.get("type") == "json_invalid")
        reason = ctx.get("error", "it could not be parsed")
        return problem_response(
            400,
            "Malformed JSON",
            f"The request body is not valid JSON: {reason}",
            "urn:raci:problem:malformed-json",
        )
    errors = [{"loc": list(error["loc"]), "msg": error["msg"]} for error in raw]
    return _domain_error(_, Unprocessable(summarise(errors), errors))


def _pydantic_validation(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ValidationError)
    error = unprocessable_from(exc, ("body",))
    return _domain_error(_, error)


# Starlette's own errors get the same kind of `type` as ours, so clients can switch on it.
_HTTP_SLUGS = {
    400: ("Bad request", "bad-request"),
    404: ("Not found", "not-found"),
    405: ("Method not allowed", "method-not-allowed"),
    406: ("Not acceptable", "not-acceptable"),
    413: ("Payload too large", "payload-too-large"),
}
_STARLETTE_PARSE_ERROR = "There was an error parsing the body"


_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")


def _allowed_methods(request: Request) -> list[str]:
    """Every method some route serves at this path (Starlette's Allow names only the first
    matching route's). Probed through the public matching API, as routers may be nested."""
    allowed = []
    for method in _METHODS:
        scope = {**request.scope, "method": method}
        if any(route.matches(scope)[0] is Match.FULL for route in request.app.router.routes):
            allowed.append(method)
    if "GET" in allowed and "HEAD" not in allowed:
        allowed.insert(allowed.index("GET") + 1, "HEAD")  # app.core.head serves it
    return allowed


def _http_exception(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    status = exc.status_code
    title, slug = _HTTP_SLUGS.get(status, ("Error", ""))
    type_ = f"urn:raci:problem:{slug}" if slug else "about:blank"
    detail = exc.detail if isinstance(exc.detail, str) else str(exc.detail)
    headers = dict(exc.headers or {})
    cause = exc.__cause__
    if status == 400 and isinstance(cause, UnicodeDecodeError):
        return problem_response(
            400,
            "Malformed JSON",
            f"The request body is not valid UTF-8 (byte 0x{cause.object[cause.start]:02x} at "
            f"offset {cause.start}); send JSON encoded as UTF-8",
            "urn:raci:problem:malformed-json",
        )
    if status == 400 and isinstance(cause, RecursionError):
        return problem_response(
            400,
            "Malformed JSON",
            "The request body nests arrays or objects too deeply to be read; "
            "no document of this API needs more than a few levels",
            "urn:raci:problem:malformed-json",
        )
    if status == 400 and detail == _STARLETTE_PARSE_ERROR:
        detail = "The request body could not be read as JSON"
    elif status == 404 and detail == "Not Found":
        detail = "No such path; the API lives under /api/v1 (see /docs)"
    elif status == 405:
        allowed = _allowed_methods(request) or headers.get("Allow", "").split(", ")
        headers["Allow"] = ", ".join(allowed)
        detail = (
            f"{request.method} is not allowed on {request.url.path}; use {' or '.join(allowed)}"
        )
    return problem_response(status, title, detail, type_, headers=headers)


def _stale(request: Request, _exc: Exception) -> JSONResponse:
    # Someone else changed the row between our read and our write (optimistic lock).
    if request.headers.get("if-match"):
        return problem_response(
            412,
            "Precondition failed",
            "The resource was changed by another request meanwhile; nothing was changed",
            "urn:raci:problem:precondition-failed",
        )
    return problem_response(
        409,
        "Conflict",
        "The resource was changed by another request meanwhile; GET it again and retry",
        "urn:raci:problem:concurrent-change",
    )


def _integrity(_: Request, exc: Exception) -> JSONResponse:
    log.warning("integrity error reached the handler: %s", exc)
    return problem_response(
        409,
        "Conflict",
        "The change conflicts with data written by another request; GET the resource again and retry",
        "urn:raci:problem:conflict",
    )


def internal_error_response() -> JSONResponse:
    return problem_response(
        500, "Internal server error", "An unexpected error occurred; it has been logged"
    )


def _unexpected(_: Request, exc: Exception) -> JSONResponse:
    log.exception("unhandled error", exc_info=exc)
    return internal_error_response()


def install(app: FastAPI) -> None:
    app.add_exception_handler(DomainError, _domain_error)
    app.add_exception_handler(RequestValidationError, _request_validation)
    app.add_exception_handler(ValidationError, _pydantic_validation)
    app.add_exception_handler(StarletteHTTPException, _http_exception)
    app.add_exception_handler(StaleDataError, _stale)
    app.add_exception_handler(IntegrityError, _integrity)
    app.add_exception_handler(Exception, _unexpected)
