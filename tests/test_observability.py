"""Operability: X-Request-ID on every answer, JSON log lines, Prometheus metrics at /metrics,
/readyz and /metrics when the database is gone, and graceful shutdown of a real server."""

import json
import logging
import signal
import sys
import threading
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from app.core.config import Settings
from app.db.engine import Database, make_engine
from app.idempotency.models import IdempotencyRecord
from app.initiatives.models import Initiative
from app.keys import service as keys_service
from app.keys.schemas import ApiKeyCreate
from app.main import create_app
from app.observability.logging import JsonFormatter, TextFormatter, log_config
from app.observability.metrics import iter_samples
from tests import builders
from tests import database as testdb
from tests.conftest import ADMIN_SECRET
from tests.live_server import LiveServer, client, live_server, wait_until
from tests.problems import assert_problem
from tests.test_health import UNREACHABLE

HEX32 = r"[0-9a-f]{32}"


@pytest.fixture
def settings(database_url: str) -> Settings:
    return Settings(
        database_url=database_url,
        bootstrap_admin_key=ADMIN_SECRET,  # type: ignore[arg-type]
        metrics_findings_max_age_seconds=0,  # fresh findings on every scrape
    )


def _scrape(test_client: TestClient) -> str:
    response = test_client.get("http://testserver/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain; version=0.0.4")
    return response.text


def _value(text: str, name: str, **labels: str) -> float:
    return sum(v for got, v in iter_samples(text, name) if labels.items() <= got.items())


# -- request id --------------------------------------------------------------------------------


def test_every_answer_carries_a_generated_request_id(client: TestClient) -> None:
    ids = set()
    for url in ("/roles", "http://testserver/healthz", "/no-such-thing", "/initiatives/BAD KEY"):
        response = client.get(url)
        assert response.headers["x-request-id"].isalnum()
        assert len(response.headers["x-request-id"]) == 32
        ids.add(response.headers["x-request-id"])
    assert len(ids) == 4


def test_a_sane_incoming_request_id_is_echoed(client: TestClient, anon: TestClient) -> None:
    for test_client in (client, anon):  # also on a 401
        response = test_client.get("/roles", headers={"X-Request-ID": "lb-7f3a:2026/11.23"})
        assert response.headers["x-request-id"] == "lb-7f3a:2026/11.23"


@pytest.mark.parametrize(
    "incoming", ["x" * 129, "has space", 'quote"d', "new\\nline", "ünïcode", ""]
)
def test_an_insane_incoming_request_id_is_replaced(client: TestClient, incoming: str) -> None:
    response = client.get("/roles", headers={"X-Request-ID": incoming.encode("utf-8")})  # type: ignore[dict-item]
    assert response.headers["x-request-id"] != incoming
    assert len(response.headers["x-request-id"]) == 32


def test_answers_given_before_routing_carry_it_too(client: TestClient) -> None:
    too_large = client.post(
        "/roles", content=b"x" * (11 * 1024 * 1024), headers={"Content-Type": "application/json"}
    )
    assert too_large.status_code == 413
    assert len(too_large.headers["x-request-id"]) == 32
    assert len(client.get("http://testserver/metrics").headers["x-request-id"]) == 32


