"""A small, obviously-correct reference for the findings, over an import-shaped document.

It reads the API contract's rule table literally, one loop per rule, with no database and
no cleverness, so that the property test can hold the set-based SQL to it. Only the KPI
status formula is shared with the service (it is the contract's formula, a pure function).
"""

from datetime import UTC, date, datetime, time
from typing import Any

from app.kpis.status import KpiTargets, kpi_status

LIVE = {"proposed", "planned", "active", "on_hold"}
DEFAULT_SEVERITY = {
    "UNOWNED_COMPONENT": "high",
    "MULTIPLE_ACCOUNTABLE": "high",
    "NO_RESPONSIBLE": "medium",
    "UNSPONSORED_INITIATIVE": "high",
    "SILOED_INITIATIVE": "medium",
    "CAPABILITY_OVERLAP": "medium",
    "OWNER_DRIFT": "low",
    "NO_JOINT_KPI": "medium",
    "KPI_OFF_TRACK": "medium",
    "DISPUTED_CELL": "high",
    "UNAGREED_CELL": "low",
    "STALE_AGREEMENT": "low",
    "IT_NOT_INVOLVED_EARLY": "medium",
    "BUSINESS_NOT_INVOLVED_EARLY": "medium",
}
DEFAULT_FUNCTIONS = {"CMO": "marketing", "CIO": "technology", "CDO": "digital", "CEO": "executive"}
TECHNOLOGY_KINDS = {"chatbot", "iot", "analytics", "app", "platform"}
GRACE_DAYS = 14  # agreement_grace_days, as /settings holds it by default
RECONFIRM_DAYS = 365  # reconfirm_days
LETTER = {"R": "R", "A": "A", "C": "C", "I": "I", "AR": "AR", "A/R": "AR", "R/A": "AR", "RA": "AR"}

# (rule, severity, initiative, component, capability, kpi, roles)
RefFinding = tuple[str, str, str | None, str | None, str | None, str | None, tuple[str, ...]]


