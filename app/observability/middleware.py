"""The outermost middleware: request id, access log line and request metrics."""

import logging
import time
from typing import Any

from starlette.routing import Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.observability import metrics, request_id

access_log = logging.getLogger("raci.access")

# Probes and scrapes come every few seconds: their access lines are DEBUG, not INFO.
_QUIET_PATHS = frozenset({"/healthz", "/readyz", "/metrics"})
# A response never started (the client went away first).
CLIENT_CLOSED = 499


def route_template(scope: Scope) -> str:
    """The template of the route that served (or would serve) this request, or `unmatched`.

    The router leaves the matched route in the scope; an answer given before routing (a body
    over the limit, a replayed idempotent answer) is matched here, by template only.
    """
    route: Any = scope.get("route")
    if route is None:
        app = scope.get("app")
        for candidate in getattr(getattr(app, "router", None), "routes", ()):
            match, _ = candidate.matches(scope)
            if match is not Match.NONE:
                route = candidate
                break
    template = getattr(route, "path_format", None) or getattr(route, "path", None)
    return template if isinstance(template, str) else metrics.UNMATCHED_ROUTE


def _actor(scope: Scope) -> str | None:
    principal = scope.get("state", {}).get("principal")
    name = getattr(principal, "name", None)
    return name if isinstance(name, str) else None


class ObservabilityMiddleware:
    """Sets `X-Request-ID` on every answer, counts and times it, and logs one access line."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = None
        for name, value in scope["headers"]:
            if name == b"x-request-id":
                incoming = value.decode("latin-1")
                break
        rid = request_id.accept(incoming)
        token = request_id.current.set(rid)
        scope.setdefault("state", {})
        status = CLIENT_CLOSED
        started = time.perf_counter()

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = [
                    (k, v) for k, v in message.get("headers", []) if k.lower() != b"x-request-id"
                ]
                headers.append((b"x-request-id", rid.encode("latin-1")))
                message = {**message, "headers": headers}
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except BaseException:
            # The server's error middleware answers 500 outside this one (without the
            # header), and logs the error: the request id stays set for that line.
            status = 500
            raise
        else:
            request_id.current.reset(token)
        finally:
            elapsed = time.perf_counter() - started
            route = route_template(scope)
            metrics.observe(scope["method"], route, status, elapsed)
            access_log.log(
                logging.DEBUG if scope["path"] in _QUIET_PATHS else logging.INFO,
                "%s %s %s",
                scope["method"],
                route,
                status,
                extra={
                    "request_id": rid,
                    "method": scope["method"],
                    "path": route,
                    "status": status,
                    "duration_ms": round(elapsed * 1000, 2),
                    "actor": _actor(scope),
                },
            )
