"""Crash safety: the server killed with SIGKILL in the middle of a large import, restarted.

The import is one transaction: after the crash it is either all there or not at all, the
database passes its integrity check, and the service starts cleanly and answers. The kill
comes while the import is writing: on SQLite once its transaction holds the write lock and
has spilled pages to the write-ahead log, on PostgreSQL once its transaction has written
rows (it has a transaction id).
"""

import signal
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url

from app.audit.models import AuditEntry
from app.components.models import Component
from app.initiatives.models import Initiative
from app.raci.models import RaciCell
from tests import database as testdb
from tests.live_server import LiveServer, client, wait_until

SECRET = "crash-test-admin-secret-0123456789"
INITIATIVES = 3_000
IMPORT_START_TIMEOUT = 120.0

on_sqlite = pytest.mark.skipif(
    testdb.is_postgres(testdb.base_url()), reason="the SQLite crash test runs in the SQLite run"
)
on_postgres = pytest.mark.skipif(
    not testdb.is_postgres(testdb.base_url()),
    reason="needs PostgreSQL (RACI_TEST_DATABASE_URL)",
)


def large_import() -> dict[str, Any]:
    return {
        "initiatives": [
            {
                "key": f"crash-{n:05d}",
                "name": f"Initiative {n}",
                "status": "active",
                "sponsor": "CMO",
                "tags": ["crash"],
                "components": [
                    {"key": "nlu", "name": "NLU engine", "raci": {"CIO": "AR", "CMO": "C"}},
                    {"key": "persona", "name": "Persona", "raci": {"CMO": "A", "CDO": "R"}},
                ],
            }
            for n in range(INITIATIVES)
        ]
    }


def start(url: str) -> LiveServer:
    return LiveServer(url, bootstrap_admin_key=SECRET, log_level="WARNING").start()


def post_in_background(server: LiveServer) -> threading.Thread:
    """The import, sent from a thread; the answer never comes (the server is killed)."""
    document = large_import()

    def post() -> None:
        try:
            with client(server, SECRET, timeout=300) as http:
                http.post("/imports", json=document)
        except httpx.TransportError:
            pass  # the connection dies with the server

    thread = threading.Thread(target=post, daemon=True)
    thread.start()
    return thread


def kill_and_restart(server: LiveServer, thread: threading.Thread) -> LiveServer:
    server.signal(signal.SIGKILL)
    assert server.wait() == -signal.SIGKILL
    thread.join(timeout=60)
    restarted = start(server.database_url)
    assert httpx.get(restarted.base + "/readyz", timeout=10).status_code == 200
    return restarted


def assert_all_or_nothing(url: str) -> int:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            initiatives = connection.scalar(select(func.count()).select_from(Initiative))
            components = connection.scalar(select(func.count()).select_from(Component))
            cells = connection.scalar(select(func.count()).select_from(RaciCell))
            created = connection.scalar(
                select(func.count())
                .select_from(AuditEntry)
                .where(AuditEntry.resource_type == "initiative")
            )
    finally:
        engine.dispose()
    assert initiatives in {0, INITIATIVES}, initiatives
    assert components == 2 * initiatives
    assert cells == 4 * initiatives
    assert created == initiatives
    return int(initiatives or 0)


def assert_serves(server: LiveServer) -> None:
    """Answers reads and takes writes after the restart."""
    with client(server, SECRET) as http:
        assert http.get("/initiatives", params={"limit": 5}).status_code == 200
        role = http.put("/roles/CCO", json={"code": "CCO", "name": "Chief Customer Officer"})
        assert role.status_code in {200, 201}, role.text
        assert http.get("/reports/findings").status_code == 200


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path}/crash.db"


@pytest.fixture
def postgres_url() -> Iterator[str]:
    with testdb.fresh_database("crash") as url:
        yield url


def _sqlite_writer_busy(path: str) -> bool:
    """True while another connection holds the database's write lock."""
    connection = sqlite3.connect(path, timeout=0, isolation_level=None)
    try:
        connection.execute("BEGIN IMMEDIATE")
        connection.execute("ROLLBACK")
        return False
    except sqlite3.OperationalError as exc:
        assert "locked" in str(exc) or "busy" in str(exc), exc
        return True
    finally:
        connection.close()


@on_sqlite
def test_sigkill_mid_import_on_sqlite_leaves_all_or_nothing(sqlite_url: str) -> None:
    path = make_url(sqlite_url).database
    assert path is not None
    wal = Path(path + "-wal")
    server = start(sqlite_url)
    restarted = None
    try:
        with client(server, SECRET) as http:
            assert http.get("/roles").status_code == 200  # last_used_at written now, not later
        wal_before = wal.stat().st_size if wal.exists() else 0
        thread = post_in_background(server)
        # Mid-write: the import holds the write lock and has spilled at least 256 KiB of
        # its uncommitted pages to the write-ahead log (the log itself is not the commit).
        wait_until(
            lambda: (
                _sqlite_writer_busy(path)
                and wal.exists()
                and wal.stat().st_size > wal_before + 256 * 1024
            ),
            IMPORT_START_TIMEOUT,
            "the import to be writing",
            interval=0.01,
        )
        restarted = kill_and_restart(server, thread)
        assert assert_all_or_nothing(sqlite_url) == 0  # the commit never happened
        assert_serves(restarted)
    finally:
        server.stop()
        if restarted is not None:
            restarted.stop()
    with sqlite3.connect(path) as connection:
        assert connection.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert connection.execute("PRAGMA foreign_key_check").fetchall() == []


@on_postgres
def test_sigkill_mid_import_on_postgresql_leaves_all_or_nothing(postgres_url: str) -> None:
    testdb.migrate(postgres_url)
    server = start(postgres_url)
    restarted = None
    probe = create_engine(postgres_url, isolation_level="AUTOCOMMIT")
    # The import's transaction: it holds the import advisory lock; once it has written a
    # row it has a transaction id.
    writing = text(
        "SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
        "WHERE l.locktype = 'advisory' AND l.granted AND a.backend_xid IS NOT NULL "
        "AND a.datname = current_database()"
    )
    try:
        with client(server, SECRET) as http:
            assert http.get("/roles").status_code == 200  # last_used_at written now, not later
        thread = post_in_background(server)
        with probe.connect() as connection:
            wait_until(
                lambda: bool(connection.scalar(writing)),
                IMPORT_START_TIMEOUT,
                "the import to be writing",
                interval=0.01,
            )
        restarted = kill_and_restart(server, thread)
        assert assert_all_or_nothing(postgres_url) == 0
        with probe.connect() as connection:
            # No transaction of the dead server is left holding locks.
            wait_until(
                lambda: not connection.scalar(writing), 60, "the killed import to be rolled back"
            )
        assert_serves(restarted)
    finally:
        probe.dispose()
        server.stop()
        if restarted is not None:
            restarted.stop()
