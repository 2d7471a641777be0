"""Limits on unauthenticated work: wrong keys (per address and per key prefix) and requests
with no key are answered 429 with Retry-After once over their limit, before any body is
read; a key that authenticates is never refused, wherever it comes from."""

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from app.auth.resolver import KeyResolver
from app.core.auth_limits import AuthLimiter, ClientAddresses, parse_networks
from app.core.config import Settings
from app.db.engine import Database
from app.idempotency.models import IdempotencyRecord
from app.main import create_app
from tests.conftest import ADMIN_SECRET, _key
from tests.problems import assert_problem

LIMIT = 3
WRONG = {"Authorization": "Bearer raci_this-is-not-a-key-at-all-000000000000"}
GOOD = {"Authorization": f"Bearer {ADMIN_SECRET}"}
PROXY = "10.0.0.5"


def wrong(n: int) -> dict[str, str]:
    """A different wrong key each time (a different prefix too)."""
    return {"Authorization": f"Bearer raci_{n:07d}-not-a-key-at-all-0000000000000000"}


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
        anonymous_requests_per_minute=LIMIT,
        trusted_proxies=PROXY,
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


@pytest.fixture
def proxy(app: FastAPI, clock: FakeClock) -> Iterator[TestClient]:
    """Requests relayed by the trusted reverse proxy."""
    with _client(app, PROXY) as test_client:
        yield test_client


def _fail(attacker: TestClient, times: int = LIMIT, **headers: str) -> None:
    for n in range(times):
        assert attacker.get("/roles", headers={**wrong(n), **headers}).status_code == 401


def test_too_many_wrong_keys_from_one_address_are_429_with_retry_after(
    attacker: TestClient, clock: FakeClock
) -> None:
    _fail(attacker)
    response = attacker.get("/roles", headers=wrong(99))
    body = assert_problem(response, 429, detail_contains="too many failed authentications")
    assert body["type"] == "urn:raci:problem:too-many-requests"
    assert response.headers["retry-after"] == "60"
    clock.now += 45
    assert attacker.get("/roles", headers=wrong(98)).headers["retry-after"] == "15"


def test_a_valid_key_is_never_refused_from_an_address_over_the_limit(
    attacker: TestClient, clock: FakeClock, app: FastAPI
) -> None:
    _fail(attacker)
    for n in range(LIMIT * 3):
        assert attacker.get("/roles", headers=wrong(100 + n)).status_code == 429
    # Not cached yet in this process: it is looked up, and it authenticates.
    app.state.keys.cache.forget(next(iter(app.state.keys.cache._keys), ""))
    assert attacker.get("/roles", headers=GOOD).status_code == 200
    assert (
        attacker.post(
            "/roles", json={"code": "CCO", "name": "Chief Customer Officer"}, headers=GOOD
        ).status_code
        == 201
    )


def test_the_limit_lifts_when_the_window_passes(attacker: TestClient, clock: FakeClock) -> None:
    _fail(attacker)
    assert attacker.get("/roles", headers=wrong(99)).status_code == 429
    clock.now += 60
    assert attacker.get("/roles", headers=wrong(99)).status_code == 401


def test_other_addresses_and_probes_are_not_limited(
    attacker: TestClient, bystander: TestClient
) -> None:
    _fail(attacker)
    assert attacker.get("/roles", headers=wrong(99)).status_code == 429
    assert bystander.get("/roles", headers=wrong(99)).status_code == 401
    assert attacker.get("http://testserver/healthz").status_code == 200
    assert attacker.get("http://testserver/readyz").status_code == 200


def test_one_wrong_key_sent_from_many_addresses_is_limited_by_its_prefix(
    app: FastAPI, clock: FakeClock
) -> None:
    for n in range(LIMIT):
        with _client(app, f"192.0.2.{n + 1}") as somewhere:
            assert somewhere.get("/roles", headers=WRONG).status_code == 401
    with _client(app, "192.0.2.200") as elsewhere:
        assert_problem(elsewhere.get("/roles", headers=WRONG), 429)
        # Another key from that address is not refused.
        assert elsewhere.get("/roles", headers=wrong(7)).status_code == 401
        assert elsewhere.get("/roles", headers=GOOD).status_code == 200


