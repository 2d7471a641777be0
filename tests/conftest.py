"""Fixtures: one migrated database per run (SQLite, or PostgreSQL when RACI_TEST_DATABASE_URL
names a server), emptied before every test, and HTTP clients holding keys of each scope."""

import os
from collections.abc import Iterator
from contextlib import contextmanager

# No webhook delivery process beside every app a test starts (each would import the whole
# service); the tests that need one ask for it (tests/test_webhooks*.py).
os.environ.setdefault("RACI_WEBHOOK_WORKER", "off")

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from app.core.config import Settings
from app.db.engine import Database, make_engine
from app.keys import service as keys_service
from app.keys.schemas import ApiKeyCreate
from app.main import create_app
from app.wiring import wire
from tests import database as testdb

ADMIN_SECRET = "test-bootstrap-admin-secret"


@pytest.fixture(scope="session")
def database_url() -> Iterator[str]:
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    with testdb.fresh_database(worker) as url:
        testdb.migrate(url)
        yield url


@pytest.fixture(scope="session")
def _session_database(database_url: str) -> Iterator[tuple[Database, dict]]:
    engine = make_engine(database_url, busy_timeout_ms=30_000, pool_size=5)
    seed = testdb.snapshot_seed(engine)
    database = wire(Database(engine))
    yield database, seed
    database.dispose()


@pytest.fixture
def database(_session_database: tuple[Database, dict]) -> Database:
    """The test database, emptied of everything but the migrations' seed rows."""
    db, seed = _session_database
    testdb.reset(db.engine, seed)
    return db


@pytest.fixture
def settings(database_url: str) -> Settings:
    # Webhook receivers in tests listen on 127.0.0.1; tests drive deliveries themselves.
    return Settings(
        database_url=database_url,
        bootstrap_admin_key=ADMIN_SECRET,  # type: ignore[arg-type]
        webhook_allow_private=True,
        webhook_worker="off",
    )


@pytest.fixture
def app(settings: Settings, database: Database) -> FastAPI:
    return create_app(settings, database)


def _key(database: Database, name: str, scope: str) -> str:
    with database.transaction() as session:
        _, secret = keys_service.create_key(session, ApiKeyCreate(name=name, scope=scope))  # type: ignore[arg-type]
    return secret


@contextmanager
def _client(app: FastAPI, secret: str | None) -> Iterator[TestClient]:
    headers = {"Authorization": f"Bearer {secret}"} if secret else {}
    with TestClient(app, base_url="http://testserver/api/v1", headers=headers) as test_client:
        yield test_client


@pytest.fixture
def anon(app: FastAPI) -> Iterator[TestClient]:
    """A client with no API key."""
    with _client(app, None) as test_client:
        yield test_client


@pytest.fixture
def admin(app: FastAPI) -> Iterator[TestClient]:
    """A client holding the bootstrap admin key."""
    with _client(app, ADMIN_SECRET) as test_client:
        yield test_client


@pytest.fixture
def client(app: FastAPI, database: Database) -> Iterator[TestClient]:
    """A client holding a write key: what a PMO integration uses."""
    with _client(app, _key(database, "pmo-tool", "write")) as test_client:
        yield test_client


@pytest.fixture
def reader(app: FastAPI, database: Database) -> Iterator[TestClient]:
    """A client holding a read-only key."""
    with _client(app, _key(database, "dashboard", "read")) as test_client:
        yield test_client