def test_an_unexpected_error_is_a_500_problem_with_the_request_id(
    app: FastAPI,
    database: Database,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    from app.roles import service as roles_service

    def broken(*_args: Any, **_kwargs: Any) -> Any:
        raise RuntimeError("boom")

    monkeypatch.setattr(roles_service, "create_role", broken)
    caplog.set_level(logging.INFO)
    with TestClient(
        app,
        base_url="http://testserver/api/v1",
        headers={"Authorization": f"Bearer {ADMIN_SECRET}"},
        raise_server_exceptions=False,
    ) as test_client:
        response = test_client.post(
            "/roles", json={"code": "CFO", "name": "CFO"}, headers={"X-Request-ID": "trace-500"}
        )
    assert response.status_code == 500
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["x-request-id"] == "trace-500"  # the client can quote it
    assert response.json()["detail"] == "An unexpected error occurred; it has been logged"
    assert "boom" not in response.text
    errors = [r for r in caplog.records if r.name == "raci.errors"]
    assert len(errors) == 1
    assert errors[0].exc_info is not None
    access = [r for r in caplog.records if r.name == "raci.access"]
    assert [r.status for r in access] == [500]  # type: ignore[attr-defined]


# -- logs --------------------------------------------------------------------------------------


def test_each_request_writes_one_json_access_line(
    client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="raci.access")
    response = client.get(
        "/initiatives/support-chatbot?expand=components", headers={"X-Request-ID": "trace-1"}
    )
    assert response.status_code == 404
    records = [r for r in caplog.records if r.name == "raci.access"]
    assert len(records) == 1
    line = JsonFormatter().format(records[0])
    assert "\n" not in line
    entry = json.loads(line)
    assert entry["level"] == "INFO"
    assert entry["logger"] == "raci.access"
    assert entry["request_id"] == "trace-1"
    assert entry["method"] == "GET"
    assert entry["path"] == "/api/v1/initiatives/{key}"  # the template: no key, no query
    assert entry["status"] == 404
    assert entry["actor"] == "pmo-tool"
    assert isinstance(entry["duration_ms"], float) and entry["duration_ms"] >= 0
    assert entry["time"].endswith("+00:00")
    assert entry["message"] == "GET /api/v1/initiatives/{key} 404"


def test_a_logged_error_keeps_the_request_id_and_its_traceback() -> None:
    try:
        raise RuntimeError("boom")
    except RuntimeError:
        record = logging.LogRecord(
            "raci.errors", logging.ERROR, __file__, 1, "bad", (), sys.exc_info()
        )
    record.request_id = "abc"
    entry = json.loads(JsonFormatter().format(record))
    assert entry["request_id"] == "abc"
    assert "RuntimeError: boom" in entry["exception"]
    text = TextFormatter().format(record)
    assert "request_id=abc" in text and "RuntimeError: boom" in text


def test_log_config_sends_uvicorn_through_the_same_formatter() -> None:
    config = log_config("debug", json_lines=False)
    assert config["root"]["level"] == "DEBUG"
    assert config["handlers"]["default"]["formatter"] == "text"
    assert config["loggers"]["uvicorn.error"]["propagate"] is True
    assert config["loggers"]["uvicorn.access"]["level"] == "WARNING"  # the app logs requests


# -- metrics -----------------------------------------------------------------------------------


def test_metrics_count_requests_by_route_template_and_status(client: TestClient) -> None:
    before = _scrape(client)
    labels = {"method": "GET", "route": "/api/v1/initiatives/{key}", "status": "404"}
    client.get("/initiatives/first-unknown")
    client.get("/initiatives/second-unknown?expand=components")
    client.get("/definitely/not/a/route")
    after = _scrape(client)
    assert _value(after, "raci_http_requests_total", **labels) == (
        _value(before, "raci_http_requests_total", **labels) + 2
    )
    assert _value(after, "raci_http_request_duration_seconds_count", **labels) == (
        _value(before, "raci_http_request_duration_seconds_count", **labels) + 2
    )
    assert _value(after, "raci_http_requests_total", route="unmatched", status="404") >= 1
    # Raw paths never become labels: the number of series stays bounded.
    assert "first-unknown" not in after and "definitely" not in after
    assert 'le="0.005"' in after


def test_metrics_need_a_key_and_stay_out_of_the_openapi(
    anon: TestClient, reader: TestClient, app: FastAPI
) -> None:
    response = anon.get("http://testserver/metrics")
    assert_problem(response, 401, detail_contains="API key")
    assert "raci_http" not in response.text
    bad = {"Authorization": "Bearer raci_not-a-key-0000000000000000000000000000000"}
    assert_problem(anon.get("http://testserver/metrics", headers=bad), 401)
    assert reader.get("http://testserver/metrics").status_code == 200  # any scope will do
    assert "/metrics" not in app.openapi()["paths"]


def test_metrics_are_public_only_when_configured(database_url: str, database: Database) -> None:
    settings = Settings(database_url=database_url, metrics_public=True)  # type: ignore[call-arg]
    with TestClient(create_app(settings, database)) as anonymous:
        assert anonymous.get("/metrics").status_code == 200
        # The API still needs its key.
        assert_problem(anonymous.get("/api/v1/roles"), 401)


def test_findings_by_rule_match_the_findings_report(client: TestClient, database: Database) -> None:
    builders.support_chatbot(database)
    builders.initiative(database, "lonely-app", status="active")
    report = client.get("/reports/findings").json()["summary"]["by_rule"]
    assert report["MULTIPLE_ACCOUNTABLE"] == 1 and report["UNSPONSORED_INITIATIVE"] == 1
    text = _scrape(client)
    exported = {labels["rule"]: value for labels, value in iter_samples(text, "raci_findings")}
    assert exported == {rule: float(count) for rule, count in report.items()}
    assert _value(text, "raci_findings", rule="MULTIPLE_ACCOUNTABLE", severity="high") == 1
    assert _value(text, "raci_findings_up") == 1

    client.put("/initiatives/lonely-app", json={"key": "lonely-app", "name": "x", "sponsor": "CMO"})
    assert _value(_scrape(client), "raci_findings", rule="UNSPONSORED_INITIATIVE") == 0


@pytest.fixture
def unreachable() -> Iterator[TestClient]:
    url = UNREACHABLE["postgresql" if testdb.is_postgres(testdb.base_url()) else "sqlite"]
    database = Database(make_engine(url))
    settings = Settings(database_url=url, bootstrap_admin_key=None, metrics_public=True)
    app = create_app(settings, database)
    with TestClient(app) as test_client:
        yield test_client
    database.dispose()


def test_without_a_database_readyz_fails_and_metrics_still_answer(
    unreachable: TestClient,
) -> None:
    assert unreachable.get("/readyz").status_code == 503
    assert unreachable.get("/healthz").status_code == 200
    text = _scrape(unreachable)
    assert _value(text, "raci_findings_up") == 0
    assert _value(text, "raci_http_requests_total", route="/readyz", status="503") >= 1


# -- a real server -----------------------------------------------------------------------------


def _write_key(database: Database) -> str:
    with database.transaction() as session:
        _, secret = keys_service.create_key(session, ApiKeyCreate(name="ops", scope="write"))
    return secret


def _json_lines(server: LiveServer) -> list[dict[str, Any]]:
    lines = [line for line in server.logs().splitlines() if line.strip()]
    return [json.loads(line) for line in lines]  # every line is one JSON object


def test_raci_serve_writes_every_line_as_json_with_request_ids(
    database_url: str, database: Database
) -> None:
    with live_server(database_url, bootstrap_admin_key=ADMIN_SECRET) as server:
        secret = _write_key(database)
        with client(server, secret) as http:
            answer = http.get("/roles", headers={"X-Request-ID": "from-the-edge"})
            assert answer.headers["x-request-id"] == "from-the-edge"
            assert http.get("/initiatives/none-such").status_code == 404
        server.stop()
        entries = _json_lines(server)
    assert any(e["logger"] == "uvicorn.error" and "Started" in e["message"] for e in entries)
    access = [e for e in entries if e["logger"] == "raci.access"]
    assert {
        "request_id": "from-the-edge",
        "method": "GET",
        "path": "/api/v1/roles",
        "status": 200,
        "actor": "ops",
    }.items() <= access[0].items()
    assert access[1]["path"] == "/api/v1/initiatives/{key}" and access[1]["status"] == 404
    logged = server.logs()
    assert secret not in logged and ADMIN_SECRET not in logged and "Bearer" not in logged
    assert "none-such" not in logged  # the route template, not the raw path


def test_sigterm_lets_the_request_in_flight_finish_and_exits_0(
    database_url: str, database: Database
) -> None:
    count = 1_500
    document = {
        "initiatives": [
            {
                "key": f"shutdown-{n:05d}",
                "name": f"Initiative {n}",
                "components": [{"key": "nlu", "name": "NLU", "raci": {"CIO": "AR"}}],
            }
            for n in range(count)
        ]
    }
    server = LiveServer(database_url, shutdown_timeout_seconds="300", log_level="WARNING")
    server.start()
    try:
        secret = _write_key(database)
        answers: list[httpx.Response] = []

        def post() -> None:
            with client(server, secret, timeout=300) as http:
                answers.append(
                    http.post("/imports", json=document, headers={"Idempotency-Key": "slow"})
                )

        thread = threading.Thread(target=post, daemon=True)
        thread.start()

        def in_flight() -> bool:  # the idempotency claim is committed before the work starts
            with database.transaction(write=False) as session:
                return bool(session.scalar(select(func.count()).select_from(IdempotencyRecord)))

        wait_until(in_flight, 120, "the import to be in flight")
        server.signal(signal.SIGTERM)
        thread.join(timeout=300)
        assert answers and answers[0].status_code == 200, answers and answers[0].text
        assert answers[0].json()["initiatives"]["created"] == count
        assert server.wait(timeout=120) == 0
    finally:
        server.stop()
    with database.transaction(write=False) as session:
        assert session.scalar(select(func.count()).select_from(Initiative)) == count


def test_several_workers_share_their_metrics(database_url: str, database: Database) -> None:
    """`raci serve --workers 2` sets PROMETHEUS_MULTIPROC_DIR up: any worker's /metrics
    counts the requests every worker answered."""
    with live_server(
        database_url, "--workers", "2", log_level="WARNING", metrics_public="true"
    ) as server:
        requests = 40
        with httpx.Client(base_url=server.base, timeout=30) as http:
            for _ in range(requests):
                # A new connection each time, so that both workers get some.
                assert http.get("/healthz", headers={"Connection": "close"}).status_code == 200
            text = http.get("/metrics").text
    served = _value(text, "raci_http_requests_total", route="/healthz", status="200")
    assert served >= requests


def test_starting_the_app_computes_no_findings_report(monkeypatch: pytest.MonkeyPatch) -> None:
    from app.observability import metrics

    def refuse(_: object) -> None:
        raise AssertionError("the findings report was computed at start-up")

    monkeypatch.setattr(metrics.FindingsCollector, "_refresh", refuse)
    create_app(Settings(database_url="sqlite:////nonexistent/raci.db"))
