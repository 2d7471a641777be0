"""Multi-row statements for the import: executemany through the session's connection.

Going through the Connection, not `Session.execute`, keeps these statements out of the ORM
(and out of the audit recorder's ORM hooks: the import records its own entries).
"""

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Table, bindparam, delete, select, update
from sqlalchemy.orm import Session

from app.db.bulk import insert_many
from app.imports.state import batches


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
