"""Measurements: one reading per KPI and moment, listed oldest first (corrections are in
tests/test_measurement_corrections.py)."""

from datetime import UTC, date, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from app.db.engine import Database
from app.kpis.measurements import kpi_standings, latest_measurements
from app.kpis.models import Kpi, Measurement
from tests.problems import assert_problem, error_locs

KPI = {
    "key": "csat",
    "name": "Customer satisfaction",
    "unit": "score",
    "baseline": 72,
    "baseline_date": "2026-01-01",
    "target": 85,
    "target_date": "2027-12-31",
    "owners": ["CMO", "CIO"],
}
READING = {"value": 74, "measured_at": "2026-10-31T00:00:00Z", "note": "Quarterly survey"}


@pytest.fixture
def kpi(client: TestClient) -> str:
    assert client.post("/kpis", json=KPI).status_code == 201
    return "csat"


def measurement_count(database: Database) -> int:
    with database.transaction(write=False) as session:
        return session.scalar(select(func.count()).select_from(Measurement)) or 0


def test_post_records_a_measurement_with_location(client: TestClient, kpi: str) -> None:
    response = client.post("/kpis/csat/measurements", json=READING)
    assert response.status_code == 201
    assert response.headers["location"] == "/api/v1/kpis/csat/measurements/2026-10-31T00:00:00Z"
    body = response.json()
    assert body["value"] == 74.0
    assert body["measured_at"] == "2026-10-31T00:00:00Z"
    assert body["note"] == "Quarterly survey"
    assert body["created_at"].endswith("Z")
    located = client.get(response.headers["location"].removeprefix("/api/v1"))
    assert located.status_code == 200
    assert located.json() == body


def test_measured_at_with_an_offset_is_stored_in_utc(client: TestClient, kpi: str) -> None:
    response = client.post(
        "/kpis/csat/measurements", json={"value": 73, "measured_at": "2026-03-31T09:30:00+02:00"}
    )
    assert response.status_code == 201
    assert response.json()["measured_at"] == "2026-03-31T07:30:00Z"
    # The same moment written another way is the same measurement.
    again = client.post(
        "/kpis/csat/measurements", json={"value": 73, "measured_at": "2026-03-31T07:30:00Z"}
    )
    assert again.status_code == 200
    # Like every answer carrying a version, the repeated reading's has its ETag.
    assert again.headers["ETag"] == response.headers["ETag"]


def test_the_newest_measurement_becomes_latest(client: TestClient, kpi: str) -> None:
    client.post("/kpis/csat/measurements", json=READING)
    client.post(
        "/kpis/csat/measurements", json={"value": 73, "measured_at": "2026-03-31T00:00:00Z"}
    )
    latest = client.get("/kpis/csat", params={"as_of": "2026-11-23"}).json()["latest"]
    assert latest == {
        "value": 74.0,
        "measured_at": "2026-10-31T00:00:00Z",
        "note": "Quarterly survey",
    }


def test_same_moment_and_value_again_is_200_and_changes_nothing(
    client: TestClient, database: Database, kpi: str
) -> None:
    first = client.post("/kpis/csat/measurements", json=READING).json()
    again = client.post("/kpis/csat/measurements", json={**READING, "note": "resent"})
    assert again.status_code == 200
    assert again.json() == first
    assert measurement_count(database) == 1


def test_same_moment_with_another_value_is_409_and_changes_nothing(
    client: TestClient, database: Database, kpi: str
) -> None:
    client.post("/kpis/csat/measurements", json=READING)
    response = client.post("/kpis/csat/measurements", json={**READING, "value": 75})
    assert_problem(response, 409, detail_contains="74")
    assert measurement_count(database) == 1
    assert client.get("/kpis/csat").json()["latest"]["value"] == 74.0


def test_a_measurement_does_not_change_the_kpi(client: TestClient, kpi: str) -> None:
    before = client.get("/kpis/csat").json()
    client.post("/kpis/csat/measurements", json=READING)
    after = client.get("/kpis/csat")
    assert after.headers["etag"] == '"1"'
    assert after.json()["updated_at"] == before["updated_at"]


def test_unknown_kpi_is_404(client: TestClient, database: Database) -> None:
    assert_problem(
        client.post("/kpis/nope/measurements", json=READING), 404, detail_contains="nope"
    )
    assert_problem(client.get("/kpis/nope/measurements"), 404)
    assert_problem(client.get("/kpis/nope/measurements/2026-10-31T00:00:00Z"), 404)
    assert measurement_count(database) == 0


def test_unknown_moment_is_404(client: TestClient, kpi: str) -> None:
    assert_problem(client.get("/kpis/csat/measurements/2026-10-31T00:00:00Z"), 404)


def test_list_is_oldest_first_and_pages_walk_every_measurement_once(
    client: TestClient, kpi: str
) -> None:
    moments = [f"2026-{month:02}-15T12:00:00Z" for month in (7, 1, 12, 3, 9, 5, 11)]
    for index, moment in enumerate(moments):
        client.post("/kpis/csat/measurements", json={"value": 70 + index, "measured_at": moment})
    seen: list[str] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"limit": 3, **({"cursor": cursor} if cursor else {})}
        response = client.get("/kpis/csat/measurements", params=params)
        assert response.status_code == 200
        body = response.json()
        assert len(body["items"]) <= 3
        seen += [item["measured_at"] for item in body["items"]]
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert seen == sorted(moments)


