"""Findings on small hand-made portfolios: the edge cases of each rule."""

from datetime import date
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.db.engine import Database
from app.reports import facts
from tests.portfolio_loader import findings_of, load_portfolio

AS_OF = "2026-11-23"
CHATBOT = {"key": "chatbot", "name": "Chatbot", "status": "active", "sponsor": "CMO"}


def findings(client: TestClient, **params: Any) -> list[tuple[Any, ...]]:
    params.setdefault("as_of", AS_OF)
    response = client.get("/reports/findings", params=params)
    assert response.status_code == 200, response.text
    return findings_of(response.json())


def kpi(key: str, owners: list[str], initiatives: list[str], **fields: Any) -> dict[str, Any]:
    return {
        "key": key,
        "name": key.title(),
        "baseline": 10,
        "baseline_date": "2026-01-01",
        "target": 20,
        "target_date": "2027-01-01",
        "owners": owners,
        "initiatives": initiatives,
        **fields,
    }


def test_an_empty_portfolio_has_no_findings(database: Database, client: TestClient) -> None:
    body = client.get("/reports/findings").json()
    assert body["findings"] == []
    assert body["summary"]["total"] == 0
    assert set(body["summary"]["by_rule"].values()) == {0}
    assert body["summary"]["by_severity"] == {"high": 0, "medium": 0, "low": 0}


def test_an_initiative_without_components_is_not_a_silo(
    database: Database, client: TestClient
) -> None:
    load_portfolio(database, {"initiatives": [CHATBOT]})
    assert findings(client) == [("NO_JOINT_KPI", "chatbot", None, None, None)]


def test_a_component_without_cells_is_unowned_and_has_nobody_responsible(
    database: Database, client: TestClient
) -> None:
    load_portfolio(
        database,
        {"initiatives": [{**CHATBOT, "components": [{"key": "nlu", "name": "NLU"}]}]},
    )
    found = findings(client, rule=["UNOWNED_COMPONENT", "NO_RESPONSIBLE", "SILOED_INITIATIVE"])
    assert sorted(found) == [
        ("NO_RESPONSIBLE", "chatbot", "nlu", None, None),
        ("UNOWNED_COMPONENT", "chatbot", "nlu", None, None),
    ]


def test_ar_counts_as_accountable_and_responsible(database: Database, client: TestClient) -> None:
    load_portfolio(
        database,
        {
            "initiatives": [
                {
                    **CHATBOT,
                    "components": [
                        {"key": "nlu", "name": "NLU", "raci": {"CIO": "AR", "CMO": "C"}},
                        {"key": "feed", "name": "Feed", "raci": {"CIO": "a/r", "CDO": "AR"}},
                    ],
                }
            ]
        },
    )
    found = findings(client, rule=["UNOWNED_COMPONENT", "NO_RESPONSIBLE", "MULTIPLE_ACCOUNTABLE"])
    assert found == [("MULTIPLE_ACCOUNTABLE", "chatbot", "feed", None, None)]


def test_unowned_component_names_the_roles_that_hold_cells(
    database: Database, client: TestClient
) -> None:
    load_portfolio(
        database,
        {
            "initiatives": [
                {
                    **CHATBOT,
                    "components": [{"key": "nlu", "name": "NLU", "raci": {"CIO": "R", "CMO": "I"}}],
                }
            ]
        },
    )
    body = client.get("/reports/findings", params={"rule": "UNOWNED_COMPONENT"}).json()
    assert body["findings"][0]["roles"] == ["CIO", "CMO"]
    assert "'NLU' in 'Chatbot'" in body["findings"][0]["message"]


