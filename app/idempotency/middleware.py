"""`Idempotency-Key` on POST: the first answer is kept and replayed to retries.

A pure ASGI middleware, so that it sees the exact answer (status, headers, body) and can
replay it without running the route again. The records live in the database
(`app.idempotency.service`), so replays work across processes and workers.
"""

import asyncio
import logging
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any, TypeVar

from sqlalchemy.exc import SQLAlchemyError
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.auth.cache import KnownKey
from app.auth.middleware import key_of
from app.core.body_guard import read_body, replaying
from app.core.errors import (
    Conflict,
    DomainError,
    PayloadTooLarge,
    ServiceUnavailable,
    Unprocessable,
)
from app.core.problems import send_problem
from app.db.base import utcnow
from app.db.engine import Database
from app.db.errors import problem_for
from app.idempotency import service
from app.idempotency.service import (
    Claimed,
    ClaimOutcome,
    InFlight,
    Mismatch,
    Replay,
    StoredResponse,
)

log = logging.getLogger("raci.idempotency")

HEADER = "Idempotency-Key"
# A retry that arrives while the first request with its key is still at work waits this long
# for that answer before it is told to retry (409 with Retry-After).
IN_FLIGHT_WAIT_SECONDS = 10.0
REPLAYED_HEADER = "Idempotent-Replayed"
_LOC = ["header", HEADER]

T = TypeVar("T")


class IdempotencyMiddleware:
    """Replays the first answer to a POST carrying `Idempotency-Key` (per API key)."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        database: Database,
        ttl_hours: int,
        path_prefix: str,
    ) -> None:
        self.app = app
        self.database = database
        self.ttl = timedelta(hours=ttl_hours)
        self.path_prefix = path_prefix

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or scope["method"] != "POST"
            or not scope["path"].startswith(self.path_prefix)
        ):
            await self.app(scope, receive, send)
            return
        idempotency_key = Headers(scope=scope).get(HEADER)
        key = key_of(scope)
        if idempotency_key is None or key is None:
            # No key resolved (app.auth.middleware answers that before this runs): no body
            # is read for it, no record kept.
            await self.app(scope, receive, send)
            return
        try:
            body = await read_body(receive)
        except HTTPException as exc:  # the body guard's 413 for a streamed body
            await send_problem(send, PayloadTooLarge(str(exc.detail)))
            return
        except ClientDisconnect:
            return
        receive = replaying(body, receive)
        try:
            outcome = await self._claim_once_free(scope, key, idempotency_key, body)
        except DomainError as error:
            await send_problem(send, error)
            return
        except SQLAlchemyError as error:
            log.exception("idempotency record unavailable")
            await send_problem(
                send,
                problem_for(error) or ServiceUnavailable("The database is busy; retry shortly"),
            )
            return
        if isinstance(outcome, Replay):
            await _send_stored(send, outcome.response)
        elif isinstance(outcome, Mismatch):
            await send_problem(
                send,
                Unprocessable(
                    f"This {HEADER} was already used for another request (another body, path "
                    "or query); use a new key for a new request",
                    [{"loc": _LOC, "msg": "was used for another request"}],
                ),
            )
        elif isinstance(outcome, InFlight):
            busy = Conflict(f"A request with this {HEADER} is still being processed; retry shortly")
            busy.headers = {"Retry-After": "1"}
            await send_problem(send, busy)
        else:
            await self._run_first(scope, receive, send, outcome)

    async def _claim_once_free(
        self, scope: Scope, key: KnownKey, idempotency_key: str, body: bytes
    ) -> ClaimOutcome:
        """The claim; while the first request with this key is still at work, wait for it
        (up to IN_FLIGHT_WAIT_SECONDS) so that a concurrent retry is answered like a later
        one: with the first request's answer, replayed."""
        deadline = time.monotonic() + IN_FLIGHT_WAIT_SECONDS
        delay = 0.02
        while True:
            outcome = await self._claim(scope, key, idempotency_key, body)
            if not isinstance(outcome, InFlight):
                return outcome
            while time.monotonic() < deadline:
                await asyncio.sleep(delay)
                delay = min(delay * 2, 0.5)
                if not await self._in_flight(key, idempotency_key):
                    break
            else:
                return outcome

    async def _in_flight(self, key: KnownKey, idempotency_key: str) -> bool:
        def peek() -> bool:
            with self.database.transaction(write=False) as session:
                return service.in_flight(
                    session, api_key_name=key.name, idempotency_key=idempotency_key
                )

        return await run_in_threadpool(peek)

    async def _claim(
        self, scope: Scope, key: KnownKey, idempotency_key: str, body: bytes
    ) -> ClaimOutcome:
        def claim() -> ClaimOutcome:
            if not service.is_valid_key(idempotency_key):
                raise Unprocessable.at(
                    _LOC, f"must be 1 to {service.MAX_KEY_LENGTH} printable ASCII characters"
                )
            fingerprint = service.request_hash(
                "POST", scope["path"], scope.get("query_string", b"").decode("latin-1"), body
            )
            with self.database.transaction(write=True) as session:
                return service.claim(
                    session,
                    api_key_name=key.name,
                    idempotency_key=idempotency_key,
                    method="POST",
                    path=scope["path"],
                    fingerprint=fingerprint,
                    now=utcnow(),
                    ttl=self.ttl,
                )

        return await run_in_threadpool(claim)

    async def _run_first(self, scope: Scope, receive: Receive, send: Send, claim: Claimed) -> None:
        """Do the work, forwarding the answer as it comes and keeping a copy of it."""
        status = 0
        response_headers: list[tuple[str, str]] = []
        chunks: list[bytes] = []
        complete = False

        async def capturing_send(message: Message) -> None:
            nonlocal status, response_headers, complete
            if message["type"] == "http.response.start":
                status = message["status"]
                response_headers = [
                    (k.decode("latin-1").lower(), v.decode("latin-1"))
                    for k, v in message.get("headers", [])
                ]
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))
                complete = not message.get("more_body", False)
            await send(message)

        try:
            await self.app(scope, receive, capturing_send)
        finally:
            answer = StoredResponse(status, response_headers, b"".join(chunks))
            if complete and _keepable(answer):
                await self._in_transaction(service.complete, claim.record_id, answer)
            else:
                await self._in_transaction(service.release, claim.record_id)

    async def _in_transaction(self, action: Callable[..., T], *args: Any) -> None:
        def run() -> None:
            with self.database.transaction(write=True) as session:
                action(session, *args)

        try:
            await run_in_threadpool(run)
        except SQLAlchemyError:
            # The answer has been sent; the in-flight record expires with its lease.
            log.exception("could not store the answer for an idempotency key")


