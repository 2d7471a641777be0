"""Request dependencies: the database session, the caller's key, paging and If-Match."""

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Header, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session

from app.auth.cache import KnownKey, pending_verification, verify_in_transaction
from app.auth.middleware import NO_KEY, UNKNOWN_KEY, key_of
from app.auth.resolver import KeyResolver, secret_from_authorization
from app.auth.scopes import Scope, grants
from app.core.errors import Forbidden, Unauthorized
from app.core.pagination import DEFAULT_LIMIT, MAX_LIMIT, PageParams, decode_cursor, fingerprint
from app.core.preconditions import IfMatch
from app.core.query_guard import reject_unknown_query_params
from app.core.report_limits import ReportLimiter
from app.db.engine import Database
from app.db.locks import lock_on_begin

_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def get_database(request: Request) -> Database:
    database: Database = request.app.state.database
    return database


async def _database(request: Request) -> Database:
    return get_database(request)


DatabaseDep = Annotated[Database, Depends(_database)]


async def get_session(request: Request) -> AsyncIterator[Session]:
    """One transaction per request: committed when the route returns, rolled back on error.

    Services only flush; this is the one place that commits. Writes take SQLite's write
    lock up front (see app.db) so that concurrent writers queue instead of failing.

    Async on purpose: a Session connects lazily, so making one needs no thread; only the
    commit or rollback at the end does I/O. A sync generator would cost two hops to the
    thread pool per request, a measurable share of a simple GET (see docs/performance.md).
    """
    # The database from the app rather than from DatabaseDep: FastAPI walks a route's whole
    # dependency tree on every request, and this one sits under every route several times.
    database = get_database(request)
    session = database.session(write=request.method not in _SAFE_METHODS)
    if request.method == "PUT":
        # Create-or-replace: concurrent PUTs of one resource take turns (app.db.locks), so
        # that exactly one creates it (201) and the others replace it (200) on PostgreSQL too.
        lock_on_begin(session, "put:" + request.url.path.lower())
    try:
        yield session
    except BaseException:
        await _end(session, _rollback_and_close)
        raise
    await _end(session, _commit_and_close)


async def _end(session: Session, end: Callable[[Session], None]) -> None:
    if session.in_transaction() or pending_verification(session):
        await run_in_threadpool(end, session)
    else:
        # Never began (a request refused before any query): nothing to send, no hop.
        session.close()


def _commit_and_close(session: Session) -> None:
    try:
        if pending_verification(session):
            # The route ran no query, so its key was not checked yet: check it now, before
            # the answer leaves (a revoked key gets its 401 even here).
            session.connection()
        session.commit()
    except BaseException:
        _rollback_and_close(session)
        raise
    session.close()


def _rollback_and_close(session: Session) -> None:
    try:
        session.rollback()
    finally:
        session.close()


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


def get_key_resolver(request: Request) -> KeyResolver:
    resolver: KeyResolver = request.app.state.keys
    return resolver


async def _caller_key(
    request: Request,
    _credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> KnownKey:
    """The key the request was made with: resolved by the authentication middleware
    (app.auth.middleware) before the body was read; still to be checked by the first
    statement of the request's transaction. `_credentials` documents the scheme."""
    key = key_of(request.scope)
    if key is None:
        # Not behind the middleware (a path it does not protect): resolved here, the same way.
        secret = secret_from_authorization(request.headers.get("authorization"))
        if secret is None:
            raise Unauthorized(NO_KEY)
        resolver = get_key_resolver(request)
        key = resolver.cached(secret) or await run_in_threadpool(resolver.resolve, secret)
        if key is None:
            raise Unauthorized(UNKNOWN_KEY)
    request.state.principal = Principal(name=key.name, scope=key.scope)  # type: ignore[arg-type]
    return key


CallerKey = Annotated[KnownKey, Depends(_caller_key)]


async def _authenticate(request: Request, session: SessionDep, key: CallerKey) -> Principal:
    # Trusted only with this check, the first statement of the request's transaction.
    verify_in_transaction(session, key, get_key_resolver(request).cache)
    principal: Principal = request.state.principal
    session.info["actor"] = principal.name
    return principal


def _refuse_unless_granted(request: Request, principal: Principal, scope: Scope) -> None:
    reject_unknown_query_params(request)
    if not grants(principal.scope, scope):
        raise Forbidden(
            f"This needs a key with the '{scope}' scope; '{principal.name}' has '{principal.scope}'"
        )


def require(scope: Scope) -> Any:
    async def _check(
        request: Request, principal: Annotated[Principal, Depends(_authenticate)]
    ) -> Principal:
        _refuse_unless_granted(request, principal, scope)
        return principal

    return Depends(_check)


ReadKey = Annotated[Principal, require("read")]
WriteKey = Annotated[Principal, require("write")]
AdminKey = Annotated[Principal, require("admin")]


def get_report_limiter(request: Request) -> ReportLimiter:
    limiter: ReportLimiter = request.app.state.reports
    return limiter


async def _expensive_report(
    request: Request, principal: Annotated[Principal, Depends(_authenticate)]
) -> AsyncIterator[None]:
    """Held while an expensive report runs; 429 when the key already runs its limit."""
    limiter = get_report_limiter(request)
    limiter.acquire(principal.name)
    try:
        yield
    finally:
        limiter.release(principal.name)


# For routes that read the whole portfolio: at most `reports_per_key` at once per API key.
ExpensiveReport = Annotated[None, Depends(_expensive_report, scope="function")]


async def _page_params(
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


async def _if_match(
    if_match: Annotated[
        str | None,
        Header(
            description='Only change the resource if it is still at this ETag, e.g. `"3"` '
            "(strong comparison: a weak `W/` tag never matches), or `*`: only if it exists."
        ),
    ] = None,
    if_none_match: Annotated[
        str | None,
        Header(
            description="`*`: only if the resource does not exist yet (a PUT that creates "
            "only; 412 when it exists). An ETag: only if the resource is not at it."
        ),
    ] = None,
) -> IfMatch:
    return IfMatch(if_match, if_none_match)


IfMatchDep = Annotated[IfMatch, Depends(_if_match)]
