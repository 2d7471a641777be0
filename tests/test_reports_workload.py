"""Role workload: A, R, C, I and sponsorships per role."""

from typing import Any

from fastapi.testclient import TestClient

from app.db.engine import Database
from tests.portfolio_loader import demo_portfolio, load_portfolio
from tests.problems import assert_problem


def workload(client: TestClient, **params: Any) -> dict[str, dict[str, Any]]:
    response = client.get("/reports/roles", params=params)
    assert response.status_code == 200, response.text
    return {entry["role"]: entry for entry in response.json()["roles"]}


def test_every_role_appears_even_with_nothing(database: Database, client: TestClient) -> None:
    body = client.get("/reports/roles").json()
    assert [entry["role"] for entry in body["roles"]] == ["CDO", "CEO", "CIO", "CMO"]
    assert all(
        entry
        == {"role": entry["role"], "A": 0, "R": 0, "C": 0, "I": 0, "sponsored": 0, "S": 0, "V": 0}
        for entry in body["roles"]
    )


def test_demo_workload_counts_live_initiatives(database: Database, client: TestClient) -> None:
    load_portfolio(database, demo_portfolio())
    roles = workload(client)
    assert roles["CIO"] == {
        "role": "CIO",
        "A": 4,
        "R": 5,
        "C": 0,
        "I": 0,
        "sponsored": 1,
        "S": 0,
        "V": 0,
    }
    assert roles["CMO"] == {
        "role": "CMO",
        "A": 5,
        "R": 3,
        "C": 3,
        "I": 1,
        "sponsored": 1,
        "S": 0,
        "V": 0,
    }
    assert roles["CDO"] == {
        "role": "CDO",
        "A": 2,
        "R": 1,
        "C": 2,
        "I": 1,
        "sponsored": 2,
        "S": 0,
        "V": 0,
    }
    assert roles["CEO"] == {
        "role": "CEO",
        "A": 0,
        "R": 0,
        "C": 0,
        "I": 0,
        "sponsored": 0,
        "S": 0,
        "V": 0,
    }


def test_include_closed_counts_closed_initiatives_too(
    database: Database, client: TestClient
) -> None:
    load_portfolio(database, demo_portfolio())
    roles = workload(client, include_closed="true")
    assert roles["CIO"]["sponsored"] == 2  # + legacy portal
    assert roles["CMO"] == {
        "role": "CMO",
        "A": 6,
        "R": 4,
        "C": 3,
        "I": 1,
        "sponsored": 2,
        "S": 0,
        "V": 0,
    }


def test_ar_counts_once_as_a_and_once_as_r(database: Database, client: TestClient) -> None:
    load_portfolio(
        database,
        {
            "initiatives": [
                {
                    "key": "x",
                    "name": "X",
                    "sponsor": "CEO",
                    "components": [
                        {"key": "a", "name": "A", "raci": {"CEO": "AR"}},
                        {"key": "b", "name": "B", "raci": {"CEO": "A", "CIO": "AR"}},
                        {"key": "c", "name": "C", "raci": {"CEO": "R"}},
                    ],
                }
            ]
        },
    )
    roles = workload(client)
    assert roles["CEO"] == {
        "role": "CEO",
        "A": 2,
        "R": 2,
        "C": 0,
        "I": 0,
        "sponsored": 1,
        "S": 0,
        "V": 0,
    }
    assert roles["CIO"] == {
        "role": "CIO",
        "A": 1,
        "R": 1,
        "C": 0,
        "I": 0,
        "sponsored": 0,
        "S": 0,
        "V": 0,
    }


def test_portfolio_narrows_the_workload(database: Database, client: TestClient) -> None:
    load_portfolio(database, demo_portfolio())
    roles = workload(client, portfolio="marketing")
    assert roles["CMO"] == {
        "role": "CMO",
        "A": 2,
        "R": 2,
        "C": 0,
        "I": 0,
        "sponsored": 0,
        "S": 0,
        "V": 0,
    }
    assert roles["CIO"]["A"] == 0


def test_bad_parameters_are_422(client: TestClient) -> None:
    assert_problem(client.get("/reports/roles", params={"include_closed": "maybe"}), 422)
    assert_problem(client.get("/reports/roles", params={"portfolio": "finance"}), 422)
    assert_problem(client.get("/reports/roles", params={"role": "CIO"}), 422)
