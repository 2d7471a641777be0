"""Duplicate keys in a JSON object are refused (400), not silently resolved.

RFC 8259 leaves `{"priority": 1, "priority": 5}` to the parser, and Python's keeps the
last value: a client (or a proxy that appends a field) would get a write it did not mean,
and two systems reading one document could disagree about it. This middleware reads a JSON
request body once the key is known and the body guard let it through, refuses it when an
object repeats a key, and hands the very same bytes on. Bodies that are not valid JSON are
left to the route's own parsing (a 400 "Malformed JSON" there).
"""

import json
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect
from starlette.types import ASGIApp, Receive, Scope, Send

from app.core.body_guard import read_body, replaying
from app.core.errors import BadRequest, PayloadTooLarge
from app.core.problems import send_problem

_BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})
# Bodies larger than this are parsed in the thread pool, off the event loop.
_INLINE_BYTES = 64 * 1024


class DuplicateKey(ValueError):
    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def _unique_pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    obj = dict(pairs)
    if len(obj) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise DuplicateKey(key)
            seen.add(key)
    return obj


def repeated_key(body: bytes) -> str | None:
    """The first key some object of `body` repeats; None when none does or when `body` is
    not JSON at all (that is for the route's parser to say)."""
    try:
        json.loads(body, object_pairs_hook=_unique_pairs)
    except DuplicateKey as duplicate:
        return duplicate.key
    except (ValueError, RecursionError):
        return None
    return None


def _is_json(content_type: str) -> bool:
    media_type = content_type.split(";", 1)[0].strip().lower()
    return media_type == "application/json" or (
        media_type.startswith("application/") and media_type.endswith("+json")
    )


class RejectDuplicateKeys:
    """400 problem+json for a JSON body in which an object repeats a key."""

    def __init__(self, app: ASGIApp, *, path_prefix: str) -> None:
        self.app = app
        self.path_prefix = path_prefix

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or scope["method"] not in _BODY_METHODS
            or not scope["path"].startswith(self.path_prefix)
            or not _is_json(Headers(scope=scope).get("content-type", ""))
        ):
            await self.app(scope, receive, send)
            return
        try:
            body = await read_body(receive)
        except HTTPException as exc:  # the body guard's 413 for a streamed body
            await send_problem(send, PayloadTooLarge(str(exc.detail)))
            return
        except ClientDisconnect:
            return
        key = (
            repeated_key(body)
            if len(body) <= _INLINE_BYTES
            else await run_in_threadpool(repeated_key, body)
        )
        if key is not None:
            await send_problem(
                send,
                BadRequest(
                    f"The JSON body repeats the key {json.dumps(key)} within one object; "
                    "each key may appear once (which value was meant is not for the server "
                    "to guess)"
                ),
            )
            return
        await self.app(scope, replaying(body, receive), send)
