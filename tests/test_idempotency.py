"""Idempotency-Key on POST: a retry replays the first answer and does the work only once."""

import threading
import time
from datetime import timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from app.db.base import utcnow
from app.db.engine import Database
from app.idempotency import middleware as idempotency_middleware
from app.idempotency.models import IdempotencyRecord
from app.idempotency.service import LEASE
from app.roles import service as roles_service
from app.roles.models import Role
from tests.problems import assert_problem, error_locs

CFO = {"code": "CFO", "name": "Chief Financial Officer"}


def key(value: str) -> dict[str, str]:
    return {"Idempotency-Key": value}


def role_count(database: Database, code: str = "CFO") -> int:
    with database.transaction(write=False) as session:
        return session.scalar(select(func.count()).select_from(Role).where(Role.code == code)) or 0


def records(database: Database) -> list[IdempotencyRecord]:
    with database.transaction(write=False) as session:
        return list(session.scalars(select(IdempotencyRecord).order_by(IdempotencyRecord.id)))


def add_record(database: Database, **fields: Any) -> None:
    now = utcnow()
    values: dict[str, Any] = {
        "api_key_name": "pmo-tool",
        "idempotency_key": "k1",
        "method": "POST",
        "path": "/api/v1/roles",
        "request_hash": "0" * 64,
        "created_at": now,
        "expires_at": now + timedelta(hours=24),
        **fields,
    }
    with database.transaction() as session:
        session.add(IdempotencyRecord(**values))


def test_a_retry_replays_the_first_answer_and_creates_nothing_twice(
    client: TestClient, database: Database
) -> None:
    first = client.post("/roles", json=CFO, headers=key("k1"))
    assert first.status_code == 201
    assert "idempotent-replayed" not in first.headers
    client.patch("/roles/CFO", json={"description": "changed since"})

    again = client.post("/roles", json=CFO, headers=key("k1"))
    assert again.status_code == 201
    assert again.headers["idempotent-replayed"] == "true"
    assert again.content == first.content
    for header in ("location", "etag", "content-type"):
        assert again.headers[header] == first.headers[header]
    assert role_count(database) == 1
    assert client.get("/roles/CFO").json()["version"] == 2


def test_the_same_json_written_differently_is_the_same_request(
    client: TestClient, database: Database
) -> None:
    client.post("/roles", json={"code": "CFO", "name": "x"}, headers=key("k1"))
    again = client.post(
        "/roles",
        content=b'{ "name": "x",\n  "code": "CFO" }',
        headers={**key("k1"), "Content-Type": "application/json"},
    )
    assert again.status_code == 201
    assert again.headers["idempotent-replayed"] == "true"


def test_the_same_key_with_another_body_is_422_and_does_nothing(
    client: TestClient, database: Database
) -> None:
    client.post("/roles", json=CFO, headers=key("k1"))
    other = client.post("/roles", json={"code": "CSO", "name": "x"}, headers=key("k1"))
    body = assert_problem(other, 422, detail_contains="another request")
    assert error_locs(other) == [["header", "Idempotency-Key"]]
    assert body["type"].startswith("urn:raci:problem:")
    assert role_count(database, "CSO") == 0


def test_the_same_key_on_another_path_is_422(client: TestClient, database: Database) -> None:
    client.post("/roles", json=CFO, headers=key("k1"))
    other = client.post("/capabilities", json={"key": "crm", "name": "CRM"}, headers=key("k1"))
    assert_problem(other, 422)


