"""Property test: on random small portfolios the set-based findings equal a plain reference."""

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import update

from app.core.errors import NotFound
from app.db.engine import Database
from app.keys import service as keys_service
from app.keys.schemas import ApiKeyCreate
from app.reports.findings import Finding, FindingsQuery, findings_report
from app.rules.models import RuleSetting
from tests import database as testdb
from tests.portfolio_loader import load_into
from tests.reference_findings import DEFAULT_SEVERITY, RefFinding, reference_findings

ROLES = ["CMO", "CIO", "CDO", "CEO", "CFO"]  # CFO is added by the document
STATUSES = ["proposed", "planned", "active", "on_hold", "done", "cancelled"]
LETTERS = ["R", "A", "C", "I", "AR", "a/r"]
DAY0 = date(2026, 1, 1)
KINDS = ["chatbot", "iot", "analytics", "app", "campaign", "platform", "other"]
DOMAINS = ["marketing", "technology", "data", "experience", "operations"]
# CFO's function, drawn: a technology or marketing CFO involves IT or the business.
FUNCTIONS = ["marketing", "technology", "data", "digital", "executive", "other"]


def instants() -> st.SearchStrategy[str]:
    """An instant within 800 days of DAY0, to the minute, in UTC."""
    start = datetime.combine(DAY0, datetime.min.time(), tzinfo=UTC)
    return st.integers(0, 800 * 24 * 60).map(
        lambda minutes: (start + timedelta(minutes=minutes)).isoformat()
    )


@st.composite
def agreements(draw: st.DrawFn) -> dict[str, Any]:
    """A cell's agreement as the export writes it, with when its letters were proposed."""
    state = draw(st.sampled_from(["proposed", "agreed", "disputed"]))
    entry: dict[str, Any] = {"state": state, "proposed_at": draw(instants())}
    if state != "proposed":
        entry |= {"by": "someone", "at": draw(instants()), "comment": "why"}
    return entry


@st.composite
def portfolios(draw: st.DrawFn) -> dict[str, Any]:
    roles = st.sampled_from(ROLES)
    capability_keys = [f"cap-{n}" for n in range(draw(st.integers(0, 3)))]
    capabilities = [
        {
            "key": key,
            "name": f"Capability {key}",
            "agreed_owner": draw(st.none() | roles),
            "domain": draw(st.none() | st.sampled_from(DOMAINS)),
        }
        for key in capability_keys
    ]
    initiatives = []
    for n in range(draw(st.integers(0, 5))):
        components = []
        for m in range(draw(st.integers(0, 3))):
            raci = draw(st.dictionaries(roles, st.sampled_from(LETTERS), max_size=3))
            capability = (
                draw(st.none() | st.sampled_from(capability_keys)) if capability_keys else None
            )
            components.append(
                {
                    "key": f"c{m}",
                    "name": f"Component {m}",
                    "capability": capability,
                    "raci": raci,
                    "agreements": {
                        role: draw(agreements()) for role in raci if draw(st.booleans())
                    },
                }
            )
        initiatives.append(
            {
                "key": f"i{n}",
                "name": f"Initiative {n}",
                "status": draw(st.sampled_from(STATUSES)),
                "kind": draw(st.sampled_from(KINDS)),
                "sponsor": draw(st.none() | roles),
                "portfolio": draw(st.sampled_from(["marketing", "it", "digital", "joint"])),
                "components": components,
            }
        )
    initiative_keys = [i["key"] for i in initiatives]
    kpis, measurements = [], {}
    for n in range(draw(st.integers(0, 3))):
        key = f"k{n}"
        baseline = draw(st.integers(0, 10))
        target = draw(st.integers(0, 20))
        baseline_day = draw(st.integers(0, 200))
        kpis.append(
            {
                "key": key,
                "name": f"KPI {n}",
                "direction": draw(st.sampled_from(["increase", "decrease"])),
                "baseline": baseline,
                "baseline_date": (DAY0 + timedelta(days=baseline_day)).isoformat(),
                "target": target,
                "target_date": (
                    DAY0 + timedelta(days=baseline_day + draw(st.integers(1, 500)))
                ).isoformat(),
                "owners": draw(st.lists(roles, min_size=1, max_size=3, unique=True)),
                "initiatives": draw(st.lists(st.sampled_from(initiative_keys), unique=True))
                if initiative_keys
                else [],
            }
        )
        hours = draw(st.lists(st.integers(0, 24 * 700), max_size=3, unique=True))
        measurements[key] = [
            {
                "value": draw(st.integers(-5, 25)),
                "measured_at": (
                    datetime.combine(DAY0, datetime.min.time(), tzinfo=UTC) + timedelta(hours=h)
                ).isoformat(),
            }
            for h in hours
        ]
    return {
        "cells_proposed_at": draw(instants()),
        "roles": [
            {
                "code": "CFO",
                "name": "Chief Financial Officer",
                "function": draw(st.sampled_from(FUNCTIONS)),
            }
        ],
        "capabilities": capabilities,
        "initiatives": initiatives,
        "kpis": kpis,
        "measurements": measurements,
    }


