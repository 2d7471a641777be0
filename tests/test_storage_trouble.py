"""When the database cannot take a request: no connection to be had (refused, "too many
clients", the pool exhausted), a lock held too long by another write, a full disk. Each is a
clear problem+json with Retry-After (503, or 507 for a full disk) that changed nothing;
/readyz tells a full disk."""

import sqlite3
import threading
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, event, text
from sqlalchemy.exc import DBAPIError

from app.audit.recorder import FEED_LOCK
from app.core.config import Settings
from app.db import dialect
from app.db.engine import Database, make_engine
from app.db.errors import STORAGE
from app.main import create_app
from app.wiring import wire
from tests import database as testdb
from tests.conftest import _key
from tests.problems import assert_problem


@pytest.fixture(autouse=True)
def _forget_a_full_disk() -> Iterator[None]:
    STORAGE.clear()
    yield
    STORAGE.clear()


def _client(database: Database, database_url: str, secret: str | None = None) -> TestClient:
    app = create_app(Settings(database_url=database_url, bootstrap_admin_key=None), database)
    headers = {"Authorization": f"Bearer {secret}"} if secret else {}
    return TestClient(app, base_url="http://testserver/api/v1", headers=headers)


def _assert_retry_later(response: Any, status: int = 503) -> dict[str, Any]:
    body = assert_problem(response, status)
    assert int(response.headers["retry-after"]) >= 1
    return body


# -- no connection -----------------------------------------------------------------------------


def _refusing(url: str, error: Exception) -> Database:
    def connect() -> Any:
        raise error

    return wire(Database(create_engine(url, creator=connect)))


@pytest.mark.parametrize(
    ("url", "error"),
    [
        (
            "postgresql+psycopg://",
            psycopg.OperationalError("connection failed: FATAL:  sorry, too many clients already"),
        ),
        ("postgresql+psycopg://", psycopg.errors.TooManyConnections("too many connections")),
        ("sqlite://", sqlite3.OperationalError("unable to open database file")),
    ],
    ids=["pg-too-many-clients", "pg-53300", "sqlite-cannot-open"],
)
def test_a_refused_connection_is_503_with_retry_after(url: str, error: Exception) -> None:
    database = _refusing(url, error)
    with _client(database, url, "raci_any-key-000000000000000000000000000000000") as http:
        body = _assert_retry_later(http.get("/roles"))
        assert "retry" in body["detail"].lower()
        _assert_retry_later(http.post("/roles", json={"code": "CFO", "name": "x"}))


@pytest.fixture
def small_pool(database_url: str, database: Database) -> Iterator[Database]:
    """The test database behind a pool of one connection that gives up after 0.2 s."""
    engine = make_engine(database_url, pool_size=1, max_overflow=0)
    engine.pool._timeout = 0.2  # type: ignore[attr-defined]
    yield wire(Database(engine))
    engine.dispose()


def test_an_exhausted_pool_is_503_with_retry_after_not_500(
    small_pool: Database, database_url: str
) -> None:
    secret = _key(small_pool, "pmo-tool", "write")
    with _client(small_pool, database_url, secret) as http:
        assert http.get("/roles").status_code == 200  # the key is now known to this process
        held = small_pool.engine.connect()
        try:
            _assert_retry_later(http.get("/roles"))
            _assert_retry_later(http.put("/roles/CFO", json={"name": "Finance"}))
        finally:
            held.close()
        assert http.get("/roles/CFO").status_code == 404  # nothing was written
        assert http.put("/roles/CFO", json={"name": "Finance"}).status_code == 201


# -- a lock held by a long write ---------------------------------------------------------------


@pytest.fixture
def impatient(database_url: str, database: Database) -> Iterator[Database]:
    """The test database, giving up on a lock after 0.3 s."""
    engine = make_engine(database_url, busy_timeout_ms=300, lock_timeout_ms=300)
    yield wire(Database(engine))
    engine.dispose()


