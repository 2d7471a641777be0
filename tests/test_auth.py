"""Authentication and scopes on every API operation, API keys, the bootstrap and first-admin keys.

The operations are read from the app's own OpenAPI document, so routes added later are
covered without touching this file.
"""

import hashlib
import re
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import ValidationError
from sqlalchemy import select

from app.auth.models import ApiKey
from app.cli import ensure_first_admin
from app.core.config import Settings
from app.db.engine import Database
from app.keys import service as keys_service
from app.main import create_app
from tests.conftest import ADMIN_SECRET
from tests.problems import assert_problem

ORIGIN = "http://testserver"
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
# Plausible values for path parameters, by name; anything else gets a valid key.
PATH_VALUES = {
    "code": "CMO",
    "role_code": "CIO",
    "key": "support-chatbot",
    "component_key": "nlu",
    "name": "pmo-sync",
    "measured_at": "2026-01-15T10:00:00Z",
}


@pytest.fixture
def settings(database_url: str) -> Settings:
    # Dozens of deliberate failures and keyless requests below must not trip the limiters.
    return Settings(
        database_url=database_url,
        bootstrap_admin_key=ADMIN_SECRET,  # type: ignore[arg-type]
        auth_failures_per_minute=1_000_000,
        anonymous_requests_per_minute=1_000_000,
    )


def _api_operations() -> list[tuple[str, str]]:
    """(method, concrete URL) for every operation under /api/v1 in the app's OpenAPI."""
    app = create_app(Settings(database_url="sqlite://", bootstrap_admin_key=None))
    operations = []
    for path, item in app.openapi()["paths"].items():
        if not path.startswith("/api/v1/"):
            continue
        concrete = re.sub(r"\{(\w+)\}", lambda m: PATH_VALUES.get(m.group(1), "sample-1"), path)
        for method in item:
            if method in {"get", "put", "post", "patch", "delete"}:
                operations.append((method.upper(), ORIGIN + concrete))
    return operations


OPERATIONS = _api_operations()
WRITES = [(method, url) for method, url in OPERATIONS if method not in SAFE_METHODS]
KEY_OPERATIONS = [(method, url) for method, url in OPERATIONS if "/api/v1/keys" in url]


def _call(client: TestClient, method: str, url: str, **kwargs: Any) -> httpx.Response:
    body = {"json": {}} if method in {"POST", "PUT", "PATCH"} else {}
    return client.request(method, url, **body, **kwargs)


def test_the_operations_were_found() -> None:
    assert len(OPERATIONS) >= 10
    assert ("POST", f"{ORIGIN}/api/v1/keys") in OPERATIONS


def _refusals(
    client: TestClient,
    operations: list[tuple[str, str]],
    status: int,
    detail_contains: str = "",
    **kwargs: Any,
) -> list[str]:
    """The operations that did not answer a problem+json of `status` (one request each: a
    test per operation would spend its time setting up, not checking)."""
    wrong = []
    for method, url in operations:
        response = _call(client, method, url, **kwargs)
        try:
            assert_problem(response, status, detail_contains=detail_contains)
            if status == 401:
                assert response.headers["www-authenticate"].startswith("Bearer")
        except (AssertionError, KeyError, ValueError):
            wrong.append(f"{method} {url}: {response.status_code} {response.text[:120]}")
    return wrong


def test_every_operation_without_a_key_is_401_with_a_challenge(anon: TestClient) -> None:
    assert _refusals(anon, OPERATIONS, 401) == []


def test_every_operation_with_an_unknown_key_is_401(anon: TestClient) -> None:
    unknown = {"Authorization": "Bearer raci_not-a-real-key"}
    assert _refusals(anon, OPERATIONS, 401, "unknown", headers=unknown) == []


def test_a_read_key_is_403_on_every_change(reader: TestClient) -> None:
    assert _refusals(reader, WRITES, 403, "scope") == []


def test_a_write_key_is_403_on_every_keys_operation(client: TestClient) -> None:
    assert _refusals(client, KEY_OPERATIONS, 403, "admin") == []


def test_an_admin_key_is_let_through_every_read(admin: TestClient) -> None:
    refused = [
        f"{method} {url}: {response.status_code}"
        for method, url in OPERATIONS
        if method == "GET" and (response := _call(admin, method, url)).status_code in {401, 403}
    ]
    assert refused == []


def test_a_basic_authorization_header_is_401(anon: TestClient) -> None:
    response = anon.get("/roles", headers={"Authorization": "Basic dXNlcjpwYXNz"})
    assert_problem(response, 401)


