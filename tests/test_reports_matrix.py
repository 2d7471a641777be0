"""The RACI matrix of an initiative."""

from fastapi.testclient import TestClient

from app.db.engine import Database
from tests.portfolio_loader import demo_portfolio, load_portfolio
from tests.problems import assert_problem


def test_matrix_has_the_initiatives_roles_as_columns_and_a_row_per_component_by_key(
    database: Database, client: TestClient
) -> None:
    load_portfolio(database, demo_portfolio())
    body = client.get("/initiatives/support-chatbot/raci").json()
    assert body == {
        "initiative": "support-chatbot",
        "roles": ["CDO", "CIO", "CMO"],
        "rows": [
            {
                "component": "crm-feed",
                "name": "CRM data feed",
                "group": None,
                "cells": {"CDO": "A", "CIO": "A", "CMO": "I"},
                "agreements": {"CDO": "proposed", "CIO": "proposed", "CMO": "proposed"},
            },
            {
                "component": "nlu",
                "name": "NLU engine",
                "group": None,
                "cells": {"CIO": "AR", "CMO": "C"},
                "agreements": {"CIO": "proposed", "CMO": "proposed"},
            },
            {
                "component": "persona",
                "name": "Conversation design",
                "group": None,
                "cells": {"CDO": "R", "CMO": "A"},
                "agreements": {"CDO": "proposed", "CMO": "proposed"},
            },
        ],
    }
    every = client.get("/initiatives/support-chatbot/raci", params={"roles": "all"}).json()
    assert every["roles"] == ["CDO", "CEO", "CIO", "CMO"]


def test_matrix_of_a_closed_initiative_is_shown_too(database: Database, client: TestClient) -> None:
    load_portfolio(database, demo_portfolio())
    body = client.get("/initiatives/legacy-portal/raci").json()
    assert body["rows"] == [
        {"component": "site", "name": "Portal site", "group": None, "cells": {}, "agreements": {}}
    ]


def test_a_new_role_holding_a_cell_becomes_a_column(database: Database, client: TestClient) -> None:
    load_portfolio(
        database,
        {
            "roles": [{"code": "CFO", "name": "Chief Financial Officer"}],
            "initiatives": [
                {
                    "key": "x",
                    "name": "X",
                    "components": [{"key": "c", "name": "C", "raci": {"CFO": "AR"}}],
                }
            ],
        },
    )
    body = client.get("/initiatives/x/raci").json()
    assert body["roles"] == ["CFO"]
    assert body["rows"][0]["cells"] == {"CFO": "AR"}
    every = client.get("/initiatives/x/raci", params={"roles": "all"}).json()
    assert every["roles"] == ["CDO", "CEO", "CFO", "CIO", "CMO"]


def test_matrix_of_an_initiative_without_components_has_no_rows(
    database: Database, client: TestClient
) -> None:
    load_portfolio(database, {"initiatives": [{"key": "empty", "name": "Empty"}]})
    assert client.get("/initiatives/empty/raci").json()["rows"] == []


def test_matrix_of_an_unknown_initiative_is_404(client: TestClient) -> None:
    assert_problem(client.get("/initiatives/nope/raci"), 404, detail_contains="nope")


def test_matrix_of_a_malformed_key_is_422(client: TestClient) -> None:
    assert_problem(client.get("/initiatives/Not%20A%20Key/raci"), 422)


def test_matrix_needs_a_key(anon: TestClient) -> None:
    assert_problem(anon.get("/initiatives/x/raci"), 401)
