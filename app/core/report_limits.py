"""How many expensive reports one API key may have running at once.

The findings of the whole portfolio, the export and the dashboard each read every
initiative; a client that starts many at once would slow everyone. Beyond the limit a key
is answered 429 with Retry-After until one of its reports finishes. Per process: with N
workers a key may run up to N times the limit.
"""

import threading
from collections import Counter

from app.core.errors import TooManyRequests

RETRY_AFTER_SECONDS = 2


class TooManyReports(TooManyRequests):
    def __init__(self, name: str, limit: int) -> None:
        super().__init__(
            f"The API key '{name}' already has {limit} expensive report"
            f"{'' if limit == 1 else 's'} (findings, export, dashboard) running; wait for "
            f"one to finish and retry after {RETRY_AFTER_SECONDS} seconds",
            RETRY_AFTER_SECONDS,
        )


class ReportLimiter:
    """Running expensive reports per API key name, at most `per_key` each. Thread-safe."""

    def __init__(self, per_key: int) -> None:
        self.per_key = per_key
        self._running: Counter[str] = Counter()
        self._lock = threading.Lock()

    def acquire(self, name: str) -> None:
        """Count one more report for `name`; TooManyReports (429) when it has its limit."""
        with self._lock:
            if self._running[name] >= self.per_key:
                raise TooManyReports(name, self.per_key)
            self._running[name] += 1

    def release(self, name: str) -> None:
        with self._lock:
            self._running[name] -= 1
            if self._running[name] <= 0:
                del self._running[name]

    def running(self, name: str) -> int:
        with self._lock:
            return self._running[name]
