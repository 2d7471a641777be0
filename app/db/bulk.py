"""Many rows into one table at once: inserts past the per-row costs of a Core executemany,
and multi-row updates and deletes, all through the session's Connection.

Going through the Connection, not `Session.execute`, keeps these statements out of the ORM
(and out of the audit trail's ORM hooks: their callers hand over their own entries).

Inserts:

A bulk import writes tens of thousands of RACI cells and as many audit entries. A Core
executemany builds a parameter dict per row and runs each value through its column's type;
psycopg then sends the rows one statement each through its pipeline. Here each value is
still made by its column's type, exactly as an INSERT would bind it, but a timestamp shared
by every row (they all carry the transaction's `now`) is converted once, and the rows go as
COPY on PostgreSQL and as the driver's own executemany on SQLite.
"""

from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, Dialect, Table, bindparam, delete, insert, select, update
from sqlalchemy.orm import Session

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


# Keys per IN list: well under every driver's limit on bound parameters.
BATCH = 500


def batches(values: Collection[Any]) -> Iterator[list[Any]]:
    """`values` sorted, in lists of at most BATCH."""
    ordered = sorted(values)
    for start in range(0, len(ordered), BATCH):
        yield ordered[start : start + BATCH]


def insert_rows(
    session: Session, table: Table, rows: Sequence[dict[str, Any]], returning: Sequence[str] = ()
) -> list[Any]:
    """Insert `rows` in one go (app.db.bulk); with `returning` (the id and the columns
    that identify a row, e.g. `("id", "key")`), those columns of each inserted row.

    The rows are read back by their identifying columns with one query per batch rather
    than by INSERT ... RETURNING, whose large multi-row statements psycopg parses in Python.
    """
    if not rows:
        return []
    connection = session.connection()
    insert_many(connection, table, rows)
    if not returning:
        return []
    identity = [name for name in returning if name != "id"]
    inserted = {tuple(row[name] for name in identity) for row in rows}
    # Narrowed by the first identifying column (indexed: each leads a unique constraint);
    # rows already there that share it are left out by the exact match.
    first = table.c[identity[0]]
    columns = [table.c[name] for name in returning]
    found = []
    for chunk in batches({key[0] for key in inserted}):
        for row in connection.execute(select(*columns).where(first.in_(chunk))):
            if tuple(row._mapping[name] for name in identity) in inserted:
                found.append(row)
    return found


def update_rows(
    session: Session,
    table: Table,
    rows: Sequence[dict[str, Any]],
    fields: Sequence[str],
    now: datetime,
    match: Sequence[str] = ("id",),
) -> None:
    """Set `fields` of each row (found by its `match` columns), raise its version, stamp it."""
    if not rows:
        return
    statement = (
        update(table)
        .where(*[table.c[name] == bindparam(f"match_{name}") for name in match])
        .values(
            {name: bindparam(f"new_{name}") for name in fields}
            | {"version": table.c.version + 1, "updated_at": bindparam("now")}
        )
    )
    params = [
        {"now": now}
        | {f"match_{name}": row[name] for name in match}
        | {f"new_{name}": row[name] for name in fields}
        for row in rows
    ]
    session.connection().execute(statement, params)


def delete_by_ids(session: Session, table: Table, ids: Sequence[int]) -> None:
    for chunk in batches(ids):
        session.connection().execute(delete(table).where(table.c.id.in_(chunk)))


def delete_rows(session: Session, table: Table, rows: Sequence[dict[str, Any]]) -> None:
    """Delete rows matched on every column of each dict (a composite key), in one executemany."""
    if not rows:
        return
    columns = list(rows[0])
    statement = delete(table).where(
        *[table.c[name] == bindparam(f"match_{name}") for name in columns]
    )
    session.connection().execute(
        statement, [{f"match_{k}": v for k, v in row.items()} for row in rows]
    )