def test_post_keys_answers_201_with_the_secret_once(admin: TestClient, app: FastAPI) -> None:
    response = admin.post("/keys", json={"name": "pmo-sync", "scope": "write"})
    assert response.status_code == 201
    assert response.headers["location"] == "/api/v1/keys/pmo-sync"
    assert response.headers["cache-control"] == "no-store"
    body = response.json()
    assert body["name"] == "pmo-sync"
    assert body["scope"] == "write"
    assert body["secret"].startswith("raci_")
    with TestClient(app, headers={"Authorization": f"Bearer {body['secret']}"}) as holder:
        assert holder.get("/api/v1/roles").status_code == 200
        assert holder.post("/api/v1/keys", json={"name": "x", "scope": "read"}).status_code == 403


def test_post_keys_with_a_taken_name_is_409(admin: TestClient) -> None:
    admin.post("/keys", json={"name": "pmo-sync", "scope": "write"})
    response = admin.post("/keys", json={"name": "pmo-sync", "scope": "admin"})
    assert_problem(response, 409, detail_contains="pmo-sync")


def test_post_keys_refuses_a_bad_scope_or_name(admin: TestClient) -> None:
    assert_problem(admin.post("/keys", json={"name": "pmo-sync", "scope": "root"}), 422)
    assert_problem(admin.post("/keys", json={"name": "PMO Sync", "scope": "read"}), 422)


def test_get_keys_never_shows_a_secret_or_a_hash(admin: TestClient) -> None:
    secret = admin.post("/keys", json={"name": "pmo-sync", "scope": "write"}).json()["secret"]
    response = admin.get("/keys")
    assert response.status_code == 200
    keys = {key["name"]: key for key in response.json()["items"]}
    assert keys["pmo-sync"]["scope"] == "write"
    assert keys["bootstrap"]["scope"] == "admin"
    for key in keys.values():
        assert set(key) <= {"name", "scope", "acts_for", "created_at", "last_used_at"}
    assert secret not in response.text
    assert hashlib.sha256(secret.encode()).hexdigest() not in response.text


def test_the_database_keeps_only_the_hash(admin: TestClient, database: Database) -> None:
    secret = admin.post("/keys", json={"name": "pmo-sync", "scope": "write"}).json()["secret"]
    with database.engine.connect() as connection:
        rows = [dict(row._mapping) for row in connection.execute(ApiKey.__table__.select())]
    stored = [str(value) for row in rows for value in row.values()]
    assert not any(secret in value for value in stored)
    assert not any(ADMIN_SECRET in value for value in stored)
    row = next(row for row in rows if row["name"] == "pmo-sync")
    assert row["secret_hash"] == hashlib.sha256(secret.encode()).hexdigest()


def test_delete_revokes_the_key_at_once(admin: TestClient, app: FastAPI) -> None:
    secret = admin.post("/keys", json={"name": "pmo-sync", "scope": "write"}).json()["secret"]
    with TestClient(app, headers={"Authorization": f"Bearer {secret}"}) as holder:
        assert holder.get("/api/v1/roles").status_code == 200
        assert admin.delete("/keys/pmo-sync").status_code == 204
        assert_problem(holder.get("/api/v1/roles"), 401)
    assert "pmo-sync" not in {key["name"] for key in admin.get("/keys").json()["items"]}
    assert_problem(admin.delete("/keys/pmo-sync"), 404)


def test_last_used_at_is_recorded(admin: TestClient, app: FastAPI) -> None:
    secret = admin.post("/keys", json={"name": "pmo-sync", "scope": "read"}).json()["secret"]
    assert _named(admin, "pmo-sync")["last_used_at"] is None
    with TestClient(app, headers={"Authorization": f"Bearer {secret}"}) as holder:
        holder.get("/api/v1/roles")
    assert _named(admin, "pmo-sync")["last_used_at"] is not None


def _named(admin: TestClient, name: str) -> dict[str, Any]:
    return next(key for key in admin.get("/keys").json()["items"] if key["name"] == name)


@pytest.fixture
def env_database(monkeypatch: pytest.MonkeyPatch, database_url: str) -> str:
    monkeypatch.setenv("RACI_DATABASE_URL", database_url)
    return database_url


