"""Authentication before anything else: a request to a protected path with no key, or with a
key that does not resolve, is answered 401 (or 429, app.core.auth_limits) before its body
is read, parsed or stored, and before any route, idempotency record or body guard runs.

The key found is left in the request's scope (`state["api_key"]`) for the routes'
dependencies (app.deps), which check it again as the first statement of the request's
transaction. A key trusted from this process's cache whose request is refused for another
reason (a 4xx such as a 422 from validation, which runs before any statement), or answered
from the idempotency records, is looked up afresh first: a revoked key always gets its 401,
never a validation error nor a replayed answer.
"""

import logging
from collections.abc import Callable

from sqlalchemy.exc import SQLAlchemyError
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.auth.cache import KnownKey
from app.auth.resolver import KeyResolver, secret_from_authorization
from app.core.auth_limits import AuthLimiter
from app.core.errors import DomainError, ServiceUnavailable, Unauthorized
from app.core.problems import send_problem
from app.db.errors import problem_for

log = logging.getLogger("raci.auth")

STATE_KEY = "api_key"
NO_KEY = "Send an API key as 'Authorization: Bearer <secret>'"
UNKNOWN_KEY = "The API key is unknown or has been revoked"
# Answers that may come before, or without, the route's check of the key in its
# transaction: client errors (validation runs before any statement) and answers replayed
# from the idempotency records (no route runs at all). Re-checked for a cached key.
_RECHECKED = range(400, 500)
_NOT_RECHECKED = frozenset({401, 429})
_REPLAYED = b"idempotent-replayed"


def _needs_recheck(message: Message) -> bool:
    if message["type"] != "http.response.start":
        return False
    status = message["status"]
    if status in _RECHECKED and status not in _NOT_RECHECKED:
        return True
    return any(name.lower() == _REPLAYED for name, _ in message.get("headers", []))


def key_of(scope: Scope) -> KnownKey | None:
    """The key the authentication middleware resolved for this request, if any."""
    key = scope.get("state", {}).get(STATE_KEY)
    return key if isinstance(key, KnownKey) else None


class AuthenticationMiddleware:
    """401/429 for protected paths unless the request carries a key that resolves."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        resolver: KeyResolver,
        limiter: AuthLimiter,
        protects: Callable[[str], bool],
    ) -> None:
        self.app = app
        self.resolver = resolver
        self.limiter = limiter
        self.protects = protects

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not self.protects(scope["path"]):
            await self.app(scope, receive, send)
            return
        address = self.limiter.address(scope)
        secret = secret_from_authorization(Headers(scope=scope).get("authorization"))
        if secret is None:
            await send_problem(send, self.limiter.anonymous(address) or Unauthorized(NO_KEY))
            return
        key = self.resolver.cached(secret)
        from_cache = key is not None
        if key is None:
            refused = self.limiter.known_wrong(address, secret)
            if refused is not None:
                await send_problem(send, refused)
                return
            try:
                key = await run_in_threadpool(self.resolver.resolve, secret)
            except SQLAlchemyError as error:
                await send_problem(send, _database_problem(error))
                return
            if key is None:
                refused = self.limiter.failed(address, secret)
                await send_problem(send, refused or Unauthorized(UNKNOWN_KEY))
                return
        scope.setdefault("state", {})[STATE_KEY] = key
        if from_cache:
            send = self._rechecking(key, send)
        await self.app(scope, receive, send)

    def _rechecking(self, key: KnownKey, send: Send) -> Send:
        """`send`, except that an error answer goes out only once the key is known to be
        still there (from the cache it was not looked up); else a 401 replaces it."""
        replaced = False

        async def checked_send(message: Message) -> None:
            nonlocal replaced
            if replaced:
                return  # the refused answer's body
            if _needs_recheck(message):
                try:
                    still_there = await run_in_threadpool(self.resolver.still_valid, key)
                except SQLAlchemyError:
                    still_there = True  # the original answer stands; nothing was changed
                if not still_there:
                    replaced = True
                    await send_problem(send, Unauthorized(UNKNOWN_KEY))
                    return
            await send(message)

        return checked_send


def _database_problem(error: SQLAlchemyError) -> DomainError:
    log.error("could not look up an API key: %s", error)
    return problem_for(error) or ServiceUnavailable("The database is unreachable; retry shortly")