def test_three_accountable_roles_are_all_named(database: Database, client: TestClient) -> None:
    raci = {"CIO": "A", "CMO": "A", "CDO": "AR"}
    load_portfolio(
        database,
        {"initiatives": [{**CHATBOT, "components": [{"key": "nlu", "name": "NLU", "raci": raci}]}]},
    )
    body = client.get("/reports/findings", params={"rule": "MULTIPLE_ACCOUNTABLE"}).json()
    (finding,) = body["findings"]
    assert finding["roles"] == ["CDO", "CIO", "CMO"]
    assert "CDO, CIO and CMO" in finding["message"]


def test_one_role_across_all_components_is_a_silo_even_with_several_letters(
    database: Database, client: TestClient
) -> None:
    components = [
        {"key": "a", "name": "A", "raci": {"CIO": "AR"}},
        {"key": "b", "name": "B", "raci": {"CIO": "C"}},
        {"key": "c", "name": "C"},
    ]
    load_portfolio(database, {"initiatives": [{**CHATBOT, "components": components}]})
    assert ("SILOED_INITIATIVE", "chatbot", None, None, None) in findings(client)


def test_a_partner_only_informed_is_not_a_silo(database: Database, client: TestClient) -> None:
    components = [
        {"key": "a", "name": "A", "raci": {"CIO": "AR"}},
        {"key": "b", "name": "B", "raci": {"CMO": "I"}},
    ]
    load_portfolio(database, {"initiatives": [{**CHATBOT, "components": components}]})
    assert findings(client, rule="SILOED_INITIATIVE") == []


def test_closed_initiatives_count_only_with_include_closed(
    database: Database, client: TestClient
) -> None:
    load_portfolio(
        database,
        {
            "initiatives": [
                {
                    "key": "old",
                    "name": "Old",
                    "status": "done",
                    "components": [{"key": "x", "name": "X"}],
                },
                {"key": "gone", "name": "Gone", "status": "cancelled"},
            ]
        },
    )
    assert findings(client) == []
    assert {f[1] for f in findings(client, include_closed="true")} == {"old", "gone"}


def test_every_live_status_counts(database: Database, client: TestClient) -> None:
    statuses = ["proposed", "planned", "active", "on_hold", "done", "cancelled"]
    load_portfolio(
        database,
        {"initiatives": [{"key": s.replace("_", "-"), "name": s, "status": s} for s in statuses]},
    )
    unsponsored = {f[1] for f in findings(client, rule="UNSPONSORED_INITIATIVE")}
    assert unsponsored == {"proposed", "planned", "active", "on-hold"}


def test_a_capability_used_twice_in_one_initiative_is_no_overlap(
    database: Database, client: TestClient
) -> None:
    load_portfolio(
        database,
        {
            "capabilities": [{"key": "cdp", "name": "CDP"}],
            "initiatives": [
                {
                    **CHATBOT,
                    "components": [
                        {"key": "a", "name": "A", "capability": "cdp", "raci": {"CIO": "AR"}},
                        {"key": "b", "name": "B", "capability": "cdp", "raci": {"CMO": "AR"}},
                    ],
                }
            ],
        },
    )
    assert findings(client, rule="CAPABILITY_OVERLAP") == []


def test_overlap_needs_two_live_initiatives_and_two_accountable_roles(
    database: Database, client: TestClient
) -> None:
    def build(key: str, status: str, role: str) -> dict[str, Any]:
        component = {"key": "c", "name": "C", "capability": "cdp", "raci": {role: "A"}}
        return {"key": key, "name": key, "status": status, "components": [component]}

    load_portfolio(
        database,
        {
            "capabilities": [
                {"key": "cdp", "name": "CDP"},
                {"key": "same", "name": "Same owner everywhere"},
            ],
            "initiatives": [
                build("one", "active", "CIO"),
                build("two", "done", "CMO"),
                build("three", "active", "CIO"),
            ],
        },
    )
    assert findings(client, rule="CAPABILITY_OVERLAP") == []
    with_closed = client.get(
        "/reports/findings", params={"rule": "CAPABILITY_OVERLAP", "include_closed": True}
    ).json()["findings"]
    assert [(f["capability"], f["roles"]) for f in with_closed] == [("cdp", ["CIO", "CMO"])]
    assert "'CDP'" in with_closed[0]["message"]


