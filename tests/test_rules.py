"""Findings rules: the catalog, and switching rules or changing their severity."""

from fastapi.testclient import TestClient
from sqlalchemy import select

from app.db.engine import Database
from app.reports.findings import CHECKS
from app.rules.catalog import CATALOG, RULE_CODES
from app.rules.models import RuleSetting
from tests.problems import assert_problem, error_locs

DEFAULTS = {
    "UNOWNED_COMPONENT": "high",
    "MULTIPLE_ACCOUNTABLE": "high",
    "NO_RESPONSIBLE": "medium",
    "UNSPONSORED_INITIATIVE": "high",
    "SILOED_INITIATIVE": "medium",
    "CAPABILITY_OVERLAP": "medium",
    "OWNER_DRIFT": "low",
    "NO_JOINT_KPI": "medium",
    "KPI_OFF_TRACK": "medium",
    "GOVERNANCE_REVIEW_OVERDUE": "high",
    "DISPUTED_CELL": "high",
    "UNAGREED_CELL": "low",
    "STALE_AGREEMENT": "low",
    "IT_NOT_INVOLVED_EARLY": "medium",
    "BUSINESS_NOT_INVOLVED_EARLY": "medium",
}


def test_the_catalog_lists_each_contract_rule_once_with_its_default_severity() -> None:
    assert {rule.code: rule.default_severity for rule in CATALOG} == DEFAULTS
    assert len(CATALOG) == len(DEFAULTS)
    assert all(rule.description and rule.title for rule in CATALOG)


def test_every_catalog_rule_has_exactly_one_check() -> None:
    assert [check.code for check in CHECKS] == list(RULE_CODES)
    assert sorted(RULE_CODES) == sorted(DEFAULTS)


def test_the_migration_seeds_a_setting_for_every_rule(database: Database) -> None:
    with database.transaction(write=False) as session:
        settings = {s.code: s.severity for s in session.scalars(select(RuleSetting))}
    assert settings == DEFAULTS


def test_list_gives_every_rule_by_code_enabled_with_its_default(client: TestClient) -> None:
    body = client.get("/rules").json()
    assert [rule["code"] for rule in body["items"]] == sorted(DEFAULTS)
    assert body["next_cursor"] is None
    for rule in body["items"]:
        assert rule["enabled"] is True
        assert rule["severity"] == rule["default_severity"] == DEFAULTS[rule["code"]]
        assert rule["description"] and rule["version"] == 1


def test_list_pages_by_code(client: TestClient) -> None:
    limit = len(DEFAULTS) // 2 + 1
    first = client.get("/rules", params={"limit": limit}).json()
    assert len(first["items"]) == limit and first["next_cursor"]
    second = client.get("/rules", params={"limit": limit, "cursor": first["next_cursor"]}).json()
    assert second["next_cursor"] is None
    codes = [r["code"] for r in first["items"] + second["items"]]
    assert codes == sorted(DEFAULTS)


def test_get_one_rule_sends_its_version_as_etag(client: TestClient) -> None:
    response = client.get("/rules/OWNER_DRIFT")
    assert response.status_code == 200
    assert response.headers["etag"] == '"1"'
    assert response.json()["severity"] == "low"


def test_rule_codes_are_accepted_in_lower_case(client: TestClient) -> None:
    assert client.get("/rules/owner_drift").json()["code"] == "OWNER_DRIFT"


def test_unknown_rule_is_404(client: TestClient) -> None:
    assert_problem(client.get("/rules/NO_SUCH_RULE"), 404, detail_contains="NO_SUCH_RULE")
    assert_problem(client.patch("/rules/NO_SUCH_RULE", json={"enabled": False}), 404)


def test_patch_switches_a_rule_off_and_raises_its_version(client: TestClient) -> None:
    response = client.patch("/rules/SILOED_INITIATIVE", json={"enabled": False})
    assert response.status_code == 200
    assert response.json()["enabled"] is False
    assert response.json()["version"] == 2
    assert response.headers["etag"] == '"2"'
    assert client.get("/rules/SILOED_INITIATIVE").json()["enabled"] is False


def test_patch_changes_the_severity_only(client: TestClient) -> None:
    body = client.patch("/rules/OWNER_DRIFT", json={"severity": "high"}).json()
    assert body["severity"] == "high"
    assert body["default_severity"] == "low"
    assert body["enabled"] is True


def test_patch_with_merge_patch_content_type_is_accepted(client: TestClient) -> None:
    response = client.patch(
        "/rules/OWNER_DRIFT",
        content=b'{"severity": "medium"}',
        headers={"Content-Type": "application/merge-patch+json"},
    )
    assert response.status_code == 200
    assert response.json()["severity"] == "medium"


def test_patch_with_null_restores_the_default(client: TestClient) -> None:
    client.patch("/rules/OWNER_DRIFT", json={"severity": "high", "enabled": False})
    body = client.patch("/rules/OWNER_DRIFT", json={"severity": None, "enabled": None}).json()
    assert body["severity"] == "low"
    assert body["enabled"] is True


def test_patch_with_the_same_values_raises_no_version(client: TestClient) -> None:
    body = client.patch("/rules/OWNER_DRIFT", json={"severity": "low", "enabled": True}).json()
    assert body["version"] == 1


def test_patch_of_another_field_is_422_and_changes_nothing(client: TestClient) -> None:
    for field, value in [
        ("description", "changed"),
        ("code", "OWNER_DRIFT"),
        ("default_severity", "high"),
        ("name", "x"),
    ]:
        response = client.patch("/rules/OWNER_DRIFT", json={field: value, "enabled": False})
        assert_problem(response, 422)
        assert ["body", field] in error_locs(response)
    assert client.get("/rules/OWNER_DRIFT").json()["enabled"] is True


def test_patch_of_a_bad_value_is_422(client: TestClient) -> None:
    response = client.patch("/rules/OWNER_DRIFT", json={"severity": "critical"})
    assert_problem(response, 422)
    assert error_locs(response) == [["body", "severity"]]
    assert_problem(client.patch("/rules/OWNER_DRIFT", json={"enabled": "maybe"}), 422)
    assert_problem(client.patch("/rules/OWNER_DRIFT", json=["enabled"]), 422)


def test_read_only_fields_sent_back_are_ignored(client: TestClient) -> None:
    response = client.patch(
        "/rules/OWNER_DRIFT", json={"severity": "medium", "version": 7, "updated_at": "x"}
    )
    assert response.status_code == 200
    assert response.json()["version"] == 2


def test_stale_if_match_is_412_and_changes_nothing(client: TestClient) -> None:
    client.patch("/rules/OWNER_DRIFT", json={"severity": "medium"})
    response = client.patch(
        "/rules/OWNER_DRIFT", json={"enabled": False}, headers={"If-Match": '"1"'}
    )
    assert_problem(response, 412)
    assert client.get("/rules/OWNER_DRIFT").json()["enabled"] is True


def test_current_if_match_is_honoured(client: TestClient) -> None:
    response = client.patch(
        "/rules/OWNER_DRIFT", json={"enabled": False}, headers={"If-Match": '"1"'}
    )
    assert response.status_code == 200


def test_a_read_key_cannot_change_a_rule(reader: TestClient) -> None:
    assert reader.get("/rules").status_code == 200
    assert_problem(reader.patch("/rules/OWNER_DRIFT", json={"enabled": False}), 403)


def test_no_key_is_401(anon: TestClient) -> None:
    assert_problem(anon.get("/rules"), 401)