def test_measurements_of_one_kpi_are_not_listed_under_another(client: TestClient, kpi: str) -> None:
    client.post("/kpis", json={**KPI, "key": "nps"})
    client.post("/kpis/csat/measurements", json=READING)
    assert client.get("/kpis/nps/measurements").json() == {"items": [], "next_cursor": None}


def test_forged_cursor_is_422(client: TestClient, kpi: str) -> None:
    for cursor in ["forged", _kpi_list_cursor(client)]:
        response = client.get("/kpis/csat/measurements", params={"cursor": cursor})
        assert_problem(response, 422, detail_contains="cursor")
        assert error_locs(response) == [["query", "cursor"]]


def _kpi_list_cursor(client: TestClient) -> str:
    """A genuine cursor, but of the KPI list: it names a key, not a moment."""
    client.post("/kpis", json={**KPI, "key": "nps"})
    cursor = client.get("/kpis", params={"limit": 1}).json()["next_cursor"]
    assert cursor
    return str(cursor)


@pytest.mark.parametrize(
    ("body", "loc"),
    [
        ({"value": 74, "measured_at": "2026-10-31T00:00:00"}, ["body", "measured_at"]),
        ({"value": 74, "measured_at": "2026-02-30"}, ["body", "measured_at"]),
        ({"value": 74, "measured_at": "31/10/2026"}, ["body", "measured_at"]),
        ({"value": 74, "measured_at": 1793404800}, ["body", "measured_at"]),
        ({"value": 74, "measured_at": "last tuesday"}, ["body", "measured_at"]),
        ({"value": 74, "measured_at": "0001-01-01T00:00:00+01:00"}, ["body", "measured_at"]),
        ({"measured_at": "2026-10-31T00:00:00Z"}, ["body", "value"]),
        ({"value": 74}, ["body", "measured_at"]),
        ({"value": "74", "measured_at": "2026-10-31T00:00:00Z"}, ["body", "value"]),
        ({"value": None, "measured_at": "2026-10-31T00:00:00Z"}, ["body", "value"]),
        ({**READING, "note": "n" * 501}, ["body", "note"]),
        ({**READING, "note": "bad\x00byte"}, ["body", "note"]),
        ({**READING, "kpi": "nps"}, ["body", "kpi"]),
    ],
)
def test_invalid_measurement_is_422_and_records_nothing(
    client: TestClient, database: Database, kpi: str, body: dict[str, Any], loc: list[Any]
) -> None:
    response = client.post("/kpis/csat/measurements", json=body)
    assert_problem(response, 422)
    assert error_locs(response) == [loc]
    assert measurement_count(database) == 0


@pytest.mark.parametrize("raw", ["NaN", "Infinity", "-Infinity", "1e999"])
def test_non_finite_value_is_422(
    client: TestClient, database: Database, kpi: str, raw: str
) -> None:
    response = client.post(
        "/kpis/csat/measurements",
        content=f'{{"value": {raw}, "measured_at": "2026-10-31T00:00:00Z"}}',
        headers={"Content-Type": "application/json"},
    )
    assert_problem(response, 422)
    assert error_locs(response) == [["body", "value"]]
    assert measurement_count(database) == 0


def test_naive_moment_in_the_url_is_422(client: TestClient, kpi: str) -> None:
    response = client.get("/kpis/csat/measurements/2026-10-31T00:00:00")
    assert_problem(response, 422)


def test_reader_may_list_but_not_record(
    client: TestClient, reader: TestClient, database: Database, kpi: str
) -> None:
    assert reader.get("/kpis/csat/measurements").status_code == 200
    assert_problem(reader.post("/kpis/csat/measurements", json=READING), 403)
    assert measurement_count(database) == 0


# --- The set-based queries other domains use (the findings report) ---------------------


def test_latest_and_standings_answer_every_kpi_as_of_a_date(
    client: TestClient, database: Database, kpi: str
) -> None:
    client.post("/kpis", json={**KPI, "key": "nps"})
    client.post(
        "/kpis/csat/measurements", json={"value": 73, "measured_at": "2026-03-31T00:00:00Z"}
    )
    client.post("/kpis/csat/measurements", json=READING)
    with database.transaction(write=False) as session:
        ids = {key: id_ for key, id_ in session.execute(select(Kpi.key, Kpi.id))}
        latest = latest_measurements(session, date(2026, 11, 23))
        assert set(latest) == {ids["csat"]}
        value, measured_at, note = latest[ids["csat"]]
        assert (value, measured_at, note) == (
            74.0,
            datetime(2026, 10, 31, tzinfo=UTC),
            "Quarterly survey",
        )
        earlier = latest_measurements(session, date(2026, 10, 30), [ids["csat"], ids["nps"]])
        assert earlier[ids["csat"]].value == 73.0
        assert latest_measurements(session, date(2026, 11, 23), []) == {}

        standings = kpi_standings(session, date(2026, 11, 23))
        assert {s.key: s.status for s in standings.values()} == {
            "csat": "off_track",
            "nps": "no_data",
        }
        assert standings[ids["csat"]].targets.target == 85
        assert standings[ids["nps"]].latest is None
        narrowed = kpi_standings(session, date(2026, 11, 23), [ids["nps"]])
        assert list(narrowed) == [ids["nps"]]