def test_the_bootstrap_key_from_the_environment_is_an_admin_key_named_bootstrap(
    monkeypatch: pytest.MonkeyPatch, env_database: str, database: Database
) -> None:
    monkeypatch.setenv("RACI_BOOTSTRAP_ADMIN_KEY", "a-long-container-secret-42")
    app = create_app(Settings(), database)
    with TestClient(
        app, headers={"Authorization": "Bearer a-long-container-secret-42"}
    ) as bootstrap:
        keys = bootstrap.get("/api/v1/keys").json()["items"]
    assert [(key["name"], key["scope"]) for key in keys] == [("bootstrap", "admin")]


def test_a_new_bootstrap_secret_replaces_the_old_one(database: Database, database_url: str) -> None:
    for secret in ("first-bootstrap-secret", "second-bootstrap-secret"):
        settings = Settings(database_url=database_url, bootstrap_admin_key=secret)  # type: ignore[arg-type]
        with TestClient(create_app(settings, database)):
            pass
    app = create_app(Settings(database_url=database_url, bootstrap_admin_key=None), database)
    with TestClient(app) as anon:
        old = anon.get("/api/v1/roles", headers={"Authorization": "Bearer first-bootstrap-secret"})
        new = anon.get("/api/v1/roles", headers={"Authorization": "Bearer second-bootstrap-secret"})
    assert_problem(old, 401)
    assert new.status_code == 200


@pytest.mark.parametrize(
    "secret", ["", "short", "changeme", "CHANGEME", "password", "fifteen-chars-x"]
)
def test_a_weak_bootstrap_key_is_refused_by_the_settings(secret: str) -> None:
    with pytest.raises(ValidationError, match="RACI_BOOTSTRAP_ADMIN_KEY"):
        Settings(bootstrap_admin_key=secret)  # type: ignore[arg-type]


def test_a_weak_bootstrap_key_in_the_environment_is_refused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("RACI_BOOTSTRAP_ADMIN_KEY", "changeme")
    with pytest.raises(ValidationError, match="at least 16 characters"):
        Settings()


@pytest.fixture
def no_bootstrap(database_url: str) -> Settings:
    return Settings(database_url=database_url, bootstrap_admin_key=None)


def _keys(database: Database) -> list[tuple[str, str]]:
    with database.transaction(write=False) as session:
        return [(key.name, key.scope) for key in session.scalars(select(ApiKey))]


def test_first_serve_creates_a_first_admin_key_and_a_second_creates_nothing(
    no_bootstrap: Settings, database: Database
) -> None:
    secret = ensure_first_admin(no_bootstrap, database)
    assert secret is not None and secret.startswith("raci_")
    assert _keys(database) == [("first-admin", "admin")]
    with TestClient(create_app(no_bootstrap, database)) as first_admin:
        response = first_admin.get("/api/v1/keys", headers={"Authorization": f"Bearer {secret}"})
    assert response.status_code == 200

    assert ensure_first_admin(no_bootstrap, database) is None
    assert _keys(database) == [("first-admin", "admin")]


def test_no_first_admin_when_a_bootstrap_key_is_configured(
    settings: Settings, database: Database
) -> None:
    assert ensure_first_admin(settings, database) is None
    assert _keys(database) == []


def test_no_first_admin_when_any_key_exists(
    no_bootstrap: Settings, database: Database, reader: TestClient
) -> None:
    before = _keys(database)
    assert ensure_first_admin(no_bootstrap, database) is None
    assert _keys(database) == before


# -- the keys' lifecycle -----------------------------------------------------------------------


def _serve(database: Database, database_url: str, secret: str | None) -> FastAPI:
    """An app started (its lifespan run: the bootstrap key registered) and stopped."""
    settings = Settings(database_url=database_url, bootstrap_admin_key=secret)  # type: ignore[arg-type]
    app = create_app(settings, database)
    with TestClient(app):
        pass
    return app


def test_a_revoked_bootstrap_key_stays_revoked_until_its_secret_changes(
    database: Database, database_url: str
) -> None:
    first, second = "first-bootstrap-secret", "second-bootstrap-secret"
    app = _serve(database, database_url, first)
    with TestClient(app, base_url=f"{ORIGIN}/api/v1") as http:
        bootstrap = {"Authorization": f"Bearer {first}"}
        other = http.post("/keys", json={"name": "ops", "scope": "admin"}, headers=bootstrap)
        assert other.status_code == 201
        assert http.delete("/keys/bootstrap", headers=bootstrap).status_code == 204
    # The next start does not bring it back...
    app = _serve(database, database_url, first)
    with TestClient(app, base_url=f"{ORIGIN}/api/v1") as http:
        assert_problem(http.get("/roles", headers={"Authorization": f"Bearer {first}"}), 401)
    assert ("bootstrap", "admin") not in _keys(database)
    # ...a new secret does.
    app = _serve(database, database_url, second)
    with TestClient(app, base_url=f"{ORIGIN}/api/v1") as http:
        assert http.get("/roles", headers={"Authorization": f"Bearer {second}"}).status_code == 200
        assert_problem(http.get("/roles", headers={"Authorization": f"Bearer {first}"}), 401)


