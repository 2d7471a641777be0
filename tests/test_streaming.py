"""Streamed reads (app.streaming): the rows SQLAlchemy would give, a few held at a time.

On PostgreSQL they bypass SQLAlchemy's execution (psycopg's `Cursor.stream`), so these
tests hold them to what `Connection.execute` gives and to how the engine fails.
"""

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Connection, func, literal, select, text
from sqlalchemy.exc import DBAPIError, OperationalError

from app.db import Database
from app.initiatives.models import Initiative
from app.streaming import stream_rows

INITIATIVES = {
    f"initiative-{n}": {
        "name": f"Initiative {n}",
        "kind": "chatbot",
        "status": "active" if n % 2 else "planned",
        "start_date": f"2026-0{n}-15",
    }
    for n in range(1, 6)
}
# Dates, UTC timestamps and an expanding IN list: what needs the columns' own conversion
# and the parameters written out.
BY_STATUS = (
    select(Initiative.key, Initiative.start_date, Initiative.created_at, Initiative.version)
    .where(Initiative.status.in_(["active", "on_hold"]))
    .order_by(Initiative.key)
)


@pytest.fixture
def portfolio(client: TestClient) -> None:
    for key, body in INITIATIVES.items():
        client.put(f"/initiatives/{key}", json=body).raise_for_status()


@pytest.mark.usefixtures("portfolio")
@pytest.mark.parametrize("rows_per_fetch", [1, 2, 100])
def test_rows_are_those_the_engine_gives(database: Database, rows_per_fetch: int) -> None:
    with database.engine.connect() as connection:
        expected = [tuple(row) for row in connection.execute(BY_STATUS)]
        streamed = [tuple(row) for row in stream_rows(connection, BY_STATUS, rows_per_fetch)]
    assert [key for key, *_ in expected] == ["initiative-1", "initiative-3", "initiative-5"]
    assert streamed == expected
    assert all(created.tzinfo is not None for *_, created, _version in streamed)


@pytest.mark.usefixtures("portfolio")
def test_a_stream_left_early_leaves_the_connection_usable(database: Database) -> None:
    with database.engine.connect() as connection:
        rows = stream_rows(connection, select(Initiative.key).order_by(Initiative.key), 1)
        assert tuple(next(rows)) == ("initiative-1",)
        rows.close()
        assert connection.execute(select(func.count()).select_from(Initiative)).scalar() == 5


def test_nothing_to_read_gives_no_rows(database: Database) -> None:
    with database.engine.connect() as connection:
        assert list(stream_rows(connection, BY_STATUS, 10)) == []


def _fails_midway(connection: Connection) -> None:
    # The division fails on the server when it reaches the row where n is 0.
    values = select(func.generate_series(3, -1, -1).label("n")).subquery()
    failing = select(literal(6) / values.c.n)
    list(stream_rows(connection, failing, 1))


def test_a_server_error_is_raised_as_sqlalchemys(database: Database) -> None:
    if database.engine.dialect.name != "postgresql":
        pytest.skip("a query failing midway on the server: PostgreSQL")
    with database.engine.connect() as connection:
        with pytest.raises(DBAPIError) as raised:
            _fails_midway(connection)
        assert "division by zero" in str(raised.value.orig)
        assert not raised.value.connection_invalidated
        connection.rollback()
        assert connection.execute(select(literal(1))).scalar() == 1


def test_a_dropped_connection_is_invalidated(database: Database) -> None:
    if database.engine.dialect.name != "postgresql":
        pytest.skip("a connection the server drops: PostgreSQL")
    with database.engine.connect() as connection:
        pid = connection.execute(text("SELECT pg_backend_pid()")).scalar()
        with database.engine.connect() as admin:
            admin.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        with pytest.raises(OperationalError) as raised:
            list(stream_rows(connection, BY_STATUS, 10))
        assert raised.value.connection_invalidated
        assert connection.invalidated
    # The pool hands out a working connection afterwards.
    with database.engine.connect() as connection:
        assert connection.execute(select(literal(1))).scalar() == 1
