"""Correcting what was entered: one measurement read, corrected or removed by its moment,
with If-Match, the audit trail, and the KPI's `latest`, status and finding following at once."""

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.problems import assert_problem, error_locs

KPI = {
    "key": "csat",
    "name": "Customer satisfaction",
    "baseline": 70,
    "baseline_date": "2026-01-01",
    "target": 90,
    "target_date": "2027-01-01",
    "owners": ["CMO", "CIO"],
}
ONE = "/kpis/csat/measurements/2026-06-01T00:00:00Z"


@pytest.fixture
def kpi(client: TestClient) -> str:
    assert client.post("/kpis", json=KPI).status_code == 201
    for measured_at, value in (("2026-03-01T00:00:00Z", 74), ("2026-06-01T00:00:00Z", 7)):
        response = client.post(
            "/kpis/csat/measurements", json={"value": value, "measured_at": measured_at}
        )
        assert response.status_code == 201
    return "csat"


def kpi_now(client: TestClient) -> dict[str, Any]:
    body: dict[str, Any] = client.get("/kpis/csat", params={"as_of": "2026-06-02"}).json()
    return body


def audit(client: TestClient, **params: Any) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = client.get("/audit", params=params).json()["items"]
    return items


def off_track_kpis(client: TestClient) -> list[str | None]:
    report = client.get(
        "/reports/findings", params={"rule": "KPI_OFF_TRACK", "as_of": "2026-06-02"}
    ).json()
    return [finding["kpi"] for finding in report["findings"]]


def test_get_one_measurement_answers_its_version_as_etag(client: TestClient, kpi: str) -> None:
    response = client.get(ONE)
    assert response.status_code == 200
    body = response.json()
    assert body["value"] == 7 and body["version"] == 1
    assert response.headers["etag"] == '"1"'
    assert body["updated_at"].endswith("Z")


def test_a_date_in_the_path_names_the_reading_taken_at_midnight_utc(
    client: TestClient, kpi: str
) -> None:
    assert client.get("/kpis/csat/measurements/2026-06-01").json()["value"] == 7


def test_an_offset_in_the_path_names_the_same_instant(client: TestClient, kpi: str) -> None:
    response = client.get("/kpis/csat/measurements/2026-06-01T02%3A00%3A00%2B02%3A00")
    assert response.status_code == 200
    assert response.json()["measured_at"] == "2026-06-01T00:00:00Z"


def test_a_date_is_accepted_as_measured_at_when_recording(client: TestClient, kpi: str) -> None:
    response = client.post(
        "/kpis/csat/measurements", json={"value": 75, "measured_at": "2026-07-01"}
    )
    assert response.status_code == 201
    assert response.json()["measured_at"] == "2026-07-01T00:00:00Z"
    assert response.headers["location"].endswith("/kpis/csat/measurements/2026-07-01T00:00:00Z")


def test_put_corrects_a_typo_and_latest_status_and_finding_follow_at_once(
    client: TestClient, kpi: str
) -> None:
    assert kpi_now(client)["status"] == "off_track"
    assert off_track_kpis(client) == ["csat"]

    response = client.put(
        ONE, json={"value": 80, "note": "typed 7, meant 80"}, headers={"If-Match": '"1"'}
    )

    assert response.status_code == 200
    body = response.json()
    assert (body["value"], body["note"], body["version"]) == (80, "typed 7, meant 80", 2)
    assert response.headers["etag"] == '"2"'
    assert kpi_now(client)["latest"]["value"] == 80
    assert kpi_now(client)["status"] == "on_track"
    assert off_track_kpis(client) == []


def test_a_correction_is_audited_with_the_value_before_and_after(
    client: TestClient, kpi: str
) -> None:
    client.put(ONE, json={"value": 77})
    entries = audit(client, resource_type="measurement", action="update")
    assert len(entries) == 1
    entry = entries[0]
    assert entry["resource_key"] == "csat/2026-06-01T00:00:00Z"
    assert entry["actor"] == "pmo-tool"
    assert (entry["before"]["value"], entry["after"]["value"]) == (7, 77)


