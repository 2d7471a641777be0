"""Reads in the event loop (app.loop_reads) and the key check that rides in their statement.

They run on both databases; on PostgreSQL they go through psycopg's asyncio pool, which
only the app's lifespan opens, so the tests open it the same way.
"""

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from datetime import UTC, date, datetime
from typing import Any, TypeVar

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import bindparam, event, select, text

from app.db import Database
from app.errors import Unauthorized
from app.initiatives.models import Initiative
from app.keys.cache import KeyCache, KnownKey, checked, confirmed, known_key
from app.keys.models import ApiKey
from app.loop_reads import SQLiteLoopReads
from tests.problems import assert_problem

T = TypeVar("T")

INITIATIVE = {
    "name": "Customer support chatbot",
    "kind": "chatbot",
    "start_date": "2026-01-15",
    "tags": ["voice", "customer-experience"],
}
BY_KEY = select(Initiative.key, Initiative.start_date, Initiative.created_at).where(
    Initiative.key == bindparam("key")
)


def in_loop(database: Database, read: Callable[[], Awaitable[T]]) -> T:
    """`read` in a fresh event loop, with the loop's reads opened as the lifespan opens them."""

    async def run() -> T:
        async with database.loop_reads.open():
            return await read()

    return asyncio.run(run())


def _known(database: Database, name: str) -> KnownKey:
    with database.transaction(write=False) as session:
        return known_key(session.scalars(select(ApiKey).where(ApiKey.name == name)).one())


def test_rows_come_back_as_a_session_would_give_them(
    client: TestClient, database: Database
) -> None:
    client.put("/initiatives/support-chatbot", json=INITIATIVE).raise_for_status()
    rows = in_loop(database, lambda: database.loop_reads.all(BY_KEY, {"key": "support-chatbot"}))
    with database.transaction(write=False) as session:
        expected = session.execute(BY_KEY, {"key": "support-chatbot"}).mappings().one()
    assert [dict(row) for row in rows] == [dict(expected)]
    assert rows[0]["start_date"] == date(2026, 1, 15)
    created: datetime = rows[0]["created_at"]
    assert created.tzinfo is not None and created.utcoffset() == UTC.utcoffset(created)


def test_a_read_without_the_lifespan_still_answers(client: TestClient, database: Database) -> None:
    client.put("/initiatives/support-chatbot", json=INITIATIVE).raise_for_status()
    rows = asyncio.run(database.loop_reads.all(BY_KEY, {"key": "support-chatbot"}))
    assert [row["key"] for row in rows] == ["support-chatbot"]


def _checked_rows(database: Database, key: KnownKey, cache: KeyCache) -> list[Mapping[Any, Any]]:
    read = checked(BY_KEY)

    async def rows(initiative: str) -> list[Mapping[Any, Any]]:
        found = await database.loop_reads.all(
            read.statement, read.parameters(key, {"key": initiative})
        )
        return confirmed(found, key, cache)

    async def both() -> list[Mapping[Any, Any]]:
        assert await rows("no-such-initiative") == []
        return await rows("support-chatbot")

    return in_loop(database, both)


def test_a_checked_read_finds_rows_and_nothing_alike_for_a_valid_key(
    client: TestClient, database: Database
) -> None:
    client.put("/initiatives/support-chatbot", json=INITIATIVE).raise_for_status()
    key = _known(database, "pmo-tool")
    rows = _checked_rows(database, key, KeyCache())
    assert [row["key"] for row in rows] == ["support-chatbot"]


@pytest.mark.parametrize("change", ["revoked", "scope"])
def test_a_checked_read_refuses_a_key_revoked_or_changed_since_it_was_cached(
    client: TestClient, database: Database, change: str
) -> None:
    client.put("/initiatives/support-chatbot", json=INITIATIVE).raise_for_status()
    key = _known(database, "pmo-tool")
    cache = KeyCache()
    cache.put(key)
    with database.transaction() as session:
        if change == "revoked":
            session.execute(ApiKey.__table__.delete().where(ApiKey.name == key.name))
        else:
            session.execute(
                ApiKey.__table__.update().where(ApiKey.name == key.name).values(scope="admin")
            )
    with pytest.raises(Unauthorized):
        _checked_rows(database, key, cache)
    assert cache.get(key.secret_hash) is None


def test_get_initiative_is_one_statement_with_a_cached_key(
    app: FastAPI, client: TestClient, database: Database
) -> None:
    if not isinstance(database.loop_reads, SQLiteLoopReads):
        pytest.skip("psycopg's own connections: no engine events to count (SQLite run counts)")
    client.put("/initiatives/support-chatbot", json=INITIATIVE).raise_for_status()
    statements: list[str] = []

    def record(_conn: object, _cursor: object, statement: str, *_: object) -> None:
        statements.append(statement)

    engines = {database.engine, database.loop_reads.engine}
    for engine in engines:
        event.listen(engine, "before_cursor_execute", record)
    try:
        answer = client.get("/initiatives/support-chatbot")
    finally:
        for engine in engines:
            event.remove(engine, "before_cursor_execute", record)
    assert answer.status_code == 200
    reads = [s for s in statements if s not in ("BEGIN", "ROLLBACK", "COMMIT")]
    assert len(reads) == 1
    assert "api_key" in reads[0] and "initiative_tag" in reads[0]


def test_get_initiative_answers_as_put_did(client: TestClient) -> None:
    put = client.put("/initiatives/support-chatbot", json=INITIATIVE)
    got = client.get("/initiatives/support-chatbot")
    assert got.status_code == 200
    assert got.json() == put.json()
    assert got.json()["tags"] == ["customer-experience", "voice"]
    assert got.headers["ETag"] == put.headers["ETag"] == '"1"'
    assert got.headers["content-type"] == "application/json"


def test_a_dropped_postgres_connection_is_retried_once(
    client: TestClient, database: Database
) -> None:
    if isinstance(database.loop_reads, SQLiteLoopReads):
        pytest.skip("PostgreSQL's pool of asyncio connections")
    client.put("/initiatives/support-chatbot", json=INITIATIVE).raise_for_status()

    async def read_after_the_server_dropped_the_pool() -> list[str]:
        first = await database.loop_reads.all(BY_KEY, {"key": "support-chatbot"})
        with database.engine.connect() as admin:
            admin.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid() "
                    "AND application_name = ''"
                )
            )
        then = await database.loop_reads.all(BY_KEY, {"key": "support-chatbot"})
        return [row["key"] for row in [*first, *then]]

    assert in_loop(database, read_after_the_server_dropped_the_pool) == ["support-chatbot"] * 2


def test_a_revoked_key_gets_401_from_get_initiative(
    admin: TestClient, app: FastAPI, database: Database
) -> None:
    secret = admin.post("/keys", json={"name": "poller", "scope": "read"}).json()["secret"]
    admin.put("/initiatives/support-chatbot", json=INITIATIVE).raise_for_status()
    with TestClient(
        app, base_url="http://testserver/api/v1", headers={"Authorization": f"Bearer {secret}"}
    ) as poller:
        assert poller.get("/initiatives/support-chatbot").status_code == 200
        with database.transaction() as session:  # as another worker would: past the cache
            session.execute(ApiKey.__table__.delete().where(ApiKey.name == "poller"))
        assert_problem(poller.get("/initiatives/support-chatbot"), 401, detail_contains="revoked")
        assert_problem(poller.get("/initiatives/support-chatbot?expand=components"), 401)
