"""Load an import-shaped portfolio document straight into the database, for tests.

The document has the shape `POST /imports` takes (and app/data/portfolio.json has):
`{"roles", "capabilities", "initiatives" (with nested "components" and "raci" maps),
"kpis", "measurements": {kpi key: [...]}}`, every part optional; components may carry
`agreements` as `GET /export` writes them, each with an optional `proposed_at`, and the
document a `cells_proposed_at` (when the letters of cells without one were set). It is written with
SQLAlchemy Core in one transaction, without validation and without going through HTTP,
so that report tests do not depend on the other endpoints.
"""

import json
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

import app
from app.capabilities.models import Capability
from app.components.models import Component
from app.core.identifiers import normalize_raci
from app.db.base import utcnow
from app.db.engine import Database
from app.initiatives.models import Initiative, InitiativeTag
from app.kpis.models import Kpi, KpiInitiative, KpiOwner, Measurement
from app.raci.models import RaciCell
from app.roles.models import Role

DEMO_PORTFOLIO = Path(app.__file__).parent / "data" / "portfolio.json"

INITIATIVE_FIELDS = (
    "key",
    "name",
    "kind",
    "status",
    "portfolio",
    "sponsor",
    "goals",
    "use_cases",
    "feasibility",
    "priority",
    "external_ref",
)


def demo_portfolio() -> dict[str, Any]:
    """The demo portfolio shipped with the project."""
    data: dict[str, Any] = json.loads(DEMO_PORTFOLIO.read_text(encoding="utf-8"))
    return data


def _day(value: str | date | None) -> date | None:
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(value)


def _instant(value: str | datetime) -> datetime:
    if isinstance(value, datetime):
        return value
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _agreement(given: dict[str, Any] | None, proposed_at: datetime) -> dict[str, Any]:
    """A cell's agreement columns from a component's `agreements` entry (as the export
    writes it, plus `proposed_at`: when its letters were set); none: proposed at
    `proposed_at` (the document's `cells_proposed_at`, else the load's time)."""
    entry = given or {}
    return {
        "agreement": entry.get("state", "proposed"),
        "agreement_by": entry.get("by"),
        "agreement_at": _instant(entry["at"]) if entry.get("at") else None,
        "agreement_comment": entry.get("comment"),
        "letters_set_at": _instant(entry.get("proposed_at") or proposed_at),
    }


def load_portfolio(database: Database, document: dict[str, Any]) -> None:
    """Write `document` into the database in one transaction."""
    with database.transaction() as session:
        load_into(session, document)


def load_into(session: Session, document: dict[str, Any]) -> None:
    """Write `document` with `session` (flushes, does not commit)."""
    now = utcnow()
    stamps = {"version": 1, "created_at": now, "updated_at": now}

    roles = document.get("roles") or []
    if roles:
        existing = set(session.scalars(select(Role.code)))
        new_roles = [
            {
                "code": r["code"],
                "name": r["name"],
                "description": r.get("description"),
                "function": r.get("function", "other"),
                **stamps,
            }
            for r in roles
            if r["code"] not in existing
        ]
        if new_roles:
            session.execute(insert(Role), new_roles)

    capabilities = document.get("capabilities") or []
    if capabilities:
        session.execute(
            insert(Capability),
            [
                {
                    "key": c["key"],
                    "name": c["name"],
                    "domain": c.get("domain"),
                    "description": c.get("description"),
                    "agreed_owner": c.get("agreed_owner"),
                    "rationale": c.get("rationale"),
                    **stamps,
                }
                for c in capabilities
            ],
        )

    initiatives = document.get("initiatives") or []
    if initiatives:
        session.execute(
            insert(Initiative),
            [
                {
                    **{name: i[name] for name in INITIATIVE_FIELDS if name in i},
                    "start_date": _day(i.get("start_date")),
                    "end_date": _day(i.get("end_date")),
                    **stamps,
                }
                for i in initiatives
            ],
        )
    initiative_ids = {
        key: id_ for key, id_ in session.execute(select(Initiative.key, Initiative.id))
    }

    tags = [
        {"initiative_id": initiative_ids[i["key"]], "tag": tag}
        for i in initiatives
        for tag in sorted(set(i.get("tags") or []))
    ]
    if tags:
        session.execute(insert(InitiativeTag), tags)

    components = [
        {
            "initiative_id": initiative_ids[i["key"]],
            "key": c["key"],
            "name": c["name"],
            "capability": c.get("capability"),
            "description": c.get("description"),
            **stamps,
        }
        for i in initiatives
        for c in i.get("components") or []
    ]
    if components:
        session.execute(insert(Component), components)
        component_ids = {
            (initiative_id, key): component_id
            for component_id, initiative_id, key in session.execute(
                select(Component.id, Component.initiative_id, Component.key)
            )
        }
        proposed_at = _instant(document.get("cells_proposed_at") or now)
        cells = [
            {
                "component_id": component_ids[(initiative_ids[i["key"]], c["key"])],
                "role": role.upper(),
                "raci": normalize_raci(raci),
                **_agreement((c.get("agreements") or {}).get(role), proposed_at),
                **stamps,
            }
            for i in initiatives
            for c in i.get("components") or []
            for role, raci in (c.get("raci") or {}).items()
        ]
        if cells:
            session.execute(insert(RaciCell), cells)

    kpis = document.get("kpis") or []
    if kpis:
        session.execute(
            insert(Kpi),
            [
                {
                    "key": k["key"],
                    "name": k["name"],
                    "unit": k.get("unit"),
                    "direction": k.get("direction", "increase"),
                    "baseline": k["baseline"],
                    "baseline_date": _day(k["baseline_date"]),
                    "target": k["target"],
                    "target_date": _day(k["target_date"]),
                    **stamps,
                }
                for k in kpis
            ],
        )
    kpi_ids = {key: id_ for key, id_ in session.execute(select(Kpi.key, Kpi.id))}
    owners = [
        {"kpi_id": kpi_ids[k["key"]], "role": role}
        for k in kpis
        for role in sorted(set(k.get("owners") or []))
    ]
    if owners:
        session.execute(insert(KpiOwner), owners)
    served = [
        {"kpi_id": kpi_ids[k["key"]], "initiative_id": initiative_ids[key]}
        for k in kpis
        for key in sorted(set(k.get("initiatives") or []))
    ]
    if served:
        session.execute(insert(KpiInitiative), served)

    measurements = [
        {
            "kpi_id": kpi_ids[kpi_key],
            "value": m["value"],
            "measured_at": _instant(m["measured_at"]),
            "note": m.get("note"),
            "created_at": now,
        }
        for kpi_key, items in (document.get("measurements") or {}).items()
        for m in items
    ]
    if measurements:
        session.execute(insert(Measurement), measurements)
    session.flush()


def findings_of(body: dict[str, Any]) -> list[tuple[Any, ...]]:
    """The findings of a report body as (rule, initiative, component, capability, kpi)."""
    return [
        (f["rule"], f["initiative"], f["component"], f["capability"], f["kpi"])
        for f in body["findings"]
    ]
