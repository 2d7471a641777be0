"""One-statement reads run in the event loop, for the GETs that integrations poll most.

A request that hands its query to a worker thread pays for the hop and, on a busy
process, for the thread and the event loop passing the GIL back and forth around every
driver call: measured, that costs more CPU than the query itself (docs/performance.md).
So these reads never leave the event loop:

- SQLite: in the loop itself, on a connection the loop's thread keeps for itself. An
  indexed read takes tens of microseconds there, and a WAL reader does not wait for writers.
- PostgreSQL: psycopg's asyncio connections (app.loop_reads_postgres).
"""

from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from typing import Any

from anyio import to_thread
from sqlalchemy import Engine, Select, create_engine
from sqlalchemy.pool import SingletonThreadPool

Rows = Sequence[Mapping[Any, Any]]

# An event-loop read waits at most this long for SQLite's lock (WAL readers rarely need it).
SQLITE_BUSY_TIMEOUT_MS = 1_000


class LoopReads:
    """Runs a Core select with bound values and returns its rows as mappings."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    async def all(self, statement: Select[Any], values: Mapping[str, Any]) -> Rows:
        return await to_thread.run_sync(self._all, statement, values)

    def _all(self, statement: Select[Any], values: Mapping[str, Any]) -> Rows:
        with self.engine.connect() as connection:
            return connection.execute(statement, values).mappings().all()

    @asynccontextmanager
    async def open(self) -> AsyncIterator[None]:
        """Whatever the running event loop needs for these reads, until the block ends."""
        yield

    def dispose(self) -> None:
        """Close the connections kept for these reads."""


class SQLiteLoopReads(LoopReads):
    def __init__(self, engine: Engine, configure: Callable[[Engine, int], None]) -> None:
        self._own: Engine | None = None
        if not isinstance(engine.pool, SingletonThreadPool):  # in memory, it already is
            # One connection per thread, so that a read in the loop never waits for the pool.
            self._own = engine = create_engine(
                engine.url,
                poolclass=SingletonThreadPool,
                connect_args={"check_same_thread": False},
            )
            configure(engine, SQLITE_BUSY_TIMEOUT_MS)
        super().__init__(engine)

    async def all(self, statement: Select[Any], values: Mapping[str, Any]) -> Rows:
        return self._all(statement, values)

    def dispose(self) -> None:
        if self._own is not None:
            self._own.dispose()


def loop_reads_for(
    engine: Engine, *, pool_size: int, configure_sqlite: Callable[[Engine, int], None]
) -> LoopReads:
    if engine.dialect.name == "sqlite":
        return SQLiteLoopReads(engine, configure_sqlite)
    if engine.dialect.name == "postgresql" and engine.dialect.driver == "psycopg":
        # Imported here: an app on SQLite need not load psycopg (~10 MB, a third of a second).
        from app.loop_reads_postgres import PostgresLoopReads

        return PostgresLoopReads(engine, pool_size)
    return LoopReads(engine)