rule_settings = st.fixed_dictionaries(
    {
        code: st.tuples(
            st.sampled_from([True, True, True, False]),  # mostly on
            st.sampled_from(["high", "medium", "low"]),
        )
        for code in DEFAULT_SEVERITY
    }
)
as_of_days = st.integers(0, 800).map(lambda days: DAY0 + timedelta(days=days))


def _load(
    database: Database,
    seed: dict[str, Any],
    document: dict[str, Any],
    rules: dict[str, tuple[bool, str]],
) -> None:
    testdb.reset(database.engine, seed)
    with database.transaction() as session:
        load_into(session, document)
        for code, (enabled, severity) in rules.items():
            session.execute(
                update(RuleSetting)
                .where(RuleSetting.code == code)
                .values(enabled=enabled, severity=severity)
            )


def _as_tuples(findings: list[Finding]) -> set[RefFinding]:
    return {
        (f.rule, f.severity, f.initiative, f.component, f.capability, f.kpi, f.roles)
        for f in findings
    }


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    document=portfolios(),
    rules=rule_settings,
    as_of=as_of_days,
    include_closed=st.booleans(),
    filters=st.fixed_dictionaries(
        {
            "initiatives": st.none() | st.frozensets(st.sampled_from(["i0", "i1", "i9"])),
            "portfolios": st.none() | st.frozensets(st.sampled_from(["marketing", "it"])),
            "roles": st.none() | st.frozensets(st.sampled_from(ROLES), min_size=1),
        }
    ),
)
def test_findings_equal_the_reference_on_random_portfolios(
    _session_database: tuple[Database, dict[str, Any]],
    document: dict[str, Any],
    rules: dict[str, tuple[bool, str]],
    as_of: date,
    include_closed: bool,
    filters: dict[str, Any],
) -> None:
    database, seed = _session_database
    _load(database, seed, document, rules)
    with database.transaction(write=False) as session:
        report = findings_report(session, FindingsQuery(include_closed=include_closed, as_of=as_of))
    expected = reference_findings(
        document, as_of=as_of, include_closed=include_closed, settings=rules
    )
    assert _as_tuples(report.findings) == expected
    assert len(report.findings) == len(expected)  # no duplicates
    assert report.findings == sorted(report.findings, key=Finding.sort_key)
    assert sum(report.by_rule.values()) == sum(report.by_severity.values()) == report.total

    # Filters: initiative and portfolio match the finding's initiative, role its roles. A
    # filter naming an initiative or role that does not exist is a 404, not an empty report.
    known_initiatives = {i["key"] for i in document["initiatives"]}
    known_roles = {"CMO", "CIO", "CDO", "CEO"} | {r["code"] for r in document.get("roles", [])}
    if (filters["initiatives"] and not filters["initiatives"] <= known_initiatives) or (
        filters["roles"] and not filters["roles"] <= known_roles
    ):
        with pytest.raises(NotFound), database.transaction(write=False) as session:
            findings_report(
                session, FindingsQuery(include_closed=include_closed, as_of=as_of, **filters)
            )
        return
    with database.transaction(write=False) as session:
        filtered = findings_report(
            session, FindingsQuery(include_closed=include_closed, as_of=as_of, **filters)
        )
    portfolio_of = {i["key"]: i["portfolio"] for i in document["initiatives"]}
    wanted_initiatives, wanted_portfolios = filters["initiatives"], filters["portfolios"]
    wanted_roles = filters["roles"]
    assert _as_tuples(filtered.findings) == {
        f
        for f in expected
        if (wanted_initiatives is None or f[2] in wanted_initiatives)
        and (
            wanted_portfolios is None
            or (f[2] is not None and portfolio_of[f[2]] in wanted_portfolios)
        )
        and (wanted_roles is None or wanted_roles.intersection(f[6]))
    }


@settings(
    max_examples=8,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(document=portfolios(), as_of=as_of_days, include_closed=st.booleans())
def test_findings_over_http_equal_the_reference(
    _session_database: tuple[Database, dict[str, Any]],
    app: FastAPI,
    document: dict[str, Any],
    as_of: date,
    include_closed: bool,
) -> None:
    database, seed = _session_database
    _load(database, seed, document, {})
    with database.transaction() as session:
        _, secret = keys_service.create_key(
            session,
            ApiKeyCreate(name="property", scope="read"),  # type: ignore[arg-type]
        )
    with TestClient(app, base_url="http://testserver/api/v1") as client:
        response = client.get(
            "/reports/findings",
            params={"as_of": as_of.isoformat(), "include_closed": include_closed},
            headers={"Authorization": f"Bearer {secret}"},
        )
    assert response.status_code == 200, response.text
    got = {
        (
            f["rule"],
            f["severity"],
            f["initiative"],
            f["component"],
            f["capability"],
            f["kpi"],
            tuple(f["roles"]),
        )
        for f in response.json()["findings"]
    }
    assert got == reference_findings(document, as_of=as_of, include_closed=include_closed)
