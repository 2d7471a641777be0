"""Multi-row statements for the import: executemany through the session's connection.

Going through the Connection, not `Session.execute`, keeps these statements out of the ORM
(and out of the audit recorder's ORM hooks: the import records its own entries).
"""

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Table, bindparam, delete, insert, update
from sqlalchemy.orm import Session

from app.bulk_insert import insert_many
from app.imports.state import batches


def insert_rows(
    session: Session, table: Table, rows: Sequence[dict[str, Any]], returning: Sequence[str] = ()
) -> list[Any]:
    """Insert `rows` in one go (app.bulk_insert); the `returning` columns of each inserted row."""
    if not rows:
        return []
    connection = session.connection()
    if returning:
        statement = insert(table).returning(*[table.c[name] for name in returning])
        return list(connection.execute(statement, list(rows)).all())
    insert_many(connection, table, rows)
    return []


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
