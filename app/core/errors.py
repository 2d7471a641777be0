"""Domain errors, each carrying its HTTP status, and their problem+json rendering (RFC 9457)."""

from collections.abc import Sequence
from typing import Any

PROBLEM_JSON = "application/problem+json"


class DomainError(Exception):
    """An error a client caused. Raised below the routers; rendered as problem+json."""

    status: int = 400
    title: str = "Bad request"
    slug: str = "bad-request"

    def __init__(self, detail: str, **extensions: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.extensions = extensions
        self.headers: dict[str, str] = {}

    @property
    def type(self) -> str:
        return f"urn:raci:problem:{self.slug}"

    def body(self) -> dict[str, Any]:
        return problem_body(self.status, self.title, self.detail, self.type, **self.extensions)


class BadRequest(DomainError):
    status, title, slug = 400, "Bad request", "bad-request"


class Unauthorized(DomainError):
    status, title, slug = 401, "Unauthorized", "unauthorized"

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.headers = {"WWW-Authenticate": 'Bearer realm="raci"'}


class Forbidden(DomainError):
    status, title, slug = 403, "Forbidden", "forbidden"


class NotFound(DomainError):
    status, title, slug = 404, "Not found", "not-found"


class Conflict(DomainError):
    status, title, slug = 409, "Conflict", "conflict"


class PreconditionFailed(DomainError):
    status, title, slug = 412, "Precondition failed", "precondition-failed"


class PayloadTooLarge(DomainError):
    status, title, slug = 413, "Payload too large", "payload-too-large"


class UnsupportedMediaType(DomainError):
    status, title, slug = 415, "Unsupported media type", "unsupported-media-type"


class Unprocessable(DomainError):
    """422 with an `errors` list of `{"loc": [...], "msg": "..."}`."""

    status, title, slug = 422, "Validation failed", "validation-failed"

    def __init__(self, detail: str, errors: Sequence[dict[str, Any]] = ()) -> None:
        super().__init__(
            detail, errors=[{**e, "path": e.get("path") or loc_path(e["loc"])} for e in errors]
        )

    @classmethod
    def at(cls, loc: Sequence[str | int], msg: str) -> "Unprocessable":
        return cls(msg, [{"loc": list(loc), "msg": msg}])


class TooManyRequests(DomainError):
    status, title, slug = 429, "Too many requests", "too-many-requests"

    def __init__(self, detail: str, retry_after: int) -> None:
        super().__init__(detail)
        self.headers = {"Retry-After": str(retry_after)}


class ServiceUnavailable(DomainError):
    """503 with Retry-After: the database is busy or unreachable; the client may retry."""

    status, title, slug = 503, "Service unavailable", "unavailable"

    def __init__(self, detail: str, retry_after: int = 1) -> None:
        super().__init__(detail)
        self.headers = {"Retry-After": str(retry_after)}


class InsufficientStorage(DomainError):
    """507 (RFC 4918): the disk holding the data is full; nothing was written. Retry-After
    tells a client when asking again is worth it, an operator has to make room first."""

    status, title, slug = 507, "Insufficient storage", "insufficient-storage"

    def __init__(self, detail: str, retry_after: int = 60) -> None:
        super().__init__(detail)
        self.headers = {"Retry-After": str(retry_after)}


def loc_path(loc: Sequence[Any]) -> str:
    """A location as a readable path: `["body", "initiatives", 3, "raci", "CIO"]` becomes
    `initiatives[3].raci.CIO`."""
    parts = list(loc[1:] if loc and loc[0] == "body" else loc)
    path = ""
    for part in parts:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path


def problem_body(
    status: int, title: str, detail: str, type_: str = "about:blank", **extensions: Any
) -> dict[str, Any]:
    return {"type": type_, "title": title, "status": status, "detail": detail, **extensions}
