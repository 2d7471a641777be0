"""Probes: liveness while the process runs, readiness only while the database answers."""

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from app.core.config import Settings
from app.db.engine import Database, make_engine
from app.main import create_app
from tests import database as testdb

# Each fails at once and without the network: a folder that does not exist, a closed port.
UNREACHABLE = {
    "sqlite": "sqlite:////nonexistent-raci-folder/raci.db",
    "postgresql": "postgresql+psycopg://postgres@127.0.0.1:1/raci?connect_timeout=2",
}


def test_healthz_is_200_without_a_key(anon: TestClient) -> None:
    response = anon.get("http://testserver/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_readyz_is_200_while_the_database_answers(anon: TestClient) -> None:
    response = anon.get("http://testserver/readyz")
    assert response.status_code == 200
    assert response.json()["database"] == "ok"


@pytest.fixture
def unreachable() -> Iterator[TestClient]:
    url = UNREACHABLE["postgresql" if testdb.is_postgres(testdb.base_url()) else "sqlite"]
    database = Database(make_engine(url))
    app = create_app(Settings(database_url=url, bootstrap_admin_key=None), database)
    with TestClient(app) as test_client:
        yield test_client
    database.dispose()


def test_readyz_is_503_when_the_database_is_unreachable(unreachable: TestClient) -> None:
    response = unreachable.get("/readyz")
    assert response.status_code == 503
    assert response.json()["database"] == "unreachable"


def test_healthz_stays_200_when_the_database_is_unreachable(unreachable: TestClient) -> None:
    assert unreachable.get("/healthz").status_code == 200


def test_an_api_call_while_the_database_is_unreachable_is_a_503_problem(
    unreachable: TestClient,
) -> None:
    response = unreachable.get("/api/v1/roles", headers={"Authorization": "Bearer raci_anything"})
    assert response.status_code == 503
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.headers["retry-after"] == "1"
    assert "Traceback" not in response.text