def test_requests_without_a_key_are_throttled_per_address(
    attacker: TestClient, bystander: TestClient, clock: FakeClock
) -> None:
    for _ in range(LIMIT):
        assert_problem(attacker.get("/roles"), 401, detail_contains="Authorization: Bearer")
    response = attacker.post("/imports", content=b"{}" * 1000, headers={"Content-Type": "x/y"})
    assert_problem(response, 429, detail_contains="without an API key")
    assert response.headers["retry-after"] == "60"
    assert bystander.get("/roles").status_code == 401
    assert attacker.get("/roles", headers=GOOD).status_code == 200
    clock.now += 60
    assert attacker.get("/roles").status_code == 401


def test_a_known_wrong_key_over_the_limit_is_not_looked_up_again(
    attacker: TestClient, app: FastAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    _fail(attacker)
    assert attacker.get("/roles", headers=wrong(0)).status_code == 429
    lookups: list[str] = []
    original = KeyResolver.resolve

    def counting(self: KeyResolver, secret: str, **kwargs: Any) -> Any:
        lookups.append(secret)
        return original(self, secret, **kwargs)

    monkeypatch.setattr(KeyResolver, "resolve", counting)
    for _ in range(5):
        assert attacker.get("/roles", headers=wrong(1)).status_code == 429
    assert lookups == []


def test_x_forwarded_for_is_ignored_unless_a_trusted_proxy_sends_it(
    attacker: TestClient, bystander: TestClient
) -> None:
    _fail(attacker)
    # The locked-out client cannot escape by naming another address.
    spoofed = {**wrong(50), "X-Forwarded-For": "192.0.2.77"}
    assert attacker.get("/roles", headers=spoofed).status_code == 429
    # And a bystander cannot get the attacker's address blamed for its failures.
    assert bystander.get("/roles", headers={**wrong(51), "X-Forwarded-For": "203.0.113.7"})


def test_behind_a_trusted_proxy_each_client_has_its_own_limit(proxy: TestClient) -> None:
    _fail(proxy, **{"X-Forwarded-For": "203.0.113.7"})
    noisy = {**wrong(99), "X-Forwarded-For": "203.0.113.7"}
    assert proxy.get("/roles", headers=noisy).status_code == 429
    other = {**wrong(98), "X-Forwarded-For": "198.51.100.20"}
    assert proxy.get("/roles", headers=other).status_code == 401
    # Everyone behind the proxy with a valid key keeps working, the noisy client included.
    assert proxy.get("/roles", headers={**GOOD, "X-Forwarded-For": "203.0.113.7"}).is_success


def test_a_refused_post_reads_no_body_and_keeps_no_idempotency_record(
    attacker: TestClient, clock: FakeClock, database: Database
) -> None:
    _fail(attacker)
    headers = {**wrong(99), "Idempotency-Key": "retry-me"}
    role = {"code": "CCO", "name": "Chief Customer Officer"}
    assert attacker.post("/roles", json=role, headers=headers).status_code == 429
    with database.transaction(write=False) as session:
        assert session.query(IdempotencyRecord).count() == 0


def _asgi_post(app: FastAPI, headers: list[tuple[bytes, bytes]]) -> tuple[int, bool]:
    """POST a 10 MiB JSON body straight through ASGI; (status, whether the body was read)."""
    body_read = False
    statuses: list[int] = []

    async def receive() -> dict[str, Any]:
        nonlocal body_read
        body_read = True
        return {"type": "http.request", "body": b"[" + b"1," * 5_000_000 + b"1]"}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            statuses.append(message["status"])

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/api/v1/imports",
        "raw_path": b"/api/v1/imports",
        "query_string": b"",
        "root_path": "",
        "headers": [
            (b"host", b"testserver"),
            (b"content-type", b"application/json"),
            (b"content-length", b"10000001"),
            (b"idempotency-key", b"k1"),
            *headers,
        ],
        "client": ("192.0.2.9", 1234),
        "server": ("testserver", 80),
    }
    asyncio.run(app(scope, receive, send))
    return statuses[0], body_read


@pytest.mark.parametrize(
    "headers",
    [[], [(b"authorization", b"Bearer raci_unknown-key-0000000000000000000000000000")]],
    ids=["no-key", "unknown-key"],
)
def test_a_request_that_does_not_authenticate_never_has_its_body_read(
    app: FastAPI, headers: list[tuple[bytes, bytes]]
) -> None:
    status, body_read = _asgi_post(app, headers)
    assert status == 401
    assert not body_read


