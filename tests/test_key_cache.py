"""The per-process cache of API keys: it saves the lookup, never a revocation.

Two apps on one database stand for two app workers: each has its own cache, so a key
revoked through one must be refused at once by the other, which still holds it cached.
"""

from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import event

from app.auth.cache import KeyCache, KnownKey, verify_in_transaction
from app.core.config import Settings
from app.core.errors import Unauthorized
from app.db.engine import Database, make_engine
from app.deps import _commit_and_close
from app.main import create_app
from tests.problems import assert_problem


@pytest.fixture
def other_worker(settings: Settings, database_url: str, database: Database) -> Iterator[FastAPI]:
    """A second app on the same database, with its own engine and key cache."""
    own = Database(make_engine(database_url))
    try:
        yield create_app(settings, own)
    finally:
        own.dispose()


def _holder(app: FastAPI, secret: str) -> TestClient:
    return TestClient(app, headers={"Authorization": f"Bearer {secret}"})


def test_a_key_revoked_through_one_worker_is_refused_at_once_by_another(
    admin: TestClient, other_worker: FastAPI
) -> None:
    secret = admin.post("/keys", json={"name": "pmo-sync", "scope": "read"}).json()["secret"]
    with _holder(other_worker, secret) as holder:
        assert holder.get("/api/v1/roles").status_code == 200
        assert holder.get("/api/v1/roles/CMO").status_code == 200  # served from its cache
        assert len(other_worker.state.keys.cache) == 1

        assert admin.delete("/keys/pmo-sync").status_code == 204

        assert_problem(holder.get("/api/v1/roles"), 401, detail_contains="revoked")
        assert len(other_worker.state.keys.cache) == 0
        assert_problem(holder.get("/api/v1/roles"), 401)


def test_a_revoked_key_cannot_write_either(admin: TestClient, other_worker: FastAPI) -> None:
    secret = admin.post("/keys", json={"name": "pmo-sync", "scope": "write"}).json()["secret"]
    role = {"code": "CFO", "name": "Chief Financial Officer"}
    with _holder(other_worker, secret) as holder:
        assert holder.get("/api/v1/roles").status_code == 200
        assert admin.delete("/keys/pmo-sync").status_code == 204
        assert_problem(holder.post("/api/v1/roles", json=role), 401)
    assert_problem(admin.get("/roles/CFO"), 404)


def test_a_cached_key_costs_one_indexed_probe_and_no_extra_trip(
    app: FastAPI, admin: TestClient
) -> None:
    statements: list[str] = []

    def record(_conn: object, _cursor: object, statement: str, *_: object) -> None:
        statements.append(statement)

    engine = app.state.database.engine
    admin.get("/roles")  # the first use looks the key up and caches it
    event.listen(engine, "before_cursor_execute", record)
    try:
        assert admin.get("/roles/CMO").status_code == 200
    finally:
        event.remove(engine, "before_cursor_execute", record)
    key_statements = [s for s in statements if "api_key" in s]
    assert len(key_statements) == 1
    assert "secret_hash" in key_statements[0]
    assert "last_used_at" not in key_statements[0]


GONE = KnownKey(name="gone", scope="read", secret_hash="0" * 64, last_used_at=None)


def test_the_check_is_the_first_statement_of_the_transaction(database: Database) -> None:
    cache = KeyCache()
    cache.put(GONE)
    with database.session(write=False) as session:
        verify_in_transaction(session, GONE, cache)
        with pytest.raises(Unauthorized):
            session.connection()
    assert cache.get(GONE.secret_hash) is None


def test_a_route_that_runs_no_query_still_gets_its_key_checked(database: Database) -> None:
    session = database.session(write=False)
    verify_in_transaction(session, GONE, KeyCache())
    with pytest.raises(Unauthorized):
        _commit_and_close(session)


def test_the_cache_keeps_the_most_recently_used_keys() -> None:
    cache = KeyCache(max_size=2)
    first, second, third = (
        KnownKey(name=n, scope="read", secret_hash=n * 8, last_used_at=None)
        for n in ("a", "b", "c")
    )
    cache.put(first)
    cache.put(second)
    assert cache.get(first.secret_hash) == first  # now the most recent
    cache.put(third)
    assert cache.get(second.secret_hash) is None
    assert cache.get(first.secret_hash) == first
    assert cache.get(third.secret_hash) == third