def test_owner_drift_when_the_agreed_owner_is_only_responsible(
    database: Database, client: TestClient
) -> None:
    load_portfolio(
        database,
        {
            "capabilities": [
                {"key": "cdp", "name": "CDP", "agreed_owner": "CDO"},
                {"key": "free", "name": "Free"},
            ],
            "initiatives": [
                {
                    **CHATBOT,
                    "components": [
                        {
                            "key": "a",
                            "name": "A",
                            "capability": "cdp",
                            "raci": {"CIO": "A", "CDO": "R"},
                        },
                        {"key": "b", "name": "B", "capability": "cdp", "raci": {"CDO": "AR"}},
                        {"key": "c", "name": "C", "capability": "free", "raci": {"CIO": "A"}},
                    ],
                }
            ],
        },
    )
    body = client.get("/reports/findings", params={"rule": "OWNER_DRIFT"}).json()
    assert [(f["component"], f["roles"]) for f in body["findings"]] == [("a", ["CDO", "CIO"])]


def test_no_joint_kpi_needs_a_kpi_with_two_owners(database: Database, client: TestClient) -> None:
    load_portfolio(
        database,
        {
            "initiatives": [
                {**CHATBOT, "key": "solo", "name": "Solo"},
                {**CHATBOT, "key": "joint", "name": "Joint"},
                {**CHATBOT, "key": "bare", "name": "Bare"},
            ],
            "kpis": [
                kpi("one-owner", ["CMO"], ["solo"]),
                kpi("two-owners", ["CMO", "CIO"], ["joint"]),
            ],
        },
    )
    assert sorted(f[1] for f in findings(client, rule="NO_JOINT_KPI")) == ["bare", "solo"]
    body = client.get("/reports/findings", params={"rule": "NO_JOINT_KPI"}).json()
    assert all(f["roles"] == ["CMO"] for f in body["findings"])


def _off_track_kpis(database: Database, client: TestClient, **params: Any) -> list[str]:
    return [f[4] for f in findings(client, rule="KPI_OFF_TRACK", **params)]


def test_kpi_with_no_initiative_is_kept_and_one_serving_only_closed_ones_left_out(
    database: Database, client: TestClient
) -> None:
    late = {"target_date": "2026-06-01"}
    load_portfolio(
        database,
        {
            "initiatives": [
                {"key": "live", "name": "Live", "status": "active"},
                {"key": "closed", "name": "Closed", "status": "done"},
            ],
            "kpis": [
                kpi("orphan", ["CMO"], [], **late),
                kpi("closed-only", ["CMO"], ["closed"], **late),
                kpi("mixed", ["CMO"], ["closed", "live"], **late),
            ],
            "measurements": {
                key: [{"value": 12, "measured_at": "2026-05-01T00:00:00Z"}]
                for key in ("orphan", "closed-only", "mixed")
            },
        },
    )
    assert _off_track_kpis(database, client) == ["mixed", "orphan"]
    assert _off_track_kpis(database, client, include_closed="true") == [
        "closed-only",
        "mixed",
        "orphan",
    ]


def test_a_target_equal_to_the_baseline_is_off_track_while_unmet(
    database: Database, client: TestClient
) -> None:
    load_portfolio(
        database,
        {
            "kpis": [
                kpi("flat", ["CMO"], [], target=10),
                kpi("flat-met", ["CMO"], [], target=10),
                kpi("flat-down", ["CMO"], [], target=10, direction="decrease"),
            ],
            "measurements": {
                "flat": [{"value": 9, "measured_at": "2026-03-01T00:00:00Z"}],
                "flat-met": [{"value": 10, "measured_at": "2026-03-01T00:00:00Z"}],
                "flat-down": [{"value": 11, "measured_at": "2026-03-01T00:00:00Z"}],
            },
        },
    )
    assert _off_track_kpis(database, client) == ["flat", "flat-down"]


