"""Database trouble answered as problem+json a client can act on, never a 500.

`storage_trouble` (app.db.dialect) says what kind of trouble an error shows; this module
turns it into the answer: 507 when the disk is full, 503 with Retry-After when a lock was
not granted in time or no connection could be had. A disk found full is remembered for a
while so that `/readyz` reports it.
"""

import logging
import threading
import time

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DBAPIError, OperationalError, SQLAlchemyError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from app.core.errors import DomainError, InsufficientStorage, ServiceUnavailable
from app.core.problems import error_response, internal_error_response
from app.db.dialect import storage_trouble

log = logging.getLogger("raci.errors")

# How long a full disk is reported by /readyz after the last write it refused.
FULL_REMEMBERED_SECONDS = 60.0
BUSY_RETRY_AFTER = 5


class StorageState:
    """When this process last saw the disk full (monotonic seconds). Thread-safe."""

    def __init__(self) -> None:
        self._full_at: float | None = None
        self._lock = threading.Lock()

    def mark_full(self) -> None:
        with self._lock:
            self._full_at = time.monotonic()

    def full_recently(self, within: float = FULL_REMEMBERED_SECONDS) -> bool:
        with self._lock:
            return self._full_at is not None and time.monotonic() - self._full_at < within

    def clear(self) -> None:
        with self._lock:
            self._full_at = None


STORAGE = StorageState()


def problem_for(error: SQLAlchemyError) -> DomainError | None:
    """The answer for a database error that is about storage, or None (a bug: a 500)."""
    trouble = storage_trouble(error)
    if trouble == "full":
        STORAGE.mark_full()
        return InsufficientStorage(
            "The database's disk is full: nothing was written. Retry after an operator has "
            "made room (see /readyz)"
        )
    if trouble == "busy":
        return ServiceUnavailable(
            "Another write (such as a long import) held what this request needs for longer "
            f"than the lock timeout; nothing was changed. Retry after {BUSY_RETRY_AFTER} seconds",
            retry_after=BUSY_RETRY_AFTER,
        )
    if trouble == "unavailable" or isinstance(error, OperationalError):
        return ServiceUnavailable(
            "The database refused a connection or is unreachable (too many clients, a "
            "restart); nothing was changed. Retry shortly"
        )
    return None


def _database_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, SQLAlchemyError)
    problem = problem_for(exc)
    if problem is None:
        log.exception("unexpected database error", exc_info=exc)
        return internal_error_response()
    log.error("database trouble answered %s: %s", problem.status, exc)
    return error_response(problem)


def install(app: FastAPI) -> None:
    """Answer database trouble from any route (IntegrityError keeps its own handler)."""
    app.add_exception_handler(DBAPIError, _database_error)
    app.add_exception_handler(PoolTimeout, _database_error)