def _day(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(value)


def _instant(value: Any) -> datetime:
    if isinstance(value, datetime):
        return value
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def reference_findings(
    document: dict[str, Any],
    *,
    as_of: date,
    include_closed: bool = False,
    settings: dict[str, tuple[bool, str]] | None = None,
) -> set[RefFinding]:
    """Every finding of `document`; `settings` maps a rule to (enabled, severity)."""
    rules = {code: (True, severity) for code, severity in DEFAULT_SEVERITY.items()}
    rules.update(settings or {})
    found: list[tuple[str, str | None, str | None, str | None, str | None, tuple[str, ...]]] = []

    def counted(initiative: dict[str, Any]) -> bool:
        return include_closed or initiative.get("status", "proposed") in LIVE

    agreed_owner = {c["key"]: c.get("agreed_owner") for c in document.get("capabilities", [])}
    domain = {c["key"]: c.get("domain") for c in document.get("capabilities", [])}
    function = {
        **DEFAULT_FUNCTIONS,
        **{r["code"]: r.get("function", "other") for r in document.get("roles", [])},
    }
    initiatives = [i for i in document.get("initiatives", []) if counted(i)]
    kpis = document.get("kpis", [])

    for initiative in initiatives:
        key = initiative["key"]
        sponsor = initiative.get("sponsor")
        if sponsor is None:
            found.append(("UNSPONSORED_INITIATIVE", key, None, None, None, ()))
        roles_named: set[str] = set()
        for component in initiative.get("components", []):
            cells = {
                role.upper(): LETTER[value.upper()]
                for role, value in (component.get("raci") or {}).items()
            }
            roles_named.update(cells)
            accountable = sorted(r for r, v in cells.items() if v in ("A", "AR"))
            responsible = [r for r, v in cells.items() if v in ("R", "AR")]
            capability = component.get("capability")
            where = (key, component["key"], capability, None)
            if not accountable:
                found.append(("UNOWNED_COMPONENT", *where, tuple(sorted(cells))))
            if len(accountable) >= 2:
                found.append(("MULTIPLE_ACCOUNTABLE", *where, tuple(accountable)))
            if not responsible:
                found.append(("NO_RESPONSIBLE", *where, tuple(accountable)))
            owner = agreed_owner.get(capability) if capability else None
            if owner is not None and owner not in accountable:
                found.append(("OWNER_DRIFT", *where, tuple(sorted({owner, *accountable}))))
            for role in cells:
                agreement = (component.get("agreements") or {}).get(role) or {}
                state = agreement.get("state", "proposed")
                proposed = _instant(
                    agreement.get("proposed_at")
                    or document.get("cells_proposed_at")
                    or datetime.now(UTC)  # loaded now, as tests.portfolio_loader does
                )
                if state == "disputed":
                    found.append(("DISPUTED_CELL", *where, (role,)))
                elif state == "proposed" and (as_of - proposed.date()).days >= GRACE_DAYS:
                    found.append(("UNAGREED_CELL", *where, (role,)))
                elif (
                    state == "agreed"
                    and (as_of - _instant(agreement["at"]).date()).days > RECONFIRM_DAYS
                ):
                    found.append(("STALE_AGREEMENT", *where, (role,)))
        if initiative.get("status", "proposed") in ("proposed", "planned"):
            components = initiative.get("components", [])
            needs_technology = initiative.get("kind", "other") in TECHNOLOGY_KINDS or any(
                domain.get(c.get("capability")) in ("technology", "data") for c in components
            )
            involved = {
                function[role.upper()]
                for c in components
                for role, value in (c.get("raci") or {}).items()
                if set(LETTER[value.upper()]) & {"R", "A", "C"}
            }
            who = (sponsor,) if sponsor else ()
            if needs_technology and "technology" not in involved:
                found.append(("IT_NOT_INVOLVED_EARLY", key, None, None, None, who))
            if initiative.get("portfolio") == "it" and "marketing" not in involved:
                found.append(("BUSINESS_NOT_INVOLVED_EARLY", key, None, None, None, who))
        if len(roles_named) == 1:
            found.append(("SILOED_INITIATIVE", key, None, None, None, tuple(roles_named)))
        joint = any(key in k.get("initiatives", []) and len(set(k["owners"])) >= 2 for k in kpis)
        if not joint:
            found.append(("NO_JOINT_KPI", key, None, None, None, (sponsor,) if sponsor else ()))

    for capability in agreed_owner:
        building: set[str] = set()
        accountable_roles: set[str] = set()
        for initiative in initiatives:
            for component in initiative.get("components", []):
                if component.get("capability") != capability:
                    continue
                building.add(initiative["key"])
                for role, value in (component.get("raci") or {}).items():
                    if LETTER[value.upper()] in ("A", "AR"):
                        accountable_roles.add(role.upper())
        if len(building) >= 2 and len(accountable_roles) >= 2:
            found.append(
                (
                    "CAPABILITY_OVERLAP",
                    None,
                    None,
                    capability,
                    None,
                    tuple(sorted(accountable_roles)),
                )
            )

    status_of = reference_kpi_statuses(document, as_of)
    counted_keys = {i["key"] for i in initiatives}
    for kpi in kpis:
        served = kpi.get("initiatives", [])
        if served and not include_closed and not counted_keys.intersection(served):
            continue
        if status_of[kpi["key"]] == "off_track":
            found.append(
                ("KPI_OFF_TRACK", None, None, None, kpi["key"], tuple(sorted(set(kpi["owners"]))))
            )

    return {
        (rule, rules[rule][1], *rest)
        for rule, *rest in found
        if rules[rule][0]  # enabled
    }  # type: ignore[misc]


def reference_kpi_statuses(document: dict[str, Any], as_of: date) -> dict[str, str]:
    """Each KPI's status, with the newest measurement taken by the end of `as_of` (UTC)."""
    cutoff = datetime.combine(as_of, time.max, tzinfo=UTC)
    measurements = document.get("measurements", {})
    statuses = {}
    for kpi in document.get("kpis", []):
        seen = [
            (_instant(m["measured_at"]), m["value"])
            for m in measurements.get(kpi["key"], [])
            if _instant(m["measured_at"]) <= cutoff
        ]
        latest_at, latest_value = max(seen) if seen else (None, None)
        targets = KpiTargets(
            kpi.get("direction", "increase"),
            kpi["baseline"],
            _day(kpi["baseline_date"]),
            kpi["target"],
            _day(kpi["target_date"]),
        )
        statuses[kpi["key"]] = kpi_status(targets, latest_value, latest_at, as_of)
    return statuses