def test_put_with_a_stale_if_match_is_412_and_changes_nothing(client: TestClient, kpi: str) -> None:
    client.put(ONE, json={"value": 77})
    response = client.put(ONE, json={"value": 78}, headers={"If-Match": '"1"'})
    assert_problem(response, 412)
    assert client.get(ONE).json()["value"] == 77


def test_put_of_the_same_content_changes_nothing(client: TestClient, kpi: str) -> None:
    before = client.get(ONE).json()
    response = client.put(ONE, json={"value": 7})
    assert response.status_code == 200
    assert response.json()["version"] == 1
    assert client.get(ONE).json() == before
    assert audit(client, resource_type="measurement", action="update") == []


def test_put_records_a_reading_that_was_not_there_with_201(client: TestClient, kpi: str) -> None:
    response = client.put("/kpis/csat/measurements/2026-09-01", json={"value": 80})
    assert response.status_code == 201
    assert response.headers["location"].endswith("/kpis/csat/measurements/2026-09-01T00:00:00Z")
    assert response.json()["version"] == 1


def test_put_naming_another_moment_in_the_body_is_422(client: TestClient, kpi: str) -> None:
    response = client.put(ONE, json={"value": 77, "measured_at": "2026-06-02T00:00:00Z"})
    assert_problem(response, 422)
    assert error_locs(response) == [["body", "measured_at"]]
    assert client.get(ONE).json()["value"] == 7


def test_put_repeating_the_same_moment_otherwise_written_is_accepted(
    client: TestClient, kpi: str
) -> None:
    response = client.put(ONE, json={"value": 77, "measured_at": "2026-06-01T02:00:00+02:00"})
    assert response.status_code == 200


@pytest.mark.parametrize(
    "body", [{}, {"value": "77"}, {"value": 77, "kpi": "csat"}, {"value": 77, "note": "x" * 501}]
)
def test_invalid_correction_is_422_and_changes_nothing(
    client: TestClient, kpi: str, body: dict[str, Any]
) -> None:
    assert_problem(client.put(ONE, json=body), 422)
    assert client.get(ONE).json()["value"] == 7


def test_posting_another_value_is_still_409_and_points_at_put(client: TestClient, kpi: str) -> None:
    response = client.post(
        "/kpis/csat/measurements", json={"value": 8, "measured_at": "2026-06-01T00:00:00Z"}
    )
    assert_problem(response, 409, detail_contains="PUT")


def test_delete_removes_a_reading_and_the_previous_becomes_latest(
    client: TestClient, kpi: str
) -> None:
    response = client.delete(ONE, headers={"If-Match": '"1"'})
    assert response.status_code == 204
    assert_problem(client.get(ONE), 404)
    assert kpi_now(client)["latest"]["value"] == 74
    entries = audit(client, resource_type="measurement", action="delete")
    assert [(e["resource_key"], e["before"]["value"], e["after"]) for e in entries] == [
        ("csat/2026-06-01T00:00:00Z", 7, None)
    ]


def test_delete_with_a_stale_if_match_is_412_and_keeps_the_reading(
    client: TestClient, kpi: str
) -> None:
    assert_problem(client.delete(ONE, headers={"If-Match": '"5"'}), 412)
    assert client.get(ONE).status_code == 200


@pytest.mark.parametrize(
    "path",
    [
        "/kpis/csat/measurements/2026-06-02T00:00:00Z",
        "/kpis/nps/measurements/2026-06-01T00:00:00Z",
    ],
)
def test_unknown_reading_or_kpi_is_404_for_get_and_delete(
    client: TestClient, kpi: str, path: str
) -> None:
    assert_problem(client.get(path), 404)
    assert_problem(client.delete(path), 404)


@pytest.mark.parametrize("moment", ["2026-06-01T00:00:00", "yesterday", "2026-13-01"])
def test_a_moment_that_is_not_rfc3339_or_a_date_is_422(
    client: TestClient, kpi: str, moment: str
) -> None:
    assert_problem(client.get(f"/kpis/csat/measurements/{moment}"), 422)


def test_a_read_key_cannot_correct_or_remove(
    reader: TestClient, client: TestClient, kpi: str
) -> None:
    assert_problem(reader.put(ONE, json={"value": 77}), 403)
    assert_problem(reader.delete(ONE), 403)
    assert client.get(ONE).json()["value"] == 7