def test_a_kpi_without_measurements_is_not_off_track(
    database: Database, client: TestClient
) -> None:
    load_portfolio(database, {"kpis": [kpi("quiet", ["CMO"], [], target_date="2026-02-01")]})
    assert _off_track_kpis(database, client) == []


def test_as_of_sees_measurements_up_to_the_end_of_that_day(
    database: Database, client: TestClient
) -> None:
    load_portfolio(
        database,
        {
            "kpis": [kpi("k", ["CMO"], [])],
            "measurements": {
                "k": [
                    {"value": 10.5, "measured_at": "2026-06-01T00:00:00Z"},
                    {"value": 30, "measured_at": "2026-06-02T23:59:00Z"},
                ]
            },
        },
    )
    assert _off_track_kpis(database, client, as_of="2026-06-01") == ["k"]
    assert _off_track_kpis(database, client, as_of="2026-06-02") == []


def test_initiative_and_portfolio_filters_leave_out_portfolio_wide_findings(
    database: Database, client: TestClient
) -> None:
    load_portfolio(
        database,
        {
            "initiatives": [{**CHATBOT, "portfolio": "joint"}],
            "kpis": [kpi("k", ["CMO"], ["chatbot"], target_date="2026-02-01")],
            "measurements": {"k": [{"value": 11, "measured_at": "2026-01-15T00:00:00Z"}]},
        },
    )
    assert ("KPI_OFF_TRACK", None, None, None, "k") in findings(client)
    assert all(f[4] is None for f in findings(client, initiative="chatbot"))
    assert all(f[4] is None for f in findings(client, portfolio="joint"))
    assert ("KPI_OFF_TRACK", None, None, None, "k") in findings(client, role="CMO")


def test_a_report_narrowed_to_one_initiative_knows_its_capabilities_owners(
    database: Database, client: TestClient
) -> None:
    def build(key: str, capability: str) -> dict[str, Any]:
        component = {"key": "c", "name": "C", "capability": capability, "raci": {"CIO": "AR"}}
        return {"key": key, "name": key.title(), "sponsor": "CIO", "components": [component]}

    load_portfolio(
        database,
        {
            "capabilities": [
                {"key": "cdp", "name": "Customer data platform", "agreed_owner": "CDO"},
                {"key": "iot", "name": "IoT telemetry", "agreed_owner": "CMO"},
            ],
            "initiatives": [build("one", "cdp"), build("two", "iot")],
        },
    )
    body = client.get(
        "/reports/findings", params={"rule": "OWNER_DRIFT", "initiative": "one"}
    ).json()
    assert [(f["component"], f["roles"]) for f in body["findings"]] == [("c", ["CDO", "CIO"])]
    assert "The agreed owner of 'Customer data platform' is CDO" in body["findings"][0]["message"]


def test_a_capability_created_during_the_pass_is_named_by_its_key(
    database: Database, client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    component = {"key": "c", "name": "C", "capability": "cdp", "raci": {"CIO": "R"}}
    load_portfolio(
        database,
        {
            "capabilities": [{"key": "cdp", "name": "CDP", "agreed_owner": "CDO"}],
            "initiatives": [{**CHATBOT, "components": [component]}],
        },
    )
    # As if the capability had been committed between reading capabilities and components.
    monkeypatch.setattr(facts, "_capabilities", lambda session, scope: {})
    with database.transaction(write=False) as session:
        found = facts.component_pass(session, facts.ReportScope(as_of=date(2026, 11, 23)))
    (flagged,) = found.flagged
    assert (flagged.capability, flagged.capability_name, flagged.agreed_owner) == (
        "cdp",
        "cdp",
        None,
    )
    assert found.capability_uses["cdp"].initiatives == {"chatbot": "Chatbot"}