def test_a_request_that_authenticates_has_its_body_read(app: FastAPI, database: Database) -> None:
    secret = _key(database, "importer", "write")
    status, body_read = _asgi_post(app, [(b"authorization", f"Bearer {secret}".encode())])
    assert body_read, status
    assert status == 422  # a list is no import document


def test_429_is_documented_on_api_operations(app: FastAPI) -> None:
    paths = app.openapi()["paths"]
    assert "429" in paths["/api/v1/roles"]["get"]["responses"]
    assert "429" in paths["/api/v1/imports"]["post"]["responses"]


# -- the pieces --------------------------------------------------------------------------------


def test_limiter_counts_failures_in_a_sliding_window() -> None:
    clock = FakeClock()
    limiter = AuthLimiter(2, 100, clock=clock)
    assert limiter.failed("a", "raci_first-wrong-key") is None
    clock.now += 30
    assert limiter.failed("a", "raci_second-wrong-key") is None
    refused = limiter.failed("a", "raci_third-wrong-key")
    assert refused is not None and refused.status == 429
    assert refused.headers == {"Retry-After": "30"}  # until the first failure is a minute old
    assert limiter.known_wrong("a", "raci_second-wrong-key") is not None
    assert limiter.known_wrong("a", "raci_never-tried-key") is None  # to be looked up
    clock.now += 30
    assert limiter.known_wrong("a", "raci_second-wrong-key") is None
    assert limiter.failed("b", "raci_fourth-wrong-key") is None


def test_limiter_memory_is_bounded() -> None:
    limiter = AuthLimiter(1, 1, clock=FakeClock(), max_buckets=100)
    for n in range(1_000):
        limiter.failed(f"10.0.{n // 256}.{n % 256}", f"raci_{n:08d}")
        limiter.anonymous(f"10.1.{n // 256}.{n % 256}")
    assert limiter.remembered() <= 300


@pytest.mark.parametrize(
    ("peer", "forwarded", "expected"),
    [
        ("203.0.113.7", "192.0.2.1", "203.0.113.7"),  # not a proxy: the header is ignored
        ("10.0.0.5", "192.0.2.1", "192.0.2.1"),
        ("10.0.0.5", "192.0.2.66, 192.0.2.1", "192.0.2.1"),  # the nearest untrusted hop
        ("10.0.0.5", "192.0.2.1, 10.0.0.9", "192.0.2.1"),  # past our own proxies
        ("10.0.0.5", "not-an-address", "10.0.0.5"),
        ("10.0.0.5", None, "10.0.0.5"),
    ],
)
def test_client_address_trusts_forwarded_for_only_from_trusted_proxies(
    peer: str, forwarded: str | None, expected: str
) -> None:
    headers = [(b"x-forwarded-for", forwarded.encode())] if forwarded else []
    addresses = ClientAddresses(parse_networks("10.0.0.0/24"))
    assert addresses.of({"type": "http", "client": (peer, 1), "headers": headers}) == expected


def test_the_limits_and_proxies_are_settings() -> None:
    app = create_app(Settings(database_url="sqlite://", bootstrap_admin_key=None))
    assert app.state.auth_failures.limit == 30
    assert app.state.auth_failures.addresses.proxies == ()
    with pytest.raises(ValueError, match="RACI_TRUSTED_PROXIES"):
        Settings(database_url="sqlite://", trusted_proxies="10.0.0.0/8, not-a-network")


def test_raci_serve_leaves_forwarded_headers_to_the_app(monkeypatch: pytest.MonkeyPatch) -> None:
    """uvicorn would otherwise rewrite the client address from X-Forwarded-For for any
    local peer, before the app could judge whether the peer is a trusted proxy."""
    from app import cli

    seen: dict[str, Any] = {}

    class FakeUvicorn:
        @staticmethod
        def run(*_args: Any, **kwargs: Any) -> None:
            seen.update(kwargs)

    cli._run_uvicorn(FakeUvicorn, "127.0.0.1", 8000, 1, Settings(database_url="sqlite://"))
    assert seen["proxy_headers"] is False
