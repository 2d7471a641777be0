"""Failed-authentication rate limiting: a client that keeps sending wrong keys is slowed down.

Once a client address has had `per_minute` failed authentications (an unknown or revoked
key) within the last minute, every further API request from it is answered 429
problem+json with `Retry-After` (seconds until the oldest of those failures leaves the
window), before its key is looked up, before its body is read, before any database work.
Requests that authenticate are never counted; the limit applies to failures only.

The counts are kept in memory, per process: with N worker processes a client may get up
to N times the limit through before every worker refuses it, which still makes guessing
a 256-bit secret hopeless while sparing the database a shared counter. Behind a reverse
proxy, run uvicorn with `--proxy-headers --forwarded-allow-ips=<proxy>` so that the client
address is the real client's, not the proxy's.
"""

import math
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable

from starlette.requests import HTTPConnection
from starlette.types import ASGIApp, Receive, Scope, Send

from app.core.errors import DomainError
from app.core.problems import send_problem

WINDOW_SECONDS = 60.0
# Addresses remembered at most; the stalest are forgotten first beyond that.
MAX_CLIENTS = 10_000
UNKNOWN_CLIENT = "unknown"


class TooManyFailedAuthentications(DomainError):
    status, title, slug = 429, "Too many requests", "too-many-requests"

    def __init__(self, retry_after: int) -> None:
        super().__init__(
            "Too many failed authentications from this address; "
            f"retry after {retry_after} seconds with a valid API key"
        )
        self.headers = {"Retry-After": str(retry_after)}


def client_address(scope: Scope) -> str:
    client = scope.get("client")
    return client[0] if client else UNKNOWN_CLIENT


class FailedAuthLimiter:
    """Failed authentications per client address over a sliding window. Thread-safe: the
    authentication dependency runs in the thread pool."""

    def __init__(
        self,
        per_minute: int,
        *,
        window_seconds: float = WINDOW_SECONDS,
        max_clients: int = MAX_CLIENTS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.limit = per_minute
        self.window = window_seconds
        self.max_clients = max_clients
        self.clock = clock
        self._failures: OrderedDict[str, deque[float]] = OrderedDict()
        self._lock = threading.Lock()

    def record_failure(self, connection: HTTPConnection) -> None:
        """The hook `app.deps` calls when a request's key is unknown or revoked."""
        self.record(client_address(connection.scope))

    def check(self, connection: HTTPConnection) -> None:
        """429 (TooManyFailedAuthentications) when the client is over the limit."""
        wait = self.retry_after(client_address(connection.scope))
        if wait is not None:
            raise TooManyFailedAuthentications(wait)

    def record(self, address: str) -> None:
        now = self.clock()
        with self._lock:
            failures = self._failures.pop(address, None)
            if failures is None:
                failures = deque(maxlen=self.limit)
            failures.append(now)
            self._failures[address] = failures  # most recently failed last
            while len(self._failures) > self.max_clients:
                self._failures.popitem(last=False)

    def retry_after(self, address: str) -> int | None:
        """Seconds until `address` may try again, or None when it is not limited."""
        now = self.clock()
        with self._lock:
            failures = self._failures.get(address)
            if failures is None:
                return None
            while failures and now - failures[0] >= self.window:
                failures.popleft()
            if not failures:
                del self._failures[address]
                return None
            if len(failures) < self.limit:
                return None
            return max(1, math.ceil(failures[0] + self.window - now))


class FailedAuthLimitMiddleware:
    """429 for API requests from an address over the limit, before anything else is done."""

    def __init__(self, app: ASGIApp, *, limiter: FailedAuthLimiter, path_prefix: str) -> None:
        self.app = app
        self.limiter = limiter
        self.path_prefix = path_prefix

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"].startswith(self.path_prefix):
            wait = self.limiter.retry_after(client_address(scope))
            if wait is not None:
                await send_problem(send, TooManyFailedAuthentications(wait))
                return
        await self.app(scope, receive, send)
