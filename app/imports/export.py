"""The whole portfolio as an import document: what `raci export` writes.

Importing it into an empty database gives the same findings and matrices. A fixed number of
set-based queries, however large the portfolio.
"""

from collections import defaultdict
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.capabilities.models import CAPABILITY_FIELDS, Capability
from app.components.models import COMPONENT_FIELDS, Component
from app.core.jsonable import jsonable
from app.initiatives.models import INITIATIVE_FIELDS, Initiative, InitiativeTag
from app.kpis.models import KPI_FIELDS, Kpi, KpiInitiative, KpiOwner, Measurement
from app.raci.models import RaciCell
from app.roles.models import ROLE_FIELDS, Role
from app.rules.service import changed_settings

Document = dict[str, Any]


def _columns(model: Any, names: tuple[str, ...]) -> list[Any]:
    return [getattr(model, name) for name in names]


def _clean(values: dict[str, Any]) -> dict[str, Any]:
    """JSON-ready, without empty optional fields (the import applies the same defaults)."""
    return {name: jsonable(value) for name, value in values.items() if value is not None}


def export_document(session: Session) -> Document:
    roles = [
        _clean(dict(row._mapping))
        for row in session.execute(
            select(Role.code, *_columns(Role, ROLE_FIELDS)).order_by(Role.code)
        )
    ]
    capabilities = [
        _clean(dict(row._mapping))
        for row in session.execute(
            select(Capability.key, *_columns(Capability, CAPABILITY_FIELDS)).order_by(
                Capability.key
            )
        )
    ]

    tags: dict[int, list[str]] = defaultdict(list)
    for initiative_id, tag in session.execute(
        select(InitiativeTag.initiative_id, InitiativeTag.tag).order_by(InitiativeTag.tag)
    ):
        tags[initiative_id].append(tag)
    cells: dict[int, dict[str, str]] = defaultdict(dict)
    rationales: dict[int, dict[str, str]] = defaultdict(dict)
    agreements: dict[int, dict[str, Document]] = defaultdict(dict)
    for cell in session.execute(
        select(
            RaciCell.component_id,
            RaciCell.role,
            RaciCell.raci,
            RaciCell.rationale,
            RaciCell.agreement,
            RaciCell.agreement_by,
            RaciCell.agreement_at,
            RaciCell.agreement_comment,
        ).order_by(RaciCell.role)
    ):
        cells[cell.component_id][cell.role] = cell.raci
        if cell.rationale is not None:
            rationales[cell.component_id][cell.role] = cell.rationale
        if cell.agreement != "proposed":
            # Decided cells only, for the reader: an import ignores them (read-only).
            agreements[cell.component_id][cell.role] = {
                "state": cell.agreement,
                "by": cell.agreement_by,
                "at": jsonable(cell.agreement_at),
                "comment": cell.agreement_comment,
            }
    components: dict[int, list[Document]] = defaultdict(list)
    for row in session.execute(
        select(
            Component.id,
            Component.initiative_id,
            Component.key,
            *_columns(Component, COMPONENT_FIELDS),
        ).order_by(Component.initiative_id, Component.key)
    ):
        values = _clean({"key": row.key, **{name: getattr(row, name) for name in COMPONENT_FIELDS}})
        component = values | {"raci": cells.get(row.id, {})}
        if row.id in rationales:
            component["rationales"] = rationales[row.id]
        if row.id in agreements:
            component["agreements"] = agreements[row.id]
        components[row.initiative_id].append(component)
    initiatives = []
    initiative_keys: dict[int, str] = {}
    for row in session.execute(
        select(Initiative.id, Initiative.key, *_columns(Initiative, INITIATIVE_FIELDS)).order_by(
            Initiative.key
        )
    ):
        initiative_keys[row.id] = row.key
        values = _clean(
            {"key": row.key, **{name: getattr(row, name) for name in INITIATIVE_FIELDS}}
        )
        initiatives.append(
            values | {"tags": tags.get(row.id, []), "components": components.get(row.id, [])}
        )

    owners: dict[int, list[str]] = defaultdict(list)
    for kpi_id, role in session.execute(
        select(KpiOwner.kpi_id, KpiOwner.role).order_by(KpiOwner.role)
    ):
        owners[kpi_id].append(role)
    served: dict[int, list[str]] = defaultdict(list)
    for kpi_id, initiative_id in session.execute(
        select(KpiInitiative.kpi_id, KpiInitiative.initiative_id)
    ):
        served[kpi_id].append(initiative_keys[initiative_id])
    kpis = []
    kpi_keys: dict[int, str] = {}
    for row in session.execute(
        select(Kpi.id, Kpi.key, *_columns(Kpi, KPI_FIELDS)).order_by(Kpi.key)
    ):
        kpi_keys[row.id] = row.key
        values = _clean({"key": row.key, **{name: getattr(row, name) for name in KPI_FIELDS}})
        kpis.append(values | {"owners": owners[row.id], "initiatives": sorted(served[row.id])})

    measurements: dict[str, list[Document]] = defaultdict(list)
    for row in session.execute(
        select(
            Measurement.kpi_id, Measurement.measured_at, Measurement.value, Measurement.note
        ).order_by(Measurement.kpi_id, Measurement.measured_at)
    ):
        measurements[kpi_keys[row.kpi_id]].append(
            _clean({"value": row.value, "measured_at": row.measured_at, "note": row.note})
        )
    return {
        "roles": roles,
        "capabilities": capabilities,
        "initiatives": initiatives,
        "kpis": kpis,
        "measurements": dict(measurements),
        "rules": [setting.model_dump() for setting in changed_settings(session)],
    }
