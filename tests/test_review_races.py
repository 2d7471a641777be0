"""Governance reviews under concurrent writers (`raci serve` in a subprocess): however many
requests put a joint KPI off track at once, exactly one review opens. On PostgreSQL the
requests run on parallel connections; on SQLite they queue on its write lock."""

from collections.abc import Iterator
from datetime import timedelta

import httpx
import pytest

from app.db.engine import Database
from app.keys import service as keys_service
from app.keys.schemas import ApiKeyCreate
from tests.live_server import LiveServer, client, live_server
from tests.test_races import assert_no_server_error, at_once
from tests.test_reviews import OFF, TODAY, kpi_body

THREADS = 8


@pytest.fixture(scope="module")
def server(database_url: str) -> Iterator[LiveServer]:
    with live_server(database_url, log_level="WARNING") as running:
        yield running


@pytest.fixture
def secret(database: Database) -> str:
    with database.transaction() as session:
        _, value = keys_service.create_key(session, ApiKeyCreate(name="racer", scope="write"))
    return value


def test_many_off_track_readings_at_once_open_exactly_one_review(
    server: LiveServer, secret: str
) -> None:
    with client(server, secret) as http:
        assert http.post("/kpis", json=kpi_body()).status_code == 201

    def post(i: int, http: httpx.Client) -> httpx.Response:
        day = TODAY - timedelta(days=1 + i)
        return http.post(
            "/kpis/csat/measurements",
            json={"value": OFF, "measured_at": f"{day.isoformat()}T00:00:00Z"},
        )

    responses = at_once(THREADS, post, secret, server)
    assert_no_server_error(responses)
    assert [r.status_code for r in responses] == [201] * THREADS
    with client(server, secret) as http:
        items = http.get("/reviews").json()["items"]
        assert [(r["kpi"], r["state"]) for r in items] == [("csat", "open")]
        audit = http.get("/audit", params={"resource_type": "review"}).json()["items"]
        assert [e["action"] for e in audit] == ["create"]
        assert len(http.get("/kpis/csat/measurements").json()["items"]) == THREADS


def test_decisions_at_once_exactly_one_wins(server: LiveServer, database: Database) -> None:
    with database.transaction() as session:
        _, admin = keys_service.create_key(session, ApiKeyCreate(name="chair", scope="admin"))
    with client(server, admin) as http:
        assert http.post("/kpis", json=kpi_body()).status_code == 201
        day = TODAY - timedelta(days=1)
        reading = {"value": OFF, "measured_at": f"{day.isoformat()}T00:00:00Z"}
        assert http.post("/kpis/csat/measurements", json=reading).status_code == 201
        (review,) = http.get("/reviews").json()["items"]

    def decide(i: int, http: httpx.Client) -> httpx.Response:
        decision = ("keep", "change_owner", "change_model", "change_target")[i % 4]
        return http.post(
            f"/reviews/{review['key']}/decision",
            json={"decision": decision, "rationale": f"Decision number {i}."},
        )

    responses = at_once(THREADS, decide, admin, server)
    assert_no_server_error(responses)
    assert sorted(r.status_code for r in responses) == [200] + [409] * (THREADS - 1)
    (winner,) = [r.json() for r in responses if r.status_code == 200]
    with client(server, admin) as http:
        stored = http.get(f"/reviews/{review['key']}").json()
        assert (stored["decision"], stored["rationale"]) == (
            winner["decision"],
            winner["rationale"],
        )
        audit = http.get("/audit", params={"resource_type": "review"}).json()["items"]
        assert [e["action"] for e in audit] == ["create", "update"]
