"""Request dependencies: the database session, the caller's key, paging and If-Match."""

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Header, Query, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from app.db import Database, utcnow
from app.errors import Forbidden, Unauthorized
from app.keys import service as keys
from app.keys.scopes import Scope, grants
from app.pagination import DEFAULT_LIMIT, MAX_LIMIT, PageParams, decode_cursor, fingerprint
from app.preconditions import IfMatch

_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def get_database(request: Request) -> Database:
    database: Database = request.app.state.database
    return database


DatabaseDep = Annotated[Database, Depends(get_database)]


def get_session(request: Request, database: DatabaseDep) -> Iterator[Session]:
    """One transaction per request: committed when the route returns, rolled back on error.

    Services only flush; this is the one place that commits. Writes take SQLite's write
    lock up front (see app.db) so that concurrent writers queue instead of failing.
    """
    with database.transaction(write=request.method not in _SAFE_METHODS) as session:
        yield session


# scope="function": commit before the response is sent, so a client that reads right after
# a write sees it, and a failed commit is answered as an error rather than lost.
SessionDep = Annotated[Session, Depends(get_session, scope="function")]

bearer = HTTPBearer(
    auto_error=False,
    description="An API key: `Authorization: Bearer <secret>`. "
    "Create one with `raci keys create NAME --scope read|write|admin`.",
)


@dataclass(frozen=True)
class Principal:
    """The API key a request was made with."""

    name: str
    scope: Scope


def _authenticate(
    request: Request,
    session: SessionDep,
    database: DatabaseDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Principal:
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise Unauthorized("Send an API key as 'Authorization: Bearer <secret>'")
    limiter = getattr(request.app.state, "auth_failures", None)
    if limiter is not None:
        # Also checked by its middleware; here it catches failures made meanwhile by the
        # same client's concurrent requests, still before the key is looked up.
        limiter.check(request)
    key = keys.authenticate(session, credentials.credentials)
    if key is None:
        if limiter is not None:
            limiter.record_failure(request)
        raise Unauthorized("The API key is unknown or has been revoked")
    now = utcnow()
    if keys.needs_last_used_update(key, now):
        if request.method in _SAFE_METHODS:
            # In its own short transaction, so that a read request stays a reader.
            try:
                with database.transaction(write=True) as writer:
                    keys.mark_used(writer, key.id, now)
            except SQLAlchemyError:
                pass  # last_used_at is informational; never fail a read over it
        else:
            # A write request already holds the write lock: a second writer would wait on it.
            keys.mark_used(session, key.id, now)
    principal = Principal(name=key.name, scope=key.scope)  # type: ignore[arg-type]
    session.info["actor"] = principal.name
    request.state.principal = principal
    return principal


def require(scope: Scope) -> object:
    def _check(principal: Annotated[Principal, Depends(_authenticate)]) -> Principal:
        if not grants(principal.scope, scope):
            raise Forbidden(
                f"This needs a key with the '{scope}' scope; '{principal.name}' has '{principal.scope}'"
            )
        return principal

    return Depends(_check)


ReadKey = Annotated[Principal, require("read")]
WriteKey = Annotated[Principal, require("write")]
AdminKey = Annotated[Principal, require("admin")]


def _page_params(
    request: Request,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Items per page.")] = DEFAULT_LIMIT,
    cursor: Annotated[
        str | None, Query(max_length=512, description="`next_cursor` of the previous page.")
    ] = None,
) -> PageParams:
    filters: dict[str, list[str]] = {}
    for name, value in request.query_params.multi_items():
        if name not in {"limit", "cursor"}:
            filters.setdefault(name, []).append(value)
    made_for = fingerprint(filters)
    after = decode_cursor(cursor, made_for) if cursor is not None else None
    return PageParams(limit=limit, after=after, filters_fingerprint=made_for)


PageDep = Annotated[PageParams, Depends(_page_params)]


def _if_match(
    if_match: Annotated[
        str | None,
        Header(description='Only change the resource if it is still at this ETag, e.g. `"3"`.'),
    ] = None,
) -> IfMatch:
    return IfMatch(if_match)


IfMatchDep = Annotated[IfMatch, Depends(_if_match)]
