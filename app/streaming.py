"""Reading a large select row by row without holding its whole result.

On PostgreSQL (psycopg) the rows are streamed: libpq's chunked mode, through
`Cursor.stream`. The server sends rows as it produces them, and Python works on those
already received meanwhile. A server-side cursor (SQLAlchemy's `yield_per`) made them take
turns instead: the server computed each FETCH only when asked, and waited while Python
worked. The component pass of the findings report at 10,000 initiatives: 0.20 s -> 0.10 s;
at 100,000: 2.1 s -> 0.9 s. Elsewhere, `yield_per`.
"""

from collections.abc import Iterator, Sequence
from contextlib import closing
from typing import Any

from sqlalchemy import Connection, Select
from sqlalchemy.exc import DBAPIError

from app.compiled import DriverSelect


def stream_rows(
    connection: Connection, statement: Select[*tuple[Any, ...]], rows_per_fetch: int
) -> Iterator[Sequence[Any]]:
    """The rows of `statement`, at most `rows_per_fetch` of them held at a time.

    The connection is busy until the rows are exhausted or the iterator is closed."""
    if connection.dialect.driver != "psycopg":
        yield from connection.execution_options(yield_per=rows_per_fetch).execute(statement)
        return
    select = DriverSelect(statement, connection.dialect, render_postcompile=True)
    psycopg = connection.dialect.loaded_dbapi
    # Chunks need libpq 17 (the binary wheels bundle a newer one); before it, row by row.
    chunk = rows_per_fetch if psycopg.capabilities.has_stream_chunked() else 1
    if not connection.in_transaction():
        connection.begin()  # as `execute` would: psycopg opens one on the server regardless
    pooled = connection.connection
    cursor = pooled.driver_connection.cursor()  # type: ignore[union-attr]
    try:
        with closing(cursor.stream(select.sql, select.params, size=chunk)) as rows:
            for row in rows:
                yield select.convert(row)
    except psycopg.Error as error:
        # Raised as the engine would raise it (the app answers SQLAlchemy's errors), and a
        # connection the server dropped is not handed out again.
        dropped = connection.dialect.is_disconnect(error, pooled.dbapi_connection, cursor)
        if dropped:
            connection.invalidate(error)
        raise DBAPIError.instance(
            select.sql,
            select.params,
            error,
            psycopg.Error,
            hide_parameters=connection.engine.hide_parameters,
            connection_invalidated=dropped,
            dialect=connection.dialect,
        ) from error
    finally:
        cursor.close()