def _keepable(answer: StoredResponse) -> bool:
    """5xx answers are not kept (the client may retry), nor answers carrying a secret."""
    if answer.status >= 500 or answer.status < 200:
        return False
    cache_control = next((v for k, v in answer.headers if k == "cache-control"), "")
    return "no-store" not in cache_control.lower()


async def _send_stored(send: Send, stored: StoredResponse) -> None:
    headers = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in stored.headers]
    headers += [
        (b"content-length", str(len(stored.body)).encode()),
        (REPLAYED_HEADER.lower().encode(), b"true"),
    ]
    await send({"type": "http.response.start", "status": stored.status, "headers": headers})
    await send({"type": "http.response.body", "body": stored.body})


def document(schema: dict[str, Any], path_prefix: str) -> None:
    """Add the `Idempotency-Key` header to every POST operation under `path_prefix`."""
    components = schema.setdefault("components", {})
    components.setdefault("parameters", {})["IdempotencyKey"] = {
        "name": HEADER,
        "in": "header",
        "required": False,
        "description": (
            "Makes a retry safe: the same key with the same request (path, query and body) "
            "within 24 hours replays the first answer, with "
            f"`{REPLAYED_HEADER}: true`, without doing the work again. The same key with "
            "another request is a 422. A retry sent while the first request is still running "
            f"waits for its answer (up to {IN_FLIGHT_WAIT_SECONDS:g} s; then a 409: retry after "
            "`Retry-After`). Keys are per API key; 5xx answers are not kept, "
            "nor answers carrying a secret (a new API key)."
        ),
        "schema": {"type": "string", "minLength": 1, "maxLength": service.MAX_KEY_LENGTH},
        "example": "9f1c2e2a-2d4b-4c7e-9a51-0b6a1d1f0c3e",
    }
    reference = {"$ref": "#/components/parameters/IdempotencyKey"}
    for path, operations in schema.get("paths", {}).items():
        post = operations.get("post")
        if path.startswith(path_prefix) and post is not None:
            post.setdefault("parameters", []).append(reference)
