"""Many rows into one table at once: COPY on PostgreSQL, executemany elsewhere.

A bulk import writes tens of thousands of RACI cells and as many audit entries. psycopg's
executemany sends those as one statement each through its pipeline, some 30 microseconds
of Python per row; COPY streams them, each value made by its column's type exactly as an
INSERT would bind it. SQLite's executemany is already a loop in C.
"""

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Connection, Table, insert
from sqlalchemy.exc import DBAPIError


def insert_many(connection: Connection, table: Table, rows: Sequence[Mapping[str, Any]]) -> None:
    """Insert `rows` (dicts with the same keys) into `table`, in the connection's transaction.

    Database errors come out as SQLAlchemy's (an IntegrityError for a taken key), whichever
    way the rows were sent.
    """
    if not rows:
        return
    columns = list(rows[0])
    if connection.dialect.name != "postgresql" or _needs_python_defaults(table, columns):
        connection.execute(insert(table), list(rows))
        return
    dialect = connection.dialect
    processors = [
        table.c[name].type.dialect_impl(dialect).bind_processor(dialect) for name in columns
    ]
    quote = dialect.identifier_preparer.quote
    statement = (
        f"COPY {dialect.identifier_preparer.format_table(table)} "
        f"({', '.join(quote(name) for name in columns)}) FROM STDIN"
    )
    driver_connection = connection.connection.driver_connection
    assert driver_connection is not None
    try:
        with driver_connection.cursor() as cursor, cursor.copy(statement) as copy:
            for row in rows:
                copy.write_row(
                    [
                        row[name] if process is None else process(row[name])
                        for name, process in zip(columns, processors, strict=True)
                    ]
                )
    except dialect.loaded_dbapi.Error as error:
        raise DBAPIError.instance(
            statement, None, error, dialect.loaded_dbapi.Error, dialect=dialect
        ) from error


def _needs_python_defaults(table: Table, columns: Sequence[str]) -> bool:
    """Whether a column left out has a default that SQLAlchemy, not the database, fills in
    (COPY only knows the database's)."""
    given = set(columns)
    return any(column.name not in given and column.default is not None for column in table.columns)
