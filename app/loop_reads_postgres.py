"""Event-loop reads on PostgreSQL: psycopg's asyncio connections, from a pool opened per
event loop by the app's lifespan (`open`), in autocommit.

The statement is compiled by SQLAlchemy once (app.compiled), so the rows are those a
Session would give. Without a pool for the running loop (an app driven without its
lifespan) a read runs in a worker thread through the engine, as every other query does.
The pools close with the lifespans that opened them.
"""

import asyncio
import weakref
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from typing import Any

import psycopg
from psycopg_pool import AsyncConnectionPool, PoolTimeout
from sqlalchemy import Engine, Select
from sqlalchemy.exc import DBAPIError

from app.compiled import DriverSelect
from app.loop_reads import LoopReads, Rows

Pool = AsyncConnectionPool[psycopg.AsyncConnection[Any]]


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
        self._compiled: dict[int, tuple[Select[Any], DriverSelect]] = {}

    @asynccontextmanager
    async def open(self) -> AsyncIterator[None]:
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
            known = self._compiled[id(statement)] = (
                statement,
                DriverSelect(statement, self.engine.dialect),
            )
        compiled = known[1]
        try:
            try:
                return [compiled.mapping(row) for row in await _fetch(pool, compiled.sql, values)]
            except PoolTimeout:
                raise
            except psycopg.OperationalError:
                # The server may have dropped the pool's connections (a restart, a failover):
                # replace those that are broken, then once more, as a read is safe to repeat.
                await pool.check()
                return [compiled.mapping(row) for row in await _fetch(pool, compiled.sql, values)]
        except psycopg.Error as error:
            # As the engine would raise it, so that the app's handlers answer it alike; the
            # values hold the caller's key hash, which has no place in a log.
            raise DBAPIError.instance(
                compiled.sql, values, error, psycopg.Error, hide_parameters=True
            ) from error


async def _fetch(pool: Pool, sql: str, values: Mapping[str, Any]) -> list[tuple[Any, ...]]:
    async with pool.connection() as connection:
        cursor = await connection.execute(sql, values)
        return await cursor.fetchall()
