"""The outermost middleware: request id, access log line and request metrics."""

import logging
import re
import time
import weakref
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.core.problems import internal_error_response
from app.observability import metrics, request_id

access_log = logging.getLogger("raci.access")

# Probes and scrapes come every few seconds: their access lines are DEBUG, not INFO.
_QUIET_PATHS = frozenset({"/healthz", "/readyz", "/metrics"})
# A response never started (the client went away first).
CLIENT_CLOSED = 499


def route_template(scope: Scope) -> str:
    """The full template of the route that served (or would serve) this request, such as
    `/api/v1/initiatives/{key}`, or `unmatched`."""
    route: Any = scope.get("route")
    if route is not None:
        return _routed_template(route, scope)
    # Answered before routing (a body over the limit, a replayed idempotent answer, a 429):
    # matched against the documented paths.
    path = scope.get("path", "")
    for pattern, template in _documented_templates(scope.get("app")):
        if pattern.fullmatch(path):
            return template
    return metrics.UNMATCHED_ROUTE


def _routed_template(route: Any, scope: Scope) -> str:
    """The router leaves the matched route in the scope, but its template lacks the prefixes
    of the routers it was included through; those are the part of the path before what the
    route itself matched."""
    template = getattr(route, "path_format", None)
    if not isinstance(template, str):
        return metrics.UNMATCHED_ROUTE
    path: str = scope.get("path", "")
    try:
        own = str(route.url_path_for(route.name, **scope.get("path_params", {})))
    except Exception:  # a route that cannot render its own path: its template as it is
        return template
    return path[: len(path) - len(own)] + template if path.endswith(own) else template


_TEMPLATES: "weakref.WeakKeyDictionary[Any, list[tuple[re.Pattern[str], str]]]" = (
    weakref.WeakKeyDictionary()
)


def _documented_templates(app: Any) -> list[tuple[re.Pattern[str], str]]:
    if app is None or not hasattr(app, "openapi"):
        return []
    templates = _TEMPLATES.get(app)
    if templates is None:
        paths = sorted(app.openapi().get("paths", {}), key=lambda p: (p.count("{"), p))
        templates = [
            (re.compile(re.sub(r"\\\{[^/]+?\\\}", "[^/]+", re.escape(p))), p) for p in paths
        ]
        _TEMPLATES[app] = templates
    return templates


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
        response_started = False
        started = time.perf_counter()

        async def send_with_id(message: Message) -> None:
            nonlocal status, response_started
            if message["type"] == "http.response.start":
                status = message["status"]
                response_started = True
                headers = [
                    (k, v) for k, v in message.get("headers", []) if k.lower() != b"x-request-id"
                ]
                headers.append((b"x-request-id", rid.encode("latin-1")))
                message = {**message, "headers": headers}
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except Exception:
            # Answered here, not by the server's error middleware outside this one, so that
            # the 500 carries X-Request-ID for the client to quote. That middleware still
            # logs the error (with the request id, still set) and sends nothing more.
            if not response_started:
                await internal_error_response()(scope, receive, send_with_id)
            status = 500
            raise
        except BaseException:
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
