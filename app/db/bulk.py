"""Many rows into one table at once, past the per-row costs of a Core executemany.

A bulk import writes tens of thousands of RACI cells and as many audit entries. A Core
executemany builds a parameter dict per row and runs each value through its column's type;
psycopg then sends the rows one statement each through its pipeline. Here each value is
still made by its column's type, exactly as an INSERT would bind it, but a timestamp shared
by every row (they all carry the transaction's `now`) is converted once, and the rows go as
COPY on PostgreSQL and as the driver's own executemany on SQLite.
"""

from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import date
from typing import Any

from sqlalchemy import Connection, Dialect, Table, insert

from app.db import dialect


def insert_many(connection: Connection, table: Table, rows: Sequence[Mapping[str, Any]]) -> None:
    """Insert `rows` (dicts with the same keys) into `table`, in the connection's transaction.

    Database errors come out as SQLAlchemy's (an IntegrityError for a taken key), whichever
    way the rows were sent.
    """
    if not rows:
        return
    columns = list(rows[0])
    if _needs_python_defaults(table, columns) or not dialect.can_send_rows(connection):
        connection.execute(insert(table), list(rows))
        return
    preparer = connection.dialect.identifier_preparer
    target = f"{preparer.format_table(table)} ({', '.join(map(preparer.quote, columns))})"
    dialect.send_rows(
        connection, target, len(columns), _bound_values(table, columns, rows, connection.dialect)
    )


def _bound_values(
    table: Table, columns: Sequence[str], rows: Sequence[Mapping[str, Any]], dialect: Dialect
) -> Iterator[tuple[Any, ...]]:
    converters = [_converter(table, name, dialect) for name in columns]
    for row in rows:
        yield tuple(convert(row[name]) for name, convert in zip(columns, converters, strict=True))


def _converter(table: Table, name: str, dialect: Dialect) -> Callable[[Any], Any]:
    process = table.c[name].type.dialect_impl(dialect).bind_processor(dialect)
    if process is None:
        return lambda value: value
    done: dict[date, Any] = {}

    def convert(value: Any) -> Any:
        # Dates and times are immutable and an import repeats one `now` on every row.
        if isinstance(value, date):
            if value not in done:
                done[value] = process(value)
            return done[value]
        return process(value)

    return convert


def _needs_python_defaults(table: Table, columns: Sequence[str]) -> bool:
    """Whether a column left out has a default that SQLAlchemy, not the database, fills in."""
    given = set(columns)
    return any(column.name not in given and column.default is not None for column in table.columns)
