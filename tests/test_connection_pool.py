"""A request holds at most one database connection: with a pool smaller than the burst,
requests queue for connections instead of deadlocking on them.

A key's first use in a while writes its last_used_at. That write once ran in a second
transaction while the request's own held a connection: with every connection so held,
each request waited on the others until the pool timed out (a burst of new clients
against a pool of 20 stalled for 30 seconds, and their last_used_at was lost).
"""

import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from app.core.config import Settings
from app.db.engine import Database, make_engine
from app.keys import service as keys_service
from app.keys.schemas import ApiKeyCreate

ORIGIN = {"Origin": "http://testserver"}


def _new_keys(database: Database, scope: str, count: int) -> list[str]:
    secrets = []
    with database.transaction() as session:
        for number in range(count):
            body = ApiKeyCreate(name=f"burst-{scope}-{number}", scope=scope)  # type: ignore[arg-type]
            secrets.append(keys_service.create_key(session, body)[1])
    return secrets


def _app_with_pool(settings: Settings, url: str, size: int) -> Iterator[FastAPI]:
    from app.main import create_app

    own = Database(make_engine(url, pool_size=size, max_overflow=0))
    try:
        yield create_app(settings, own)
    finally:
        own.dispose()


@pytest.fixture
def one_connection(settings: Settings, database_url: str, database: Database) -> Iterator[FastAPI]:
    yield from _app_with_pool(settings, database_url, 1)


@pytest.fixture
def two_connections(settings: Settings, database_url: str, database: Database) -> Iterator[FastAPI]:
    yield from _app_with_pool(settings, database_url, 2)


def test_a_new_key_reads_and_writes_on_a_single_connection(
    one_connection: FastAPI, database: Database
) -> None:
    reader, writer = _new_keys(database, "read", 1) + _new_keys(database, "write", 1)
    with TestClient(one_connection, base_url="http://testserver/api/v1") as api:
        answer = api.get("/roles", headers={"Authorization": f"Bearer {reader}"})
        assert answer.status_code == 200
        answer = api.post(
            "/roles",
            json={"code": "CFO", "name": "Chief Financial Officer"},
            headers={"Authorization": f"Bearer {writer}"},
        )
        assert answer.status_code == 201
    with database.session(write=False) as session:
        used = {key.name: key.last_used_at for key in keys_service.list_keys(session)}
    assert used["burst-read-0"] is not None
    assert used["burst-write-0"] is not None


def test_the_dashboard_signs_in_on_a_single_connection(
    one_connection: FastAPI, database: Database
) -> None:
    (secret,) = _new_keys(database, "read", 1)
    with TestClient(one_connection, follow_redirects=False) as web:
        assert web.post("/dashboard/login", data={"key": secret}, headers=ORIGIN).status_code == 303
        assert web.get("/dashboard").status_code == 200


def test_a_burst_of_new_clients_larger_than_the_pool_is_served(
    two_connections: FastAPI, database: Database
) -> None:
    secrets = _new_keys(database, "read", 12)
    with TestClient(two_connections, base_url="http://testserver/api/v1") as api:

        def fetch(secret: str) -> int:
            return api.get("/roles", headers={"Authorization": f"Bearer {secret}"}).status_code

        began = time.monotonic()
        with ThreadPoolExecutor(max_workers=len(secrets)) as pool:
            statuses = list(pool.map(fetch, secrets * 3))
        elapsed = time.monotonic() - began
    assert statuses == [200] * len(statuses)
    # Far below the pool's 30-second timeout, which a deadlock would have waited out.
    assert elapsed < 10
