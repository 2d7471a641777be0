"""Limits on unauthenticated work: failed keys and requests with no key are slowed down,
keys that authenticate never are.

Three sliding one-minute windows, kept in memory per process:

- **failures per client address**: unknown or revoked keys sent from one address;
- **failures per presented key prefix**: the first characters of a wrong secret, whatever
  address sends it (a revoked key still configured on a fleet of machines);
- **anonymous requests per client address**: API requests with no key at all.

Over a limit, the answer that would have been a 401 is a 429 problem+json with
`Retry-After` (seconds until the oldest counted event leaves the window). A request whose
key authenticates is never refused and never counted, so everyone behind one proxy or NAT
keeps working while one of them sends wrong keys. A wrong secret already seen in the window
is refused without looking it up again.

The client address is the TCP peer's, unless that peer is one of the configured trusted
proxies (`RACI_TRUSTED_PROXIES`, addresses or networks): then it is the nearest address in
`X-Forwarded-For` that is not itself a trusted proxy. A client anywhere else cannot choose
its address by sending that header.

With N worker processes a client may get up to N times a limit through before every
worker refuses it, which still spares the database a shared counter.
"""

import hashlib
import ipaddress
import math
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from starlette.types import Scope

from app.core.errors import TooManyRequests

WINDOW_SECONDS = 60.0
# Buckets remembered at most (addresses, prefixes and wrong secrets); the stalest go first.
MAX_BUCKETS = 10_000
# Failures are counted per this many first characters of a wrong secret (`raci_` and 7).
PREFIX_LENGTH = 12
UNKNOWN_CLIENT = "unknown"

IpNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


class TooManyFailedAuthentications(TooManyRequests):
    def __init__(self, retry_after: int) -> None:
        super().__init__(
            "Too many failed authentications from this address or with this key; "
            f"retry after {retry_after} seconds with a valid API key",
            retry_after,
        )


class TooManyAnonymousRequests(TooManyRequests):
    def __init__(self, retry_after: int) -> None:
        super().__init__(
            "Too many requests without an API key from this address; send "
            f"'Authorization: Bearer <secret>' (retry after {retry_after} seconds)",
            retry_after,
        )


def parse_networks(text: str | Iterable[str]) -> tuple[IpNetwork, ...]:
    """`10.0.0.0/8, 127.0.0.1` as networks; ValueError for anything that is not one."""
    items = text.split(",") if isinstance(text, str) else text
    return tuple(ipaddress.ip_network(item.strip(), strict=False) for item in items if item.strip())


def _ip(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(text.strip().strip("[]"))
    except ValueError:
        return None


@dataclass(frozen=True)
class ClientAddresses:
    """Which address a request comes from, trusting `X-Forwarded-For` only from `proxies`."""

    proxies: tuple[IpNetwork, ...] = ()

    def _trusted(self, address: str) -> bool:
        ip = _ip(address)
        return ip is not None and any(ip in network for network in self.proxies)

    def of(self, scope: Scope) -> str:
        client = scope.get("client")
        peer = client[0] if client else UNKNOWN_CLIENT
        if not self.proxies or not self._trusted(peer):
            return peer
        forwarded = [
            hop.strip()
            for name, value in scope.get("headers", [])
            if name.lower() == b"x-forwarded-for"
            for hop in value.decode("latin-1").split(",")
        ]
        # The proxies append: the nearest hop is last. Walk back past our own proxies.
        for hop in reversed(forwarded):
            if not self._trusted(hop):
                ip = _ip(hop)
                return str(ip) if ip is not None else peer
        return peer


class _Windows:
    """Event times per bucket over a sliding window, bounded in memory. Not thread-safe by
    itself: the limiter holds its lock around every call."""

    def __init__(self, limit: int, window: float, max_buckets: int) -> None:
        self.limit = limit
        self.window = window
        self.max_buckets = max_buckets
        self._events: OrderedDict[str, deque[float]] = OrderedDict()

    def add(self, bucket: str, now: float) -> None:
        events = self._events.pop(bucket, None)
        if events is None:
            events = deque(maxlen=self.limit)
        events.append(now)
        self._events[bucket] = events  # most recent last
        while len(self._events) > self.max_buckets:
            self._events.popitem(last=False)

    def wait(self, bucket: str, now: float) -> int | None:
        """Seconds until `bucket` is under its limit again, or None when it is."""
        events = self._events.get(bucket)
        if events is None:
            return None
        while events and now - events[0] >= self.window:
            events.popleft()
        if not events:
            del self._events[bucket]
            return None
        if len(events) < self.limit:
            return None
        return max(1, math.ceil(events[0] + self.window - now))

    def __len__(self) -> int:
        return len(self._events)


def _waits(*waits: int | None) -> int | None:
    present = [wait for wait in waits if wait is not None]
    return max(present) if present else None


class AuthLimiter:
    """Failed and anonymous authentications per address and per key prefix. Thread-safe."""

    def __init__(
        self,
        failures_per_minute: int,
        anonymous_per_minute: int,
        *,
        addresses: ClientAddresses | None = None,
        window_seconds: float = WINDOW_SECONDS,
        max_buckets: int = MAX_BUCKETS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.addresses = addresses or ClientAddresses()
        self.clock = clock
        self._failures = _Windows(failures_per_minute, window_seconds, max_buckets)
        self._anonymous = _Windows(anonymous_per_minute, window_seconds, max_buckets)
        # Wrong secrets (by hash) seen in the window: refused again without a lookup.
        self._wrong = _Windows(1, window_seconds, max_buckets)
        self._lock = threading.Lock()

    @property
    def limit(self) -> int:
        return self._failures.limit

    def address(self, scope: Scope) -> str:
        return self.addresses.of(scope)

    def anonymous(self, address: str) -> TooManyRequests | None:
        """Count a request with no key; the 429 to answer instead of 401 when the address
        already had its limit (a refused request is not counted: Retry-After holds)."""
        now = self.clock()
        with self._lock:
            wait = self._anonymous.wait(address, now)
            if wait is None:
                self._anonymous.add(address, now)
        return TooManyAnonymousRequests(wait) if wait is not None else None

    def known_wrong(self, address: str, secret: str) -> TooManyRequests | None:
        """Before a lookup: the 429 for a secret that already failed in the window while its
        address or prefix is over the limit (nothing to look up again), else None."""
        now = self.clock()
        with self._lock:
            if self._wrong.wait(_digest(secret), now) is None:
                return None
            wait = _waits(
                self._failures.wait("a:" + address, now),
                self._failures.wait("p:" + secret[:PREFIX_LENGTH], now),
            )
        return TooManyFailedAuthentications(wait) if wait is not None else None

    def failed(self, address: str, secret: str) -> TooManyRequests | None:
        """Count a secret that did not authenticate; the 429 to answer instead of 401 when
        its address or its prefix already had its limit (then it is not counted again)."""
        now = self.clock()
        prefix = "p:" + secret[:PREFIX_LENGTH]
        with self._lock:
            wait = _waits(
                self._failures.wait("a:" + address, now), self._failures.wait(prefix, now)
            )
            if wait is None:
                self._failures.add("a:" + address, now)
                self._failures.add(prefix, now)
            self._wrong.add(_digest(secret), now)
        return TooManyFailedAuthentications(wait) if wait is not None else None

    def remembered(self) -> int:
        """How many buckets are kept (for tests of the memory bound)."""
        with self._lock:
            return len(self._failures) + len(self._anonymous) + len(self._wrong)


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()
