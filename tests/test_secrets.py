"""API key secrets: shown once, at creation, and then nowhere: not in logs, audit entries,
error messages, the database (every text column of every table) or GET /keys. A revoked
key is refused on the very next request."""

import hashlib
import logging
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import LargeBinary, String, Text, select

from app.db.engine import Database
from app.models import Base
from app.observability.logging import JsonFormatter
from tests.problems import assert_problem


def _bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


def _everything_logged(records: list[logging.LogRecord]) -> str:
    """Every record as written (JSON) and as raised (its raw attributes and arguments)."""
    formatter = JsonFormatter()
    return "\n".join(formatter.format(r) + repr(vars(r)) for r in records)


def _text_in_database(database: Database) -> str:
    """Every value of every string or binary column of every table, joined."""
    values: list[str] = []
    with database.transaction(write=False) as session:
        for table in Base.metadata.sorted_tables:
            columns = [c for c in table.columns if isinstance(c.type, String | Text | LargeBinary)]
            if not columns:
                continue
            for row in session.execute(select(*columns)):
                for value in row:
                    if isinstance(value, bytes):
                        value = value.decode("utf-8", errors="replace")
                    if value is not None:
                        values.append(str(value))
    return "\n".join(values)


@pytest.fixture
def logs(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    caplog.set_level(logging.DEBUG)
    return caplog


def _create(admin: TestClient, name: str, scope: str = "write") -> str:
    response = admin.post("/keys", json={"name": name, "scope": scope})
    assert response.status_code == 201, response.text
    assert response.headers["cache-control"] == "no-store"
    secret: str = response.json()["secret"]
    return secret


def test_a_secret_is_shown_once_and_then_nowhere(
    admin: TestClient, anon: TestClient, database: Database, logs: pytest.LogCaptureFixture
) -> None:
    secret = _create(admin, "leaky")
    own = _bearer(secret)
    answers: list[Any] = []

    # Used as it should be, including with an idempotency key and in writes that audit.
    answers.append(anon.get("/roles", headers=own))
    answers.append(anon.put("/roles/CCO", json={"code": "CCO", "name": "CCO"}, headers=own))
    answers.append(
        anon.post(
            "/capabilities",
            json={"key": "crm", "name": "CRM"},
            headers={**own, "Idempotency-Key": "once"},
        )
    )
    # And badly: in the wrong scheme, in paths, queries and bodies, on a 403, a 404, a 422.
    answers.append(anon.get("/roles", headers={"Authorization": f"Basic {secret}"}))
    answers.append(anon.get("/roles", headers=_bearer(secret + "x")))
    answers.append(anon.get("/keys", headers=own))  # 403: write key on key management
    answers.append(anon.get(f"/initiatives/{secret}", headers=own))
    answers.append(anon.put("/roles/CCO", json={"code": "CCO", "name": secret * 20}, headers=own))
    answers.append(anon.post("/keys", json={"name": secret, "scope": "read"}, headers=own))
    answers.append(admin.post("/keys", json={"name": secret, "scope": "read"}))
    answers.append(admin.post("/keys", json={"name": "leaky", "scope": "read"}))  # 409
    for answer in answers[3:]:
        assert answer.status_code >= 400, answer.text
        assert secret not in answer.text
        assert secret not in str(answer.headers)

    listed = admin.get("/keys")
    assert listed.status_code == 200
    assert secret not in listed.text
    assert all("secret" not in key for key in listed.json())

    stored = _text_in_database(database)
    assert hashlib.sha256(secret.encode()).hexdigest() in stored  # the hash, and only it
    assert secret not in stored

    for audit in (admin.get("/audit"), admin.get("/audit", params={"format": "csv"})):
        assert audit.status_code == 200
        assert "CCO" in audit.text
        assert secret not in audit.text
        assert hashlib.sha256(secret.encode()).hexdigest() not in audit.text

    # (The test's own HTTP client logs the URLs it requests: only the server's lines count.)
    logged = _everything_logged([r for r in logs.records if not r.name.startswith("httpx")])
    assert "raci.access" in logged  # the access lines were captured
    assert secret not in logged
    assert secret[len("raci_") :] not in logged
    assert "Bearer" not in logged


def test_a_revoked_key_is_refused_on_the_very_next_request(
    admin: TestClient, anon: TestClient
) -> None:
    secret = _create(admin, "short-lived")
    assert anon.get("/roles", headers=_bearer(secret)).status_code == 200
    assert admin.delete("/keys/short-lived").status_code == 204
    refused = anon.get("/roles", headers=_bearer(secret))
    assert_problem(refused, 401, detail_contains="revoked")
    assert secret not in refused.text
    # Writes too, and an idempotent POST (whose middleware also looks the key up).
    assert (
        anon.put(
            "/roles/CCO", json={"code": "CCO", "name": "x"}, headers=_bearer(secret)
        ).status_code
        == 401
    )
    posted = anon.post(
        "/capabilities",
        json={"key": "crm", "name": "CRM"},
        headers={**_bearer(secret), "Idempotency-Key": "after-revoke"},
    )
    assert posted.status_code == 401


def test_a_revoked_key_is_refused_by_a_running_server_at_once(
    admin: TestClient, anon: TestClient
) -> None:
    """No cache of keys anywhere: revocation in one request is seen by the next one, even
    while the key is being used continuously."""
    secret = _create(admin, "busy", "read")
    for _ in range(5):
        assert anon.get("/roles", headers=_bearer(secret)).status_code == 200
    assert admin.delete("/keys/busy").status_code == 204
    assert anon.get("/roles", headers=_bearer(secret)).status_code == 401


def test_the_log_formatter_redacts_whatever_slips_through() -> None:
    record = logging.LogRecord(
        "raci.test",
        logging.ERROR,
        __file__,
        1,
        "failed with Authorization: Bearer %s and key %s",
        ("abc.def-ghi", "raci_" + "Z" * 43),
        None,
    )
    line = JsonFormatter().format(record)
    assert "abc.def-ghi" not in line
    assert "Z" * 43 not in line
    assert line.count("[REDACTED]") == 2
