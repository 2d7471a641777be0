"""One-statement reads run in the event loop, for the GETs that integrations poll most.

A request that hands its query to a worker thread pays for the hop and, on a busy
process, for the thread and the event loop passing the GIL back and forth around every
driver call: measured, that costs more CPU than the query itself (docs/performance.md).
So these reads never leave the event loop:

- SQLite: in the loop itself, on a connection the loop's thread keeps for itself. An
  indexed read takes tens of microseconds there, and a WAL reader does not wait for writers.
- PostgreSQL: psycopg's asyncio connections, from a pool opened per event loop by the
  app's lifespan (`open`). The statement is compiled by SQLAlchemy once and its results
  converted by the columns' own types, so the rows are those a Session would give.

Without a pool for the running loop (an app driven without its lifespan) a PostgreSQL read
runs in a worker thread through the engine, as every other query does.
"""

import asyncio
import weakref
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any

from anyio import to_thread
from sqlalchemy import Engine, Select, create_engine
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import SingletonThreadPool

Rows = Sequence[Mapping[Any, Any]]

# An event-loop read waits at most this long for SQLite's lock (WAL readers rarely need it).
SQLITE_BUSY_TIMEOUT_MS = 1_000

if TYPE_CHECKING:
    # Imported when used: an app on SQLite need not load psycopg (~10 MB, a third of a second).
    from psycopg import AsyncConnection
    from psycopg_pool import AsyncConnectionPool

    Pool = AsyncConnectionPool[AsyncConnection[Any]]


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


class PostgresLoopReads(LoopReads):
    def __init__(self, engine: Engine, pool_size: int) -> None:
        super().__init__(engine)
        self.pool_size = pool_size
        self._conninfo = engine.url.set(drivername="postgresql").render_as_string(
            hide_password=False
        )
        self._pools: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Pool] = (
            weakref.WeakKeyDictionary()
        )
        # By identity (the statements are module constants, built once), each kept with its
        # statement so that the id cannot be reused by another.
        self._compiled: dict[int, tuple[Select[Any], _Compiled]] = {}

    @asynccontextmanager
    async def open(self) -> AsyncIterator[None]:
        from psycopg_pool import AsyncConnectionPool

        # Autocommit: a lone statement needs no BEGIN and ROLLBACK, two round trips more.
        pool = AsyncConnectionPool(
            self._conninfo,
            min_size=1,
            max_size=self.pool_size,
            kwargs={"autocommit": True},
            open=False,
        )
        await pool.open()
        loop = asyncio.get_running_loop()
        self._pools[loop] = pool
        try:
            yield
        finally:
            self._pools.pop(loop, None)
            await pool.close()

    async def all(self, statement: Select[Any], values: Mapping[str, Any]) -> Rows:
        pool = self._pools.get(asyncio.get_running_loop())
        if pool is None:
            return await super().all(statement, values)
        known = self._compiled.get(id(statement))
        if known is None:
            known = self._compiled[id(statement)] = (statement, _Compiled(statement, self.engine))
        compiled = known[1]
        import psycopg
        from psycopg_pool import PoolTimeout

        try:
            try:
                return compiled.rows(await _fetch(pool, compiled.sql, values))
            except PoolTimeout:
                raise
            except psycopg.OperationalError:
                # The server may have dropped the pool's connections (a restart, a failover):
                # replace those that are broken, then once more, as a read is safe to repeat.
                await pool.check()
                return compiled.rows(await _fetch(pool, compiled.sql, values))
        except psycopg.Error as error:
            # As the engine would raise it, so that the app's handlers answer it alike; the
            # values hold the caller's key hash, which has no place in a log.
            raise DBAPIError.instance(
                compiled.sql, values, error, psycopg.Error, hide_parameters=True
            ) from error

    def dispose(self) -> None:
        """Pools close with the lifespan that opened them."""


async def _fetch(pool: "Pool", sql: str, values: Mapping[str, Any]) -> list[tuple[Any, ...]]:
    async with pool.connection() as connection:
        cursor = await connection.execute(sql, values)
        return await cursor.fetchall()


class _Compiled:
    """A select compiled for psycopg once, with the result conversion of its column types."""

    def __init__(self, statement: Select[Any], engine: Engine) -> None:
        dialect = engine.dialect
        compiled = statement.compile(dialect=dialect)
        for bind in compiled.binds.values():
            if bind.type.dialect_impl(dialect).bind_processor(dialect) is not None:
                raise ValueError(f"{bind.key!r} needs conversion: not for an event-loop read")
        self.sql = compiled.string
        self.names = [str(column.key) for column in statement.selected_columns]
        self.processors = [
            column.type.dialect_impl(dialect).result_processor(dialect, None)
            for column in statement.selected_columns
        ]

    def rows(self, fetched: list[tuple[Any, ...]]) -> Rows:
        return [
            {
                name: value if process is None else process(value)
                for name, process, value in zip(self.names, self.processors, row, strict=True)
            }
            for row in fetched
        ]


def loop_reads_for(
    engine: Engine, *, pool_size: int, configure_sqlite: Callable[[Engine, int], None]
) -> LoopReads:
    if engine.dialect.name == "sqlite":
        return SQLiteLoopReads(engine, configure_sqlite)
    if engine.dialect.name == "postgresql" and engine.dialect.driver == "psycopg":
        return PostgresLoopReads(engine, pool_size)
    return LoopReads(engine)
