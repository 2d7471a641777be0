"""The governance settings: GET /settings for any key, PATCH /settings for admins only."""

from fastapi.testclient import TestClient

from tests.problems import assert_problem, error_locs

MERGE_PATCH = {"Content-Type": "application/merge-patch+json"}
DEFAULTS = {"agreement_grace_days": 14, "reconfirm_days": 365, "review_due_days": 30}


def test_the_migration_seeds_the_defaults_and_any_key_reads_them(reader: TestClient) -> None:
    answer = reader.get("/settings")
    assert answer.status_code == 200
    body = answer.json()
    assert {name: body[name] for name in DEFAULTS} == DEFAULTS
    assert answer.headers["ETag"] == f'"{body["version"]}"'


def test_an_admin_changes_one_setting_and_null_restores_its_default(admin: TestClient) -> None:
    changed = admin.patch("/settings", json={"review_due_days": 10}, headers=MERGE_PATCH)
    assert changed.status_code == 200, changed.text
    assert changed.json()["review_due_days"] == 10
    assert changed.json()["agreement_grace_days"] == 14
    assert changed.json()["version"] == 2
    restored = admin.patch("/settings", json={"review_due_days": None}, headers=MERGE_PATCH)
    assert restored.json()["review_due_days"] == 30
    assert admin.get("/settings").json()["version"] == 3


def test_a_write_key_may_not_change_the_settings(client: TestClient) -> None:
    answer = client.patch("/settings", json={"reconfirm_days": 5}, headers=MERGE_PATCH)
    assert_problem(answer, 403)
    assert client.get("/settings").json()["reconfirm_days"] == 365


def test_out_of_range_and_unknown_fields_are_422_and_change_nothing(admin: TestClient) -> None:
    answer = admin.patch(
        "/settings",
        json={"agreement_grace_days": -1, "reconfirm_days": 0, "colour": "red"},
        headers=MERGE_PATCH,
    )
    assert_problem(answer, 422)
    assert {loc[-1] for loc in error_locs(answer)} >= {"agreement_grace_days", "reconfirm_days"}
    assert admin.get("/settings").json()["version"] == 1
    not_number = admin.patch("/settings", json={"review_due_days": "30"}, headers=MERGE_PATCH)
    assert_problem(not_number, 422)


def test_a_stale_if_match_is_412_and_the_change_is_audited(admin: TestClient) -> None:
    stale = admin.patch(
        "/settings", json={"review_due_days": 7}, headers={**MERGE_PATCH, "If-Match": '"9"'}
    )
    assert_problem(stale, 412)
    fresh = admin.patch(
        "/settings", json={"review_due_days": 7}, headers={**MERGE_PATCH, "If-Match": '"1"'}
    )
    assert fresh.status_code == 200
    entries = admin.get("/audit", params={"resource_type": "settings"}).json()["items"]
    assert [
        (e["action"], e["before"]["review_due_days"], e["after"]["review_due_days"])
        for e in entries
    ] == [("update", 30, 7)]
