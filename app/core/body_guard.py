"""ASGI middleware that guards request bodies before any route reads them."""

import re

from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.core.errors import PayloadTooLarge, UnsupportedMediaType
from app.core.problems import send_problem

_BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})


def _is_json(content_type: str) -> bool:
    media_type = content_type.split(";", 1)[0].strip().lower()
    return media_type == "application/json" or (
        media_type.startswith("application/") and media_type.endswith("+json")
    )


class BodyGuard:
    """413 for bodies over the limit (declared or streamed), 415 for API bodies that are not
    JSON, except on the paths `other_media` matches (a sheet upload), whose route checks its
    own media types."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        max_body_bytes: int,
        json_prefix: str = "/api/",
        other_media: re.Pattern[str] | None = None,
        path_limits: dict[str, int] | None = None,
    ) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.json_prefix = json_prefix
        self.other_media = other_media
        # Smaller limits for paths that take a body before any key is known (the dashboard's
        # sign-in form carries the key itself): an anonymous client cannot make it read much.
        self.path_limits = dict(path_limits or {})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in _BODY_METHODS:
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        declared = headers.get("content-length")
        limit = self.path_limits.get(scope["path"], self.max_body_bytes)
        too_large = f"The body exceeds the limit of {limit} bytes"
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await send_problem(send, PayloadTooLarge(too_large))
            return
        has_body = (declared is not None and declared != "0") or "transfer-encoding" in headers
        content_type = headers.get("content-type", "")
        json_only = scope["path"].startswith(self.json_prefix) and not (
            self.other_media is not None and self.other_media.match(scope["path"])
        )
        if has_body and json_only and not _is_json(content_type):
            await send_problem(
                send,
                UnsupportedMediaType(
                    "Send the body as JSON with 'Content-Type: application/json', "
                    f"not '{content_type or 'no content type'}'"
                ),
            )
            return

        received = 0

        async def counting_receive() -> Message:
            # A body without Content-Length (chunked) is counted as it streams in; the
            # HTTPException passes through FastAPI's body parsing to the problem handler.
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise HTTPException(413, too_large)
            return message

        await self.app(scope, counting_receive, send)


async def read_body(receive: Receive) -> bytes:
    """The whole request body, for a middleware that must see it before the route does
    (ClientDisconnect if the client goes away)."""
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise ClientDisconnect()
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return b"".join(chunks)


def replaying(body: bytes, receive: Receive) -> Receive:
    """A `receive` that hands the app the body already read, then defers to the real one."""
    delivered = False

    async def replay() -> Message:
        nonlocal delivered
        if not delivered:
            delivered = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay
