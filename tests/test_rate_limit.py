"""Failed-authentication rate limiting: 429 with Retry-After for an address that keeps
sending wrong keys, before its key is looked up; never for requests that authenticate."""

from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from starlette.requests import HTTPConnection

from app.core.auth_limits import FailedAuthLimiter, TooManyFailedAuthentications
from app.core.config import Settings
from app.db.engine import Database
from app.idempotency.models import IdempotencyRecord
from app.main import create_app
from tests.conftest import ADMIN_SECRET
from tests.problems import assert_problem

LIMIT = 3
WRONG = {"Authorization": "Bearer raci_this-is-not-a-key-at-all-000000000000"}
GOOD = {"Authorization": f"Bearer {ADMIN_SECRET}"}


class FakeClock:
    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def settings(database_url: str) -> Settings:
    return Settings(
        database_url=database_url,
        bootstrap_admin_key=ADMIN_SECRET,  # type: ignore[arg-type]
        auth_failures_per_minute=LIMIT,
    )


@pytest.fixture
def clock(app: FastAPI) -> FakeClock:
    fake = FakeClock()
    app.state.auth_failures.clock = fake
    return fake


def _client(app: FastAPI, address: str) -> TestClient:
    return TestClient(app, base_url="http://testserver/api/v1", client=(address, 40000))


@pytest.fixture
def attacker(app: FastAPI, clock: FakeClock) -> Iterator[TestClient]:
    with _client(app, "203.0.113.7") as test_client:
        yield test_client


@pytest.fixture
def bystander(app: FastAPI, clock: FakeClock) -> Iterator[TestClient]:
    with _client(app, "198.51.100.20") as test_client:
        yield test_client


def _fail(attacker: TestClient, times: int = LIMIT) -> None:
    for _ in range(times):
        assert attacker.get("/roles", headers=WRONG).status_code == 401


def test_too_many_failures_from_one_address_are_429_with_retry_after(
    attacker: TestClient, clock: FakeClock
) -> None:
    _fail(attacker)
    response = attacker.get("/roles", headers=WRONG)
    body = assert_problem(response, 429, detail_contains="too many failed authentications")
    assert body["type"] == "urn:raci:problem:too-many-requests"
    assert response.headers["retry-after"] == "60"
    # Checked before the key: a right key from that address is refused too, and costs it
    # nothing more (the window does not grow).
    assert attacker.get("/roles", headers=GOOD).status_code == 429
    clock.now += 45
    assert attacker.get("/roles", headers=WRONG).headers["retry-after"] == "15"


def test_the_limit_lifts_when_the_window_passes(attacker: TestClient, clock: FakeClock) -> None:
    _fail(attacker)
    assert attacker.get("/roles", headers=GOOD).status_code == 429
    clock.now += 60
    assert attacker.get("/roles", headers=GOOD).status_code == 200


def test_other_addresses_and_probes_are_not_limited(
    attacker: TestClient, bystander: TestClient
) -> None:
    _fail(attacker)
    assert attacker.get("/roles", headers=WRONG).status_code == 429
    assert bystander.get("/roles", headers=GOOD).status_code == 200
    assert attacker.get("http://testserver/healthz").status_code == 200
    assert attacker.get("http://testserver/readyz").status_code == 200


def test_successful_and_keyless_requests_do_not_count(attacker: TestClient) -> None:
    for _ in range(LIMIT * 5):
        assert attacker.get("/roles", headers=GOOD).status_code == 200
        assert attacker.get("/roles").status_code == 401  # no key: a mistake, not a guess
    _fail(attacker, LIMIT - 1)
    assert attacker.get("/roles", headers=GOOD).status_code == 200


def test_a_blocked_post_reads_no_body_and_keeps_no_idempotency_record(
    attacker: TestClient, clock: FakeClock, database: Database
) -> None:
    _fail(attacker)
    headers = {**GOOD, "Idempotency-Key": "retry-me"}
    role = {"code": "CCO", "name": "Chief Customer Officer"}
    assert attacker.post("/roles", json=role, headers=headers).status_code == 429
    with database.transaction(write=False) as session:
        assert session.query(IdempotencyRecord).count() == 0
    clock.now += 61
    # The retry with the same Idempotency-Key does the work: the 429 was not kept.
    assert attacker.post("/roles", json=role, headers=headers).status_code == 201


def test_429_is_documented_on_api_operations(app: FastAPI) -> None:
    paths = app.openapi()["paths"]
    assert "429" in paths["/api/v1/roles"]["get"]["responses"]
    assert "429" in paths["/api/v1/imports"]["post"]["responses"]


# -- the limiter itself ------------------------------------------------------------------------


def _connection(address: str) -> HTTPConnection:
    return HTTPConnection({"type": "http", "client": (address, 1), "headers": []})


def test_limiter_counts_failures_in_a_sliding_window() -> None:
    clock = FakeClock()
    limiter = FailedAuthLimiter(2, clock=clock)
    limiter.record_failure(_connection("a"))
    assert limiter.retry_after("a") is None
    clock.now += 30
    limiter.record_failure(_connection("a"))
    assert limiter.retry_after("a") == 30  # until the first failure is a minute old
    with pytest.raises(TooManyFailedAuthentications) as raised:
        limiter.check(_connection("a"))
    assert raised.value.status == 429
    assert raised.value.headers == {"Retry-After": "30"}
    clock.now += 30
    assert limiter.retry_after("a") is None
    limiter.check(_connection("a"))
    assert limiter.retry_after("b") is None


def test_limiter_memory_is_bounded() -> None:
    clock = FakeClock()
    limiter = FailedAuthLimiter(1, clock=clock, max_clients=100)
    for n in range(1_000):
        limiter.record(f"10.0.{n // 256}.{n % 256}")
    assert len(limiter._failures) == 100
    assert limiter.retry_after("10.0.3.231") == 60  # the newest are kept
    assert limiter.retry_after("10.0.0.0") is None


def test_the_limit_is_a_setting() -> None:
    app = create_app(Settings(database_url="sqlite://", bootstrap_admin_key=None))
    assert app.state.auth_failures.limit == 30
