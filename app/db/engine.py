"""Engines and sessions: one Database per process, one session per request."""

from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from app.db import dialect


def make_engine(
    url: str,
    *,
    busy_timeout_ms: int = 30_000,
    pool_size: int = 10,
    max_overflow: int | None = None,
    lock_timeout_ms: int | None = None,
) -> Engine:
    """An engine for `url`, with SQLite made safe for concurrent requests.

    Up to `pool_size` connections are kept open and as many again (`max_overflow`) opened
    for bursts. A request holds at most one at a time (app.deps), so a burst larger than
    the pool queues for connections rather than deadlocking on them.
    """
    overflow = pool_size if max_overflow is None else max_overflow
    return dialect.create(
        url,
        busy_timeout_ms=busy_timeout_ms,
        pool_size=pool_size,
        max_overflow=overflow,
        lock_timeout_ms=lock_timeout_ms,
    )


SessionHook = Callable[[sessionmaker[Session]], None]
"""Installs event listeners on a session factory (the audit recorder, the key check)."""


class Database:
    """An engine with its read and write session factories.

    Writers take SQLite's write lock when they begin (`sqlite_immediate`, app.db.dialect),
    so that concurrent writers queue on the busy timeout instead of failing. What runs on
    every session (the audit trail, the caller's key check) is installed by the
    application (`install`), so that this module needs no domain.
    """

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.read_sessions = sessionmaker(engine, expire_on_commit=False)
        self.write_sessions = sessionmaker(
            engine.execution_options(sqlite_immediate=True), expire_on_commit=False
        )
        self._installed: set[SessionHook] = set()

    def install(self, hooks: Iterable[SessionHook]) -> None:
        """Install each hook on both session factories, once, however often it is called."""
        for hook in hooks:
            if hook in self._installed:
                continue
            for sessions in (self.read_sessions, self.write_sessions):
                hook(sessions)
            self._installed.add(hook)

    def dispose(self) -> None:
        """Close every pooled connection."""
        self.engine.dispose()

    def session(self, *, write: bool) -> Session:
        return (self.write_sessions if write else self.read_sessions)()

    @contextmanager
    def transaction(self, *, write: bool = True) -> Iterator[Session]:
        """A session that commits when the block ends normally and rolls back otherwise."""
        with self.session(write=write) as session:
            try:
                yield session
                session.commit()
            except BaseException:
                session.rollback()
                raise
