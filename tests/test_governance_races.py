"""Governance models activated at once (issue 20): exactly one ends up active."""

from collections.abc import Iterator

import httpx
import pytest

from app.db.engine import Database
from app.keys import service as keys_service
from app.keys.schemas import ApiKeyCreate
from tests.live_server import LiveServer, client, live_server
from tests.test_races import assert_no_server_error, at_once

THREADS = 6
MODELS = ["cmo-cio-partnership", "cdo-beside", "cdo-above"]


@pytest.fixture(scope="module")
def server(database_url: str) -> Iterator[LiveServer]:
    with live_server(database_url, log_level="WARNING") as running:
        yield running


def test_activations_at_once_leave_exactly_one_model_active(
    server: LiveServer, database: Database
) -> None:
    with database.transaction() as session:
        _, secret = keys_service.create_key(session, ApiKeyCreate(name="racer", scope="write"))
    with client(server, secret) as http:
        body = {"name": "Platform", "domain": "technology", "agreed_owner": "CMO"}
        assert http.put("/capabilities/platform", json=body).status_code == 201

    def activate(i: int, http: httpx.Client) -> httpx.Response:
        return http.post(f"/governance-models/{MODELS[i % len(MODELS)]}/activate")

    responses = at_once(THREADS, activate, secret, server)
    assert_no_server_error(responses)
    assert [r.status_code for r in responses] == [200] * THREADS
    with client(server, secret) as http:
        active = [m for m in http.get("/governance-models").json()["items"] if m["active"]]
        assert len(active) == 1
        (model,) = active
        technology = next(o for o in model["owners"] if o["domain"] == "technology")
        assert http.get("/capabilities/platform").json()["agreed_owner"] == technology["owner"]
