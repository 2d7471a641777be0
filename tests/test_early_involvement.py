"""IT_NOT_INVOLVED_EARLY and BUSINESS_NOT_INVOLVED_EARLY (issue 20): who is involved, by
role function, in the proposed and planned initiatives."""

from typing import Any

from fastapi.testclient import TestClient

EARLY_RULES = ["IT_NOT_INVOLVED_EARLY", "BUSINESS_NOT_INVOLVED_EARLY"]


def put_initiative(client: TestClient, key: str, raci: dict[str, str], **fields: Any) -> None:
    body = {
        "name": key.replace("-", " ").title(),
        "status": "proposed",
        "kind": "other",
        "portfolio": "marketing",
        "sponsor": "CMO",
        "components": [
            {"key": "work", "name": "Work", "capability": fields.pop("capability", None),
             "raci": raci}
        ],
        **fields,
    }  # fmt: skip
    response = client.put(f"/initiatives/{key}", json=body)
    assert response.status_code in (200, 201), response.text


def early(client: TestClient) -> list[tuple[str, str, list[str]]]:
    findings = client.get("/reports/findings", params={"rule": EARLY_RULES}).json()["findings"]
    return sorted((f["rule"], f["initiative"], f["roles"]) for f in findings)


def test_a_technical_kind_without_a_technology_role_is_it_not_involved_early(
    client: TestClient,
) -> None:
    for kind in ["chatbot", "iot", "analytics", "app", "platform"]:
        put_initiative(client, f"new-{kind}", {"CMO": "AR", "CDO": "C"}, kind=kind)
    put_initiative(client, "new-campaign", {"CMO": "AR"}, kind="campaign")
    assert early(client) == [
        ("IT_NOT_INVOLVED_EARLY", f"new-{kind}", ["CMO"])
        for kind in ["analytics", "app", "chatbot", "iot", "platform"]
    ]
    finding = client.get("/reports/findings", params={"rule": "IT_NOT_INVOLVED_EARLY"}).json()
    assert {f["severity"] for f in finding["findings"]} == {"medium"}
    assert "technology role" in finding["findings"][0]["message"]


def test_a_capability_in_the_technology_or_data_domain_needs_technology(
    client: TestClient,
) -> None:
    for domain in ["technology", "data", "marketing", "experience", "operations"]:
        client.put(f"/capabilities/{domain}-cap", json={"name": domain, "domain": domain})
        put_initiative(
            client, f"with-{domain}", {"CMO": "AR"}, kind="campaign", capability=f"{domain}-cap"
        )
    assert [initiative for _, initiative, _ in early(client)] == ["with-data", "with-technology"]


def test_only_r_a_or_c_of_a_technology_role_counts_as_involved(client: TestClient) -> None:
    put_initiative(client, "informed", {"CMO": "AR", "CIO": "I"}, kind="chatbot")
    put_initiative(client, "verifies", {"CMO": "AR", "CIO": "V"}, kind="chatbot")
    for letters in ["C", "R", "A", "S C"]:
        key = "by-" + letters.replace(" ", "").lower()
        put_initiative(client, key, {"CMO": "AR", "CIO": letters}, kind="chatbot")
    assert [initiative for _, initiative, _ in early(client)] == ["informed", "verifies"]


def test_functions_not_codes_decide(client: TestClient) -> None:
    assert client.post("/roles", json={"code": "CTO", "name": "CTO"}).status_code == 201
    put_initiative(client, "cto-bot", {"CMO": "AR", "CTO": "C"}, kind="chatbot")
    assert early(client) == [("IT_NOT_INVOLVED_EARLY", "cto-bot", ["CMO"])]
    client.patch("/roles/CTO", json={"function": "technology"})
    assert early(client) == []
    client.patch("/roles/CIO", json={"function": "other"})
    put_initiative(client, "cio-bot", {"CIO": "AR"}, kind="chatbot")
    assert early(client) == [("IT_NOT_INVOLVED_EARLY", "cio-bot", ["CMO"])]


def test_only_proposed_and_planned_initiatives_are_early(client: TestClient) -> None:
    for status in ["proposed", "planned", "active", "on_hold", "done", "cancelled"]:
        put_initiative(client, status.replace("_", "-"), {"CMO": "AR"}, kind="app", status=status)
    assert [initiative for _, initiative, _ in early(client)] == ["planned", "proposed"]
    closed = client.get(
        "/reports/findings", params={"rule": EARLY_RULES, "include_closed": "true"}
    ).json()
    assert sorted(f["initiative"] for f in closed["findings"]) == ["planned", "proposed"]


def test_the_it_portfolio_without_a_marketing_role_is_business_not_involved_early(
    client: TestClient,
) -> None:
    put_initiative(client, "erp", {"CIO": "AR"}, portfolio="it", sponsor="CIO", kind="platform")
    put_initiative(client, "crm", {"CIO": "AR", "CMO": "C"}, portfolio="it", kind="platform")
    put_initiative(client, "intranet", {"CIO": "AR", "CMO": "I"}, portfolio="it", sponsor=None)
    put_initiative(client, "digital-erp", {"CIO": "AR"}, portfolio="digital", kind="platform")
    assert early(client) == [
        ("BUSINESS_NOT_INVOLVED_EARLY", "erp", ["CIO"]),
        ("BUSINESS_NOT_INVOLVED_EARLY", "intranet", []),
    ]
    assert client.post("/roles", json={"code": "CGO", "name": "Growth", "function": "marketing"})
    put_initiative(client, "erp", {"CIO": "AR", "CGO": "R"}, portfolio="it", sponsor="CIO")
    assert [initiative for _, initiative, _ in early(client)] == ["intranet"]


def test_an_initiative_without_components_that_needs_technology_is_reported(
    client: TestClient,
) -> None:
    body = {"name": "Bare bot", "kind": "chatbot", "portfolio": "it", "sponsor": "CIO"}
    assert client.put("/initiatives/bare-bot", json=body).status_code == 201
    assert early(client) == [
        ("BUSINESS_NOT_INVOLVED_EARLY", "bare-bot", ["CIO"]),
        ("IT_NOT_INVOLVED_EARLY", "bare-bot", ["CIO"]),
    ]


def test_both_rules_can_be_switched_off_and_their_severity_changed(client: TestClient) -> None:
    put_initiative(client, "erp", {"CIO": "AR"}, portfolio="it", kind="platform", sponsor="CIO")
    put_initiative(client, "bot", {"CMO": "AR"}, kind="chatbot")
    assert client.patch("/rules/IT_NOT_INVOLVED_EARLY", json={"enabled": False}).is_success
    assert client.patch("/rules/BUSINESS_NOT_INVOLVED_EARLY", json={"severity": "high"}).is_success
    findings = client.get("/reports/findings", params={"rule": EARLY_RULES}).json()["findings"]
    assert [(f["rule"], f["severity"]) for f in findings] == [
        ("BUSINESS_NOT_INVOLVED_EARLY", "high")
    ]


def test_the_filters_narrow_the_early_findings(client: TestClient) -> None:
    put_initiative(client, "erp", {"CIO": "AR"}, portfolio="it", kind="platform", sponsor="CIO")
    put_initiative(client, "bot", {"CMO": "AR"}, kind="chatbot")
    by_portfolio = client.get("/reports/findings", params={"rule": EARLY_RULES, "portfolio": "it"})
    assert [f["initiative"] for f in by_portfolio.json()["findings"]] == ["erp"]
    by_role = client.get("/reports/findings", params={"rule": EARLY_RULES, "role": "CMO"})
    assert [f["initiative"] for f in by_role.json()["findings"]] == ["bot"]