def test_revoking_the_last_admin_key_is_409_unless_forced(admin: TestClient) -> None:
    body = assert_problem(admin.delete("/keys/bootstrap"), 409, detail_contains="last admin key")
    assert "force=true" in body["detail"]
    assert admin.get("/keys").status_code == 200  # nothing changed
    assert admin.post("/keys", json={"name": "ops", "scope": "admin"}).status_code == 201
    assert admin.delete("/keys/bootstrap").status_code == 204  # its own key: one admin is left
    assert_problem(admin.get("/keys"), 401)


def test_the_last_admin_key_goes_with_force_true(admin: TestClient, database: Database) -> None:
    assert admin.delete("/keys/bootstrap", params={"force": "true"}).status_code == 204
    assert _keys(database) == []


def test_a_write_or_read_key_is_never_the_last_admin_key(admin: TestClient) -> None:
    admin.post("/keys", json={"name": "pmo-sync", "scope": "write"})
    assert admin.delete("/keys/pmo-sync").status_code == 204


def test_get_keys_pages_like_every_list(admin: TestClient) -> None:
    for n in range(5):
        admin.post("/keys", json={"name": f"key-{n}", "scope": "read"})
    names, cursor = [], None
    while True:
        params = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = admin.get("/keys", params=params).json()
        assert len(page["items"]) <= 2
        names += [key["name"] for key in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert names == sorted(names) == ["bootstrap", *(f"key-{n}" for n in range(5))]
    assert_problem(admin.get("/keys", params={"limit": 0}), 422)


def test_a_revoked_key_gets_401_before_any_validation(
    admin: TestClient, app: FastAPI, database: Database
) -> None:
    secret = admin.post("/keys", json={"name": "pmo-sync", "scope": "write"}).json()["secret"]
    with TestClient(app, base_url=f"{ORIGIN}/api/v1") as http:
        holder = {"Authorization": f"Bearer {secret}"}
        assert http.get("/roles", headers=holder).status_code == 200  # now cached
        # Revoked elsewhere (another worker, the command line): this process's cache still
        # knows the key, yet no answer about the request comes before the 401.
        with database.transaction() as session:
            keys_service.revoke_key(session, "pmo-sync")
        bad_requests = [
            ("POST", "/roles", {"json": {"code": "x", "name": ""}}),
            ("PUT", "/roles/CFO", {"json": {"name": 5, "bogus": True}}),
            ("PATCH", "/initiatives/missing", {"json": {"priority": "high"}}),
            ("GET", "/roles", {"params": {"limit": 0}}),
            ("GET", "/roles", {"params": {"bogus": 1}}),
            ("GET", "/initiatives/missing", {}),
            ("POST", "/imports", {"content": b"{not json", "headers": {"X-Any": "1"}}),
            ("DELETE", "/roles/CMO", {"headers": {"If-Match": '"999"'}}),
        ]
        for method, path, kwargs in bad_requests:
            headers = {**holder, **kwargs.pop("headers", {})}
            response = http.request(method, path, headers=headers, **kwargs)
            assert_problem(response, 401, detail_contains="revoked")


def test_a_revoked_key_gets_401_not_a_replayed_answer(
    admin: TestClient, app: FastAPI, database: Database
) -> None:
    secret = admin.post("/keys", json={"name": "pmo-sync", "scope": "write"}).json()["secret"]
    with TestClient(app, base_url=f"{ORIGIN}/api/v1") as http:
        headers = {"Authorization": f"Bearer {secret}", "Idempotency-Key": "once"}
        role = {"code": "CFO", "name": "Finance"}
        assert http.post("/roles", json=role, headers=headers).status_code == 201
        assert http.post("/roles", json=role, headers=headers).headers["idempotent-replayed"]
        with database.transaction() as session:
            keys_service.revoke_key(session, "pmo-sync")
        assert_problem(
            http.post("/roles", json=role, headers=headers), 401, detail_contains="revoked"
        )
