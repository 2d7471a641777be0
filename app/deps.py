"""Request dependencies: the database session, the caller's key, paging and If-Match."""

from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Header, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from app.db import Database, utcnow
from app.errors import Forbidden, Unauthorized
from app.keys import service as keys
from app.keys.cache import (
    CheckedRead,
    KnownKey,
    confirmed,
    known_key,
    pending_verification,
    verify_in_transaction,
)
from app.keys.scopes import Scope, grants
from app.keys.secrets import hash_secret
from app.pagination import DEFAULT_LIMIT, MAX_LIMIT, PageParams, decode_cursor, fingerprint
from app.preconditions import IfMatch
from app.query_guard import reject_unknown_query_params

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


async def _caller_key(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> KnownKey:
    """The key the request was made with, from the cache or looked up; still to be checked
    against the database by the first statement of the request's reads."""
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise Unauthorized("Send an API key as 'Authorization: Bearer <secret>'")
    limiter = getattr(request.app.state, "auth_failures", None)
    if limiter is not None:
        # Also checked by its middleware; here it catches failures made meanwhile by the
        # same client's concurrent requests, still before the key is looked up.
        limiter.check(request)
    database = get_database(request)
    secret_hash = hash_secret(credentials.credentials)
    key = database.key_cache.get(secret_hash)
    if key is None or keys.needs_last_used_update(key.last_used_at, utcnow()):
        key = await run_in_threadpool(find_key, database, secret_hash)
        if key is None:
            if limiter is not None:
                limiter.record_failure(request)
            raise Unauthorized("The API key is unknown or has been revoked")
    request.state.principal = Principal(name=key.name, scope=key.scope)  # type: ignore[arg-type]
    return key


CallerKey = Annotated[KnownKey, Depends(_caller_key)]


async def _authenticate(request: Request, session: SessionDep, key: CallerKey) -> Principal:
    # Trusted only with this check, the first statement of the request's transaction.
    verify_in_transaction(session, key, get_database(request).key_cache)
    principal: Principal = request.state.principal
    session.info["actor"] = principal.name
    return principal


def find_key(database: Database, secret_hash: str, *, cached: bool = True) -> KnownKey | None:
    """The key with this secret's hash, from the cache or its own short transaction, its
    last_used_at brought up to the minute in another.

    Both before the request's own transaction begins, never inside it: a request that held
    one connection while waiting for a second would, in a burst larger than the pool,
    wait on requests waiting on it.
    """
    cache = database.key_cache
    key = cache.get(secret_hash) if cached else None
    if key is None:
        with database.transaction(write=False) as session:
            found = keys.find_by_hash(session, secret_hash)
        if found is None:
            cache.forget(secret_hash)
            return None
        key = known_key(found)
        cache.put(key)
    now = utcnow()
    if keys.needs_last_used_update(key.last_used_at, now):
        try:
            with database.transaction(write=True) as writer:
                keys.mark_used(writer, secret_hash, now)
            cache.used(key, now)
        except SQLAlchemyError:
            pass  # last_used_at is informational; never fail a request over it
    return key


def _refuse_unless_granted(request: Request, principal: Principal, scope: Scope) -> None:
    reject_unknown_query_params(request)
    if not grants(principal.scope, scope):
        raise Forbidden(
            f"This needs a key with the '{scope}' scope; '{principal.name}' has '{principal.scope}'"
        )


def require(scope: Scope) -> object:
    async def _check(
        request: Request, principal: Annotated[Principal, Depends(_authenticate)]
    ) -> Principal:
        _refuse_unless_granted(request, principal, scope)
        return principal

    return Depends(_check)


@dataclass(frozen=True)
class Reader:
    """A read-only caller for routes whose read is one Core statement, run without a session
    (the hot GETs): the key's check goes into that statement (app.keys.cache.checked)."""

    key: KnownKey
    database: Database

    async def rows(self, read: CheckedRead, **values: Any) -> list[Mapping[Any, Any]]:
        """The rows `read` finds with these bound values, in no particular order, without
        leaving the event loop (app.loop_reads); 401 if the key is gone."""
        rows = await self.database.loop_reads.all(read.statement, read.parameters(self.key, values))
        return confirmed(rows, self.key, self.database.key_cache)

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A read session for what one statement cannot do, its key checked first."""
        with self.database.transaction(write=False) as session:
            verify_in_transaction(session, self.key, self.database.key_cache)
            yield session


async def _reader(request: Request, key: CallerKey) -> Reader:
    _refuse_unless_granted(request, request.state.principal, "read")
    return Reader(key, get_database(request))


ReaderDep = Annotated[Reader, Depends(_reader)]
ReadKey = Annotated[Principal, require("read")]
WriteKey = Annotated[Principal, require("write")]
AdminKey = Annotated[Principal, require("admin")]


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
        Header(description='Only change the resource if it is still at this ETag, e.g. `"3"`.'),
    ] = None,
) -> IfMatch:
    return IfMatch(if_match)


IfMatchDep = Annotated[IfMatch, Depends(_if_match)]
