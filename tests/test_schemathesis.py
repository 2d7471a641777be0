"""Schemathesis against the app's own OpenAPI, in process (ASGI), for every operation.

Run twice: with a write key (what a PMO integration holds) and with no key at all. Every
answer must be a documented status code with a documented content type and match its
documented schema; no 5xx; invalid data (negative mode) must be rejected with a 4xx; a method
a path does not serve must be a 405 naming the allowed ones. With the write key, a resource
created (201 with `Location`) must be readable right away, and one deleted (204) must be gone.

The demo portfolio is loaded first, so that reads of real keys are exercised, and put back
after any example that changed it. Reproducible and bounded: a fixed seed, derandomised
generation and few examples per operation.
"""

from dataclasses import dataclass, field
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings
from schemathesis import Case

from app.core.config import Settings
from app.db.engine import Database
from app.main import create_app
from tests import database as testdb
from tests.conftest import ADMIN_SECRET, _key
from tests.portfolio_loader import demo_portfolio, load_portfolio

SEED = 20261123

# Schema-valid data may still be refused for what JSON Schema cannot say: a stale If-Match
# (412), or the contract's semantic 422s (an unknown role or capability named, a body key that
# differs from the URL's, a cursor this service did not issue, an Idempotency-Key reused for
# another body). It must never be a 400, 405, 413 or 415.
POSITIVE_STATUSES = ["2xx", "401", "403", "404", "409", "412", "422", "429"]


def _config(max_examples: int, mode: str, *, coverage: bool) -> schemathesis.Config:
    return schemathesis.Config.from_dict(
        {
            "seed": SEED,
            "generation": {"max-examples": max_examples, "deterministic": True, "mode": mode},
            "checks": {"positive_data_acceptance": {"expected-statuses": POSITIVE_STATUSES}},
            # The coverage phase sends boundary values, every kind of invalid input and the
            # methods a path does not serve (the `unsupported_method` check).
            "phases": {"coverage": {"enabled": coverage}},
        }
    )


# The schema is read from an app built at import time (its OpenAPI needs no database); each
# request goes to the test's own app, bound to the test database.
_schema_app = create_app(Settings(database_url="sqlite://"))  # type: ignore[call-arg]
with_key = schemathesis.openapi.from_asgi(
    "/openapi.json", _schema_app, config=_config(10, "all", coverage=True)
)
# Without a key every API answer is the same 401, whatever the input: fewer examples suffice.
without_key = schemathesis.openapi.from_asgi(
    "/openapi.json", _schema_app, config=_config(4, "all", coverage=False)
)

# The fixtures are per operation; `Fuzzed.fresh` puts the data back per example.
FUZZ_SETTINGS = settings(
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@pytest.fixture
def settings(database_url: str) -> Settings:
    # Schemathesis sends wrong keys on purpose (its `ignored_auth` check) and many requests
    # without one: the limits on those (tests/test_rate_limit.py) must not turn its 401s
    # into 429s here.
    return Settings(
        database_url=database_url,
        bootstrap_admin_key=ADMIN_SECRET,  # type: ignore[arg-type]
        auth_failures_per_minute=1_000_000,
        anonymous_requests_per_minute=1_000_000,
    )


_SAFE = frozenset({"GET", "HEAD", "OPTIONS"})
_PUBLIC = frozenset({"/healthz", "/readyz"})


@dataclass
class Fuzzed:
    """The test database, put back to the demo portfolio whenever an example changed it."""

    database: Database
    seed_rows: dict[str, list[dict[str, Any]]]
    dirty: bool = True
    secret: str = ""
    resets: int = field(default=0)

    def fresh(self) -> dict[str, str]:
        """Headers with a write key, over an unchanged demo portfolio."""
        if self.dirty:
            testdb.reset(self.database.engine, self.seed_rows)
            load_portfolio(self.database, demo_portfolio())
            self.secret = _key(self.database, "fuzz-writer", "write")
            self.dirty = False
            self.resets += 1
        return {"Authorization": f"Bearer {self.secret}"}


@pytest.fixture
def fuzzed(_session_database: tuple[Database, dict[str, list[dict[str, Any]]]]) -> Fuzzed:
    database, seed_rows = _session_database
    return Fuzzed(database, seed_rows)


def _check_lifecycle(app: FastAPI, headers: dict[str, str], case: Case, response: Any) -> None:
    """Readable right after creation; gone right after deletion."""
    method = case.method.upper()
    if response.status_code == 201 and "Location" in response.headers:
        location = response.headers["Location"]
        again = TestClient(app, headers=headers).get(location)
        assert again.status_code == 200, f"{method} created {location}, GET: {again.text}"
    if method == "DELETE" and response.status_code == 204:
        path = case.formatted_path
        again = TestClient(app, headers=headers).get(path)
        assert again.status_code == 404, f"DELETE {path} answered 204, GET: {again.text}"


@with_key.parametrize()
@FUZZ_SETTINGS
def test_every_operation_with_a_write_key(case: Case, fuzzed: Fuzzed, app: FastAPI) -> None:
    headers = fuzzed.fresh()
    response = case.call_and_validate(headers=headers, app=app)
    assert response.status_code < 500
    if case.method.upper() not in _SAFE and response.status_code < 300:
        fuzzed.dirty = True
        _check_lifecycle(app, headers, case, response)


@without_key.parametrize()
@FUZZ_SETTINGS
def test_every_operation_without_a_key(case: Case, fuzzed: Fuzzed, app: FastAPI) -> None:
    fuzzed.fresh()
    case.headers = {k: v for k, v in (case.headers or {}).items() if k.lower() != "authorization"}
    response = case.call_and_validate(app=app)
    if case.path in _PUBLIC:
        return
    # The key is looked at before anything else, the body included: always a 401, and
    # nothing is ever changed.
    assert response.status_code == 401, response.text
    assert response.headers["content-type"][0].startswith("application/problem+json")
    if response.status_code == 401:
        assert response.headers["www-authenticate"][0].startswith("Bearer")
