"""KPIs: owners, initiatives served, computed `joint`, `latest` and `status`."""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event, func, select

from app.db.engine import Database
from app.initiatives.models import Initiative
from app.kpis.models import Kpi, KpiInitiative, KpiOwner
from tests.problems import assert_problem, error_locs

# The demo portfolio's KPIs and measurements (a copy kept in the project; tests read no outside folder).
DEMO_KPIS: list[dict[str, Any]] = [
    {
        "key": "csat",
        "name": "Customer satisfaction",
        "unit": "score",
        "direction": "increase",
        "baseline": 72,
        "baseline_date": "2026-01-01",
        "target": 85,
        "target_date": "2027-12-31",
        "owners": ["CMO", "CIO"],
        "initiatives": ["support-chatbot", "customer-360"],
    },
    {
        "key": "containment-rate",
        "name": "Chatbot containment rate",
        "unit": "%",
        "direction": "increase",
        "baseline": 20,
        "baseline_date": "2026-01-01",
        "target": 60,
        "target_date": "2027-12-31",
        "owners": ["CIO"],
        "initiatives": ["support-chatbot"],
    },
    {
        "key": "data-freshness",
        "name": "Customer data freshness",
        "unit": "hours",
        "direction": "decrease",
        "baseline": 48,
        "baseline_date": "2026-01-01",
        "target": 4,
        "target_date": "2027-12-31",
        "owners": ["CDO", "CIO"],
        "initiatives": ["customer-360", "smart-store-iot"],
    },
    {
        "key": "app-rating",
        "name": "App store rating",
        "unit": "stars",
        "direction": "increase",
        "baseline": 3.9,
        "baseline_date": "2026-03-01",
        "target": 4.5,
        "target_date": "2027-12-31",
        "owners": ["CDO", "CMO"],
        "initiatives": ["loyalty-app"],
    },
]
DEMO_MEASUREMENTS: dict[str, list[dict[str, Any]]] = {
    "csat": [
        {"value": 73, "measured_at": "2026-03-31T00:00:00Z"},
        {"value": 74, "measured_at": "2026-10-31T00:00:00Z"},
    ],
    "containment-rate": [{"value": 45, "measured_at": "2026-10-31T00:00:00Z"}],
    "data-freshness": [{"value": 30, "measured_at": "2026-10-31T00:00:00Z"}],
}
DEMO_INITIATIVES = ["support-chatbot", "customer-360", "smart-store-iot", "loyalty-app"]

CSAT = DEMO_KPIS[0]


def add_initiatives(database: Database, *keys: str) -> None:
    """Initiatives straight through the ORM: their endpoints are another domain's."""
    with database.transaction() as session:
        for key in keys:
            session.add(Initiative(key=key, name=key.replace("-", " ").title()))


@pytest.fixture
def initiatives(database: Database) -> list[str]:
    add_initiatives(database, *DEMO_INITIATIVES)
    return DEMO_INITIATIVES


@pytest.fixture
def demo(client: TestClient, initiatives: list[str]) -> None:
    for kpi in DEMO_KPIS:
        assert client.post("/kpis", json=kpi).status_code == 201
    for key, readings in DEMO_MEASUREMENTS.items():
        for reading in readings:
            assert client.post(f"/kpis/{key}/measurements", json=reading).status_code == 201


def csat(**changes: Any) -> dict[str, Any]:
    return {**CSAT, **changes}


def kpi_count(database: Database) -> int:
    with database.transaction(write=False) as session:
        return session.scalar(select(func.count()).select_from(Kpi)) or 0


def link_counts(database: Database) -> tuple[int, int]:
    with database.transaction(write=False) as session:
        owners = session.scalar(select(func.count()).select_from(KpiOwner)) or 0
        links = session.scalar(select(func.count()).select_from(KpiInitiative)) or 0
        return owners, links


# --- The demo portfolio ---------------------------------------------------------------


def test_demo_statuses_as_of_2026_11_23(client: TestClient, demo: None) -> None:
    body = client.get("/kpis", params={"as_of": "2026-11-23"}).json()
    statuses = {kpi["key"]: kpi["status"] for kpi in body["items"]}
    assert statuses == {
        "csat": "off_track",
        "containment-rate": "on_track",
        "data-freshness": "at_risk",
        "app-rating": "no_data",
    }