def test_a_writer_behind_a_long_import_gets_503_with_retry_after_not_a_hang(
    impatient: Database, database_url: str, database: Database
) -> None:
    secret = _key(impatient, "pmo-tool", "write")
    holding, release = threading.Event(), threading.Event()

    def long_import() -> None:
        # What a long import holds until it commits: SQLite's one write lock; on PostgreSQL
        # the audit feed's lock, which every audited write takes.
        writer = database.engine.execution_options(sqlite_immediate=True)
        with writer.connect() as connection:
            connection.begin()  # SQLite: BEGIN IMMEDIATE, its one write lock
            dialect.lock_transaction(connection, FEED_LOCK)  # PostgreSQL
            holding.set()
            release.wait(30)
            connection.rollback()

    importer = threading.Thread(target=long_import)
    importer.start()
    try:
        assert holding.wait(30)
        with _client(impatient, database_url, secret) as http:
            http.get("/roles")
            response = http.put("/roles/CFO", json={"name": "Finance"})
            body = _assert_retry_later(response)
            assert "lock" in body["detail"] and "nothing was changed" in body["detail"]
            assert response.headers["retry-after"] == "5"
    finally:
        release.set()
        importer.join(30)
    with _client(impatient, database_url, secret) as http:
        assert_problem(http.get("/roles/CFO"), 404)
        assert http.put("/roles/CFO", json={"name": "Finance"}).status_code == 201


# -- a full disk -------------------------------------------------------------------------------


@pytest.fixture
def full_sqlite(tmp_path: Any) -> Iterator[tuple[Database, str]]:
    """An SQLite database that cannot grow any more: a disk full, as SQLite reports it."""
    url = f"sqlite:///{tmp_path}/full.db"
    testdb.migrate(url)
    engine = make_engine(url)
    with engine.connect() as connection:
        pages = connection.exec_driver_sql("PRAGMA page_count").scalar()

    @event.listens_for(engine, "connect")
    def _cap(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.execute(f"PRAGMA max_page_count={int(pages or 1)}")

    engine.dispose()
    database = wire(Database(engine))
    yield database, url
    engine.dispose()


def test_a_full_disk_is_507_changes_nothing_and_readyz_says_so(
    full_sqlite: tuple[Database, str],
) -> None:
    database, url = full_sqlite
    secret = _key_when_full(database)
    with _client(database, url, secret) as http:
        assert http.get("http://testserver/readyz").json()["storage"] == "ok"
        description = "x" * 9_000
        answers = [
            http.put(f"/roles/R{n:03d}X", json={"name": "r", "description": description})
            for n in range(200)
        ]
        full = [r for r in answers if r.status_code != 201]
        assert full, "the database never filled up"
        body = assert_problem(full[0], 507, detail_contains="disk is full")
        assert body["type"] == "urn:raci:problem:insufficient-storage"
        assert full[0].headers["retry-after"]
        assert all(r.status_code == 507 for r in full)
        ready = http.get("http://testserver/readyz")
        assert ready.status_code == 503
        assert ready.json() == {"status": "unavailable", "database": "ok", "storage": "full"}
        failed_code = full[0].request.url.path.rsplit("/", 1)[1]
        assert_problem(http.get(f"/roles/{failed_code}"), 404)


def _key_when_full(database: Database) -> str:
    # The key goes in before the database is full.
    return _key(database, "pmo-tool", "write")


def test_readyz_reports_a_disk_with_no_room_left(
    anon: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    from app import health

    monkeypatch.setattr(health, "free_disk_bytes", lambda _engine: 1024)
    if testdb.is_postgres(testdb.base_url()):
        pytest.skip("PostgreSQL's disk is the server's: reported from refused writes only")
    response = anon.get("http://testserver/readyz")
    assert response.status_code == 503
    assert response.json()["storage"] == "full"


@pytest.mark.parametrize(
    ("error", "trouble"),
    [
        (psycopg.errors.DiskFull("could not extend file"), "full"),
        (psycopg.errors.LockNotAvailable("lock timeout"), "busy"),
        (psycopg.errors.DeadlockDetected("deadlock"), "busy"),
        (psycopg.errors.TooManyConnections("too many"), "unavailable"),
        (psycopg.errors.AdminShutdown("terminating"), "unavailable"),
        (psycopg.errors.UniqueViolation("duplicate"), None),
        (sqlite3.OperationalError("database or disk is full"), "full"),
        (sqlite3.OperationalError("database is locked"), "busy"),
        (sqlite3.IntegrityError("UNIQUE constraint failed"), None),
    ],
)
def test_storage_trouble_is_told_apart(error: Exception, trouble: str | None) -> None:
    wrapped = DBAPIError.instance("SELECT 1", None, error, type(error).__mro__[1])
    assert dialect.storage_trouble(wrapped) == trouble


def test_postgresql_waits_for_locks_no_longer_than_the_setting(database_url: str) -> None:
    if not testdb.is_postgres(database_url):
        pytest.skip("SQLite waits busy_timeout for its write lock")
    engine = make_engine(database_url, lock_timeout_ms=1234)
    with engine.connect() as connection:
        assert connection.execute(text("SHOW lock_timeout")).scalar() == "1234ms"
    engine.dispose()