def test_a_retry_waits_for_the_first_request_and_is_409_if_it_is_still_at_work(
    client: TestClient, database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(idempotency_middleware, "IN_FLIGHT_WAIT_SECONDS", 0.3)
    client.post("/roles", json=CFO, headers=key("probe"))
    (probe,) = records(database)
    add_record(database, idempotency_key="k1", request_hash=probe.request_hash)
    started = time.monotonic()
    response = client.post("/roles", json=CFO, headers=key("k1"))
    assert time.monotonic() - started >= 0.3
    assert_problem(response, 409, detail_contains="still being processed")
    assert response.headers["retry-after"] == "1"


def test_a_retry_sent_while_the_first_request_is_at_work_gets_its_answer_replayed(
    client: TestClient, database: Database
) -> None:
    client.post("/roles", json=CFO, headers=key("probe"))
    (probe,) = records(database)
    add_record(database, idempotency_key="k1", request_hash=probe.request_hash)

    def finish_the_first() -> None:
        time.sleep(0.3)
        with database.transaction() as session:
            record = session.scalar(
                select(IdempotencyRecord).where(IdempotencyRecord.idempotency_key == "k1")
            )
            assert record is not None
            record.response_status = 201
            record.response_headers = '[["content-type", "application/json"]]'
            record.response_body = b'{"code": "CFO", "first": true}'

    finisher = threading.Thread(target=finish_the_first)
    finisher.start()
    response = client.post("/roles", json=CFO, headers=key("k1"))
    finisher.join()
    assert response.status_code == 201
    assert response.headers["idempotent-replayed"] == "true"
    assert response.json() == {"code": "CFO", "first": True}


def test_an_abandoned_in_flight_record_is_taken_over(
    client: TestClient, database: Database
) -> None:
    client.post("/roles", json={"code": "CSO", "name": "x"}, headers=key("probe"))
    (probe,) = records(database)
    with database.transaction() as session:
        session.delete(session.get(IdempotencyRecord, probe.id))
    with database.transaction() as session:
        session.execute(Role.__table__.delete().where(Role.code == "CSO"))
    stale = utcnow() - LEASE - timedelta(seconds=1)
    add_record(database, idempotency_key="probe", request_hash=probe.request_hash, created_at=stale)
    response = client.post("/roles", json={"code": "CSO", "name": "x"}, headers=key("probe"))
    assert response.status_code == 201
    assert role_count(database, "CSO") == 1
    (record,) = records(database)
    assert record.response_status == 201


def test_api_keys_do_not_share_idempotency_keys(
    client: TestClient, admin: TestClient, database: Database
) -> None:
    assert client.post("/roles", json=CFO, headers=key("k1")).status_code == 201
    mine = admin.post("/roles", json=CFO, headers=key("k1"))
    assert_problem(mine, 409)  # the work was done again: the code is now taken
    assert "idempotent-replayed" not in mine.headers
    assert sorted(r.api_key_name for r in records(database)) == ["bootstrap", "pmo-tool"]


def test_an_expired_record_is_ignored_and_purged(client: TestClient, database: Database) -> None:
    past = utcnow() - timedelta(hours=25)
    add_record(
        database,
        idempotency_key="k1",
        response_status=201,
        response_headers="[]",
        response_body=b"{}",
        created_at=past,
        expires_at=past + timedelta(hours=24),
    )
    add_record(database, idempotency_key="old", created_at=past, expires_at=past)
    response = client.post("/roles", json=CFO, headers=key("k1"))
    assert response.status_code == 201
    assert "idempotent-replayed" not in response.headers
    assert role_count(database) == 1
    assert [r.idempotency_key for r in records(database)] == ["k1"]
    assert records(database)[0].expires_at > utcnow()


def test_a_4xx_answer_is_replayed_too(client: TestClient, database: Database) -> None:
    taken = client.post("/roles", json={"code": "CMO", "name": "x"}, headers=key("k1"))
    assert_problem(taken, 409)
    client.delete("/roles/CMO")  # the conflict is gone, but the answer stays what it was
    again = client.post("/roles", json={"code": "CMO", "name": "x"}, headers=key("k1"))
    assert_problem(again, 409)
    assert again.headers["idempotent-replayed"] == "true"
    assert again.content == taken.content


def test_a_5xx_answer_is_not_kept_so_the_client_may_retry(
    app: FastAPI, database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.conftest import _key

    secret = _key(database, "pmo-tool", "write")
    original = roles_service.create_role

    def broken(*_args: Any, **_kwargs: Any) -> Any:
        raise RuntimeError("boom")

    monkeypatch.setattr(roles_service, "create_role", broken)
    with TestClient(
        app,
        base_url="http://testserver/api/v1",
        headers={"Authorization": f"Bearer {secret}"},
        raise_server_exceptions=False,
    ) as client:
        failed = client.post("/roles", json=CFO, headers=key("k1"))
        assert failed.status_code == 500
        assert records(database) == []
        monkeypatch.setattr(roles_service, "create_role", original)
        retried = client.post("/roles", json=CFO, headers=key("k1"))
    assert retried.status_code == 201
    assert "idempotent-replayed" not in retried.headers


def test_requests_without_a_valid_key_pass_through_to_their_401(
    anon: TestClient, app: FastAPI, database: Database
) -> None:
    assert_problem(anon.post("/roles", json=CFO, headers=key("k1")), 401)
    with TestClient(
        app, base_url="http://testserver/api/v1", headers={"Authorization": "Bearer nope"}
    ) as stranger:
        assert_problem(stranger.post("/roles", json=CFO, headers=key("k1")), 401)
    assert records(database) == []


def test_a_post_without_the_header_is_not_recorded(client: TestClient, database: Database) -> None:
    assert client.post("/roles", json=CFO).status_code == 201
    assert records(database) == []


def test_an_invalid_idempotency_key_is_422(client: TestClient, database: Database) -> None:
    response = client.post("/roles", json=CFO, headers=key("x" * 256))
    assert_problem(response, 422)
    assert error_locs(response) == [["header", "Idempotency-Key"]]
    assert role_count(database) == 0


def test_an_answer_carrying_a_secret_is_never_stored(admin: TestClient, database: Database) -> None:
    created = admin.post("/keys", json={"name": "pmo-sync", "scope": "write"}, headers=key("k1"))
    assert created.status_code == 201
    secret = created.json()["secret"]
    assert all(secret.encode() not in (r.response_body or b"") for r in records(database))
    assert records(database) == []
    again = admin.post("/keys", json={"name": "pmo-sync", "scope": "write"}, headers=key("k1"))
    assert_problem(again, 409)  # not replayed: the secret was shown once


def test_the_header_is_documented_on_every_post(app: FastAPI) -> None:
    schema = app.openapi()
    assert schema["components"]["parameters"]["IdempotencyKey"]["in"] == "header"
    posts = [item["post"] for path, item in schema["paths"].items() if "post" in item]
    assert posts
    for post in posts:
        assert {"$ref": "#/components/parameters/IdempotencyKey"} in post["parameters"]


def test_concurrent_identical_posts_create_exactly_one_resource(
    client: TestClient, database: Database, database_url: str
) -> None:
    threads = 8
    barrier = threading.Barrier(threads)
    answers: list[httpx.Response] = []
    lock = threading.Lock()

    def post() -> None:
        barrier.wait()
        response = client.post("/roles", json=CFO, headers=key("race"))
        with lock:
            answers.append(response)

    workers = [threading.Thread(target=post) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=60)
    assert len(answers) == threads
    assert role_count(database) == 1
    # Exactly one did the work; every other one got its answer replayed, as a later retry.
    assert [response.status_code for response in answers] == [201] * threads
    replayed = [response.headers.get("idempotent-replayed") for response in answers]
    assert replayed.count(None) == 1 and replayed.count("true") == threads - 1
    assert len({response.text for response in answers}) == 1
    assert len(records(database)) == 1