def test_demo_kpi_reads_back_with_computed_fields(client: TestClient, demo: None) -> None:
    response = client.get("/kpis/csat", params={"as_of": "2026-11-23"})
    assert response.status_code == 200
    assert response.headers["etag"] == '"1"'
    body = response.json()
    assert body["owners"] == ["CIO", "CMO"]
    assert body["initiatives"] == ["customer-360", "support-chatbot"]
    assert body["joint"] is True
    assert body["latest"] == {"value": 74.0, "measured_at": "2026-10-31T00:00:00Z", "note": None}
    assert body["status"] == "off_track"
    assert body["baseline_date"] == "2026-01-01"
    assert body["version"] == 1
    single = client.get("/kpis/containment-rate", params={"as_of": "2026-11-23"}).json()
    assert single["joint"] is False


def test_as_of_hides_later_measurements(client: TestClient, demo: None) -> None:
    before_october = client.get("/kpis/csat", params={"as_of": "2026-10-30"}).json()
    assert before_october["latest"]["value"] == 73.0
    assert before_october["latest"]["measured_at"] == "2026-03-31T00:00:00Z"
    before_any = client.get("/kpis", params={"as_of": "2026-03-30"}).json()
    assert {kpi["status"] for kpi in before_any["items"]} == {"no_data"}
    assert all(kpi["latest"] is None for kpi in before_any["items"])


def test_as_of_sees_measurements_taken_during_that_day(client: TestClient, demo: None) -> None:
    assert client.get("/kpis/csat", params={"as_of": "2026-10-31"}).json()["latest"]["value"] == 74
    client.post(
        "/kpis/app-rating/measurements", json={"value": 4.0, "measured_at": "2026-11-23T23:59:59Z"}
    )
    late = client.get("/kpis/app-rating", params={"as_of": "2026-11-23"}).json()
    assert late["latest"]["value"] == 4.0
    # 23:30 on the 23rd in New York is already the 24th in UTC.
    client.post(
        "/kpis/app-rating/measurements",
        json={"value": 4.1, "measured_at": "2026-11-23T23:30:00-05:00"},
    )
    assert (
        client.get("/kpis/app-rating", params={"as_of": "2026-11-23"}).json()["latest"]["value"]
        == 4.0
    )
    assert (
        client.get("/kpis/app-rating", params={"as_of": "2026-11-24"}).json()["latest"]["value"]
        == 4.1
    )


def test_as_of_defaults_to_today(client: TestClient, demo: None) -> None:
    # Every demo measurement is in the past, so today sees the newest of each.
    body = client.get("/kpis/csat").json()
    assert body["latest"]["value"] == 74.0


def test_a_target_date_passed_makes_an_unmet_kpi_off_track(client: TestClient, demo: None) -> None:
    assert (
        client.get("/kpis/containment-rate", params={"as_of": "2028-01-01"}).json()["status"]
        == "off_track"
    )


def test_filter_by_status_owner_and_initiative(client: TestClient, demo: None) -> None:
    def keys(**params: Any) -> list[str]:
        response = client.get("/kpis", params={"as_of": "2026-11-23", **params})
        assert response.status_code == 200, response.text
        return [kpi["key"] for kpi in response.json()["items"]]

    assert keys(status="off_track") == ["csat"]
    assert keys(status=["off_track", "at_risk"]) == ["csat", "data-freshness"]
    assert keys(status="achieved") == []
    assert keys(owner="cdo") == ["app-rating", "data-freshness"]
    assert keys(owner=["CDO", "CMO"]) == ["app-rating", "csat", "data-freshness"]
    assert keys(initiative="support-chatbot") == ["containment-rate", "csat"]
    assert keys(initiative="support-chatbot", owner="CMO") == ["csat"]
    assert keys(owner="CIO", status="on_track") == ["containment-rate"]


def test_status_filter_pages_walk_every_match_once(
    client: TestClient, initiatives: list[str]
) -> None:
    for index in range(9):
        client.post("/kpis", json=csat(key=f"k{index}", initiatives=[]))
        if index % 3 == 0:
            client.post(
                f"/kpis/k{index}/measurements",
                json={"value": 85, "measured_at": "2026-05-01T00:00:00Z"},
            )
    seen: list[str] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"status": "no_data", "limit": 2, "as_of": "2026-11-23"}
        if cursor:
            params["cursor"] = cursor
        body = client.get("/kpis", params=params).json()
        seen += [kpi["key"] for kpi in body["items"]]
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert seen == ["k1", "k2", "k4", "k5", "k7", "k8"]


def test_pagination_walks_every_kpi_once(client: TestClient) -> None:
    for index in range(7):
        client.post("/kpis", json=csat(key=f"kpi-{index}", initiatives=[]))
    seen: list[str] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"limit": 3, **({"cursor": cursor} if cursor else {})}
        body = client.get("/kpis", params=params).json()
        seen += [kpi["key"] for kpi in body["items"]]
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert seen == [f"kpi-{index}" for index in range(7)]


@contextmanager
def counting_queries(database: Database) -> Iterator[list[str]]:
    statements: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        statements.append(statement)

    event.listen(database.engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(database.engine, "before_cursor_execute", count)


def test_listing_costs_the_same_queries_for_2_or_20_kpis(
    client: TestClient, database: Database, initiatives: list[str]
) -> None:
    def add(first: int, last: int) -> None:
        for index in range(first, last):
            client.post("/kpis", json=csat(key=f"kpi-{index:02}"))
            client.post(
                f"/kpis/kpi-{index:02}/measurements",
                json={"value": 74, "measured_at": "2026-10-31T00:00:00Z"},
            )

    add(0, 2)
    client.get("/kpis")  # warm up: authentication bookkeeping
    with counting_queries(database) as few:
        assert len(client.get("/kpis").json()["items"]) == 2
    add(2, 20)
    client.get("/kpis")
    with counting_queries(database) as many:
        assert len(client.get("/kpis").json()["items"]) == 20
    assert len(many) == len(few)


# --- Writes -----------------------------------------------------------------------------


def test_post_creates_with_location_and_etag(client: TestClient, initiatives: list[str]) -> None:
    response = client.post("/kpis", json=csat(owners=["cmo", "cio"]))
    assert response.status_code == 201
    assert response.headers["location"] == "/api/v1/kpis/csat"
    assert response.headers["etag"] == '"1"'
    body = response.json()
    assert body["owners"] == ["CIO", "CMO"]
    assert body["latest"] is None
    assert body["status"] == "no_data"
    assert client.get("/kpis/csat").json()["name"] == "Customer satisfaction"


def test_direction_defaults_to_increase_and_initiatives_to_none(client: TestClient) -> None:
    body = {k: v for k, v in CSAT.items() if k not in ("direction", "initiatives", "unit")}
    created = client.post("/kpis", json=body).json()
    assert created["direction"] == "increase"
    assert created["initiatives"] == []
    assert created["unit"] is None


def test_target_equal_to_baseline_is_accepted(client: TestClient) -> None:
    response = client.post("/kpis", json=csat(target=72, initiatives=[]))
    assert response.status_code == 201
    assert response.json()["target"] == 72


def test_post_of_a_taken_key_is_409_and_changes_nothing(
    client: TestClient, initiatives: list[str]
) -> None:
    client.post("/kpis", json=CSAT)
    response = client.post("/kpis", json=csat(name="Another"))
    assert_problem(response, 409, detail_contains="already exists")
    assert client.get("/kpis/csat").json()["name"] == "Customer satisfaction"


def test_get_unknown_kpi_is_404(client: TestClient) -> None:
    assert_problem(client.get("/kpis/nope"), 404, detail_contains="nope")


def test_reader_may_read_but_not_write(
    client: TestClient, reader: TestClient, anon: TestClient, initiatives: list[str]
) -> None:
    client.post("/kpis", json=CSAT)
    assert reader.get("/kpis/csat").status_code == 200
    assert_problem(reader.post("/kpis", json=csat(key="other")), 403)
    assert_problem(reader.delete("/kpis/csat"), 403)
    assert_problem(anon.get("/kpis"), 401)


def test_put_creates_then_replaces(client: TestClient, initiatives: list[str]) -> None:
    created = client.put("/kpis/csat", json={k: v for k, v in CSAT.items() if k != "key"})
    assert created.status_code == 201
    assert created.headers["location"] == "/api/v1/kpis/csat"
    replaced = client.put("/kpis/csat", json=csat(target=90))
    assert replaced.status_code == 200
    assert replaced.headers["etag"] == '"2"'
    assert replaced.json()["target"] == 90


def test_put_back_what_was_read_changes_nothing(client: TestClient, demo: None) -> None:
    read = client.get("/kpis/csat").json()
    assert read["latest"] is not None
    response = client.put("/kpis/csat", json=read)
    assert response.status_code == 200
    assert response.json()["version"] == 1
    assert response.json()["updated_at"] == read["updated_at"]


def test_put_naming_the_same_owners_in_another_order_changes_nothing(
    client: TestClient, initiatives: list[str]
) -> None:
    client.post("/kpis", json=CSAT)
    response = client.put(
        "/kpis/csat",
        json=csat(owners=["cio", "CMO"], initiatives=["customer-360", "support-chatbot"]),
    )
    assert response.json()["version"] == 1


def test_changing_owners_or_initiatives_raises_the_version(
    client: TestClient, database: Database, initiatives: list[str]
) -> None:
    client.post("/kpis", json=CSAT)
    owners = client.put("/kpis/csat", json=csat(owners=["CMO", "CIO", "CDO"])).json()
    assert owners["version"] == 2
    assert owners["owners"] == ["CDO", "CIO", "CMO"]
    served = client.put(
        "/kpis/csat", json=csat(owners=["CMO", "CIO", "CDO"], initiatives=["loyalty-app"])
    ).json()
    assert served["version"] == 3
    assert served["initiatives"] == ["loyalty-app"]
    alone = client.put("/kpis/csat", json=csat(owners=["CMO"], initiatives=["loyalty-app"])).json()
    assert alone["version"] == 4
    assert alone["joint"] is False
    assert link_counts(database) == (1, 1)


def test_measurements_do_not_change_the_kpi_version(client: TestClient, demo: None) -> None:
    client.post(
        "/kpis/csat/measurements", json={"value": 75, "measured_at": "2026-11-01T00:00:00Z"}
    )
    assert client.get("/kpis/csat").headers["etag"] == '"1"'


def test_put_with_another_key_in_the_body_is_422(
    client: TestClient, initiatives: list[str]
) -> None:
    client.post("/kpis", json=CSAT)
    response = client.put("/kpis/csat", json=csat(key="nps"))
    assert_problem(response, 422)
    assert error_locs(response) == [["body", "key"]]
    assert_problem(client.get("/kpis/nps"), 404)


def test_patch_is_a_merge_patch(client: TestClient, initiatives: list[str]) -> None:
    client.post("/kpis", json=CSAT)
    response = client.patch(
        "/kpis/csat",
        json={"unit": None, "target": 88},
        headers={"Content-Type": "application/merge-patch+json"},
    )
    assert response.status_code == 200
    body = response.json()
    assert body["unit"] is None
    assert body["target"] == 88
    assert body["owners"] == ["CIO", "CMO"]
    assert body["initiatives"] == ["customer-360", "support-chatbot"]
    assert body["version"] == 2
    assert response.headers["etag"] == '"2"'


def test_patch_replaces_lists_whole(client: TestClient, initiatives: list[str]) -> None:
    client.post("/kpis", json=CSAT)
    body = client.patch("/kpis/csat", json={"owners": ["cdo"], "initiatives": None}).json()
    assert body["owners"] == ["CDO"]
    assert body["initiatives"] == []
    assert body["version"] == 2


def test_patch_of_nothing_changes_nothing(client: TestClient, initiatives: list[str]) -> None:
    client.post("/kpis", json=CSAT)
    response = client.patch("/kpis/csat", json={"status": "achieved", "joint": False})
    assert response.status_code == 200
    assert response.json()["version"] == 1


def test_patch_cannot_clear_a_required_field(client: TestClient, initiatives: list[str]) -> None:
    client.post("/kpis", json=CSAT)
    for field in ["name", "baseline", "owners"]:
        response = client.patch("/kpis/csat", json={field: None})
        assert_problem(response, 422)
        assert error_locs(response) == [["body", field]]
    assert client.get("/kpis/csat").json()["version"] == 1


def test_patch_that_puts_the_target_date_first_is_422(
    client: TestClient, initiatives: list[str]
) -> None:
    client.post("/kpis", json=CSAT)
    response = client.patch("/kpis/csat", json={"baseline_date": "2028-01-01"})
    assert_problem(response, 422)
    assert error_locs(response) == [["body", "target_date"]]
    assert client.get("/kpis/csat").json()["baseline_date"] == "2026-01-01"


def test_stale_if_match_is_412_and_changes_nothing(
    client: TestClient, initiatives: list[str]
) -> None:
    client.post("/kpis", json=CSAT)
    client.patch("/kpis/csat", json={"target": 86})
    stale = {"If-Match": '"1"'}
    assert_problem(client.put("/kpis/csat", json=csat(target=99), headers=stale), 412)
    assert_problem(client.patch("/kpis/csat", json={"target": 99}, headers=stale), 412)
    assert_problem(client.delete("/kpis/csat", headers=stale), 412)
    body = client.get("/kpis/csat").json()
    assert (body["target"], body["version"]) == (86, 2)
    current = client.patch("/kpis/csat", json={"target": 87}, headers={"If-Match": '"2"'})
    assert current.status_code == 200


def test_if_match_on_put_of_a_missing_kpi_is_412(
    client: TestClient, initiatives: list[str]
) -> None:
    response = client.put("/kpis/csat", json=CSAT, headers={"If-Match": '"1"'})
    assert_problem(response, 412)
    assert_problem(client.get("/kpis/csat"), 404)


def test_delete_removes_the_kpi_and_its_measurements(
    client: TestClient, database: Database, demo: None
) -> None:
    assert client.delete("/kpis/csat").status_code == 204
    assert_problem(client.get("/kpis/csat"), 404)
    assert_problem(client.get("/kpis/csat/measurements"), 404)
    assert_problem(client.delete("/kpis/csat"), 404)
    client.post("/kpis", json=CSAT)
    assert client.get("/kpis/csat/measurements").json()["items"] == []


# --- Bad input: 422, and nothing written ---------------------------------------------


def assert_rejected(
    client: TestClient, database: Database, body: dict[str, Any], locs: list[list[Any]]
) -> None:
    before = (kpi_count(database), link_counts(database))
    response = client.post("/kpis", json=body)
    assert_problem(response, 422)
    assert error_locs(response) == locs
    assert (kpi_count(database), link_counts(database)) == before


def test_unknown_owner_is_422_at_its_index(
    client: TestClient, database: Database, initiatives: list[str]
) -> None:
    assert_rejected(client, database, csat(owners=["CMO", "CXO"]), [["body", "owners", 1]])


def test_unknown_initiative_is_422_at_its_index(
    client: TestClient, database: Database, initiatives: list[str]
) -> None:
    body = csat(initiatives=["support-chatbot", "moon-base", "customer-360", "mars-base"])
    assert_rejected(
        client, database, body, [["body", "initiatives", 1], ["body", "initiatives", 3]]
    )


def test_repeated_owner_is_422_even_in_another_case(
    client: TestClient, database: Database, initiatives: list[str]
) -> None:
    assert_rejected(client, database, csat(owners=["CMO", "cio", "cmo"]), [["body", "owners", 2]])


def test_repeated_initiative_is_422(
    client: TestClient, database: Database, initiatives: list[str]
) -> None:
    body = csat(initiatives=["customer-360", "customer-360"])
    assert_rejected(client, database, body, [["body", "initiatives", 1]])


def test_no_owner_is_422(client: TestClient, database: Database, initiatives: list[str]) -> None:
    assert_rejected(client, database, csat(owners=[]), [["body", "owners"]])
    without = {k: v for k, v in CSAT.items() if k != "owners"}
    assert_rejected(client, database, without, [["body", "owners"]])


def test_malformed_owner_code_is_422(
    client: TestClient, database: Database, initiatives: list[str]
) -> None:
    assert_rejected(client, database, csat(owners=["CMO", "c-x"]), [["body", "owners", 1]])


def test_target_date_not_after_baseline_date_is_422(
    client: TestClient, database: Database, initiatives: list[str]
) -> None:
    assert_rejected(client, database, csat(target_date="2026-01-01"), [["body", "target_date"]])
    assert_rejected(client, database, csat(target_date="2025-12-31"), [["body", "target_date"]])


def test_every_problem_is_named_at_once(client: TestClient, database: Database) -> None:
    body = csat(target_date="2025-01-01", owners=["CXO"], initiatives=["nowhere"])
    assert_rejected(
        client,
        database,
        body,
        [["body", "target_date"], ["body", "owners", 0], ["body", "initiatives", 0]],
    )


@pytest.mark.parametrize("field", ["baseline", "target"])
@pytest.mark.parametrize("raw", ["NaN", "Infinity", "-Infinity", "1e999"])
def test_non_finite_numbers_are_422(
    client: TestClient, database: Database, initiatives: list[str], field: str, raw: str
) -> None:
    # Python's JSON parser accepts these literals; the API must not store them.
    text = (
        '{"key": "csat", "name": "Customer satisfaction", "baseline": 72, "target": 85, '
        '"baseline_date": "2026-01-01", "target_date": "2027-12-31", "owners": ["CMO"]}'
    ).replace(f'"{field}": {72 if field == "baseline" else 85}', f'"{field}": {raw}')
    response = client.post("/kpis", content=text, headers={"Content-Type": "application/json"})
    assert_problem(response, 422)
    assert error_locs(response) == [["body", field]]
    assert kpi_count(database) == 0


@pytest.mark.parametrize(
    ("changes", "loc"),
    [
        ({"baseline": "72"}, ["body", "baseline"]),
        ({"target": True}, ["body", "target"]),
        ({"direction": "sideways"}, ["body", "direction"]),
        ({"baseline_date": "2026-13-01"}, ["body", "baseline_date"]),
        ({"baseline_date": 1767225600}, ["body", "baseline_date"]),
        ({"target_date": "soon"}, ["body", "target_date"]),
        ({"key": "Not A Key"}, ["body", "key"]),
        ({"name": ""}, ["body", "name"]),
        ({"name": "x" * 201}, ["body", "name"]),
        ({"unit": "u" * 65}, ["body", "unit"]),
        ({"owners": "CMO"}, ["body", "owners"]),
        ({"owners": [f"R{i:02}" for i in range(21)]}, ["body", "owners"]),
        ({"initiatives": [f"i{i}" for i in range(201)]}, ["body", "initiatives"]),
        ({"initiatives": ["Bad Key"]}, ["body", "initiatives", 0]),
        ({"budget": 1}, ["body", "budget"]),
    ],
)
def test_invalid_fields_are_422(
    client: TestClient,
    database: Database,
    initiatives: list[str],
    changes: dict[str, Any],
    loc: list[Any],
) -> None:
    assert_rejected(client, database, csat(**changes), [loc])


def test_invalid_put_changes_nothing(client: TestClient, initiatives: list[str]) -> None:
    client.post("/kpis", json=CSAT)
    response = client.put("/kpis/csat", json=csat(name="Renamed", owners=["CMO", "CXO"]))
    assert_problem(response, 422)
    assert error_locs(response) == [["body", "owners", 1]]
    body = client.get("/kpis/csat").json()
    assert (body["name"], body["owners"], body["version"]) == (
        "Customer satisfaction",
        ["CIO", "CMO"],
        1,
    )


def test_invalid_patch_changes_nothing(client: TestClient, initiatives: list[str]) -> None:
    client.post("/kpis", json=CSAT)
    response = client.patch("/kpis/csat", json={"name": "Renamed", "initiatives": ["nowhere"]})
    assert_problem(response, 422)
    assert error_locs(response) == [["body", "initiatives", 0]]
    assert client.get("/kpis/csat").json()["name"] == "Customer satisfaction"


@pytest.mark.parametrize(
    "params",
    [
        {"as_of": "yesterday"},
        {"as_of": "2026-02-30"},
        {"status": "fine"},
        {"owner": "c-x"},
        {"initiative": "Not A Key"},
        {"limit": 0},
        {"cursor": "forged"},
        {"colour": "red"},
    ],
)
def test_bad_list_parameters_are_422(client: TestClient, params: dict[str, Any]) -> None:
    assert_problem(client.get("/kpis", params=params), 422)


def test_bad_as_of_on_one_kpi_is_422(client: TestClient, initiatives: list[str]) -> None:
    client.post("/kpis", json=CSAT)
    response = client.get("/kpis/csat", params={"as_of": "2026-11-31"})
    assert_problem(response, 422)
    assert error_locs(response) == [["query", "as_of"]]
