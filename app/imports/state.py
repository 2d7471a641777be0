"""What the database holds of the resources an import document names, read set-based.

A fixed number of queries per kind of resource (batched for long key lists), plain rows,
no ORM objects: an import of thousands of initiatives reads them in a few statements.
"""

from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.capabilities.models import CAPABILITY_FIELDS, Capability
from app.db import dialect
from app.db.bulk import batches
from app.initiatives.models import Initiative
from app.initiatives.stored import Stored, StoredInitiative, load_initiatives
from app.kpis.models import KPI_FIELDS, Kpi, KpiInitiative, KpiOwner, Measurement
from app.roles.models import ROLE_FIELDS, Role


@dataclass
class StoredKpi(Stored):
    owners: list[str] = field(default_factory=list)
    initiatives: list[str] = field(default_factory=list)
    measurements: dict[datetime, float] = field(default_factory=dict)


@dataclass
class PortfolioState:
    roles: dict[str, Stored]
    capabilities: dict[str, Stored]
    initiatives: dict[str, StoredInitiative]
    other_initiatives: dict[str, int]
    kpis: dict[str, StoredKpi]


def _rows(session: Session, statement: Any) -> Sequence[Any]:
    return session.execute(statement).all()


def lock_for_import(session: Session) -> None:
    """Imports run one at a time (PostgreSQL; SQLite's write lock already serialises them).

    Two overlapping pushes then never interleave, and each sees what the other committed.
    """
    dialect.lock_transaction(session, "raci.import")


def load_state(
    session: Session,
    *,
    initiative_keys: Collection[str],
    referenced_initiative_keys: Collection[str],
    kpi_keys: Collection[str],
) -> PortfolioState:
    """The stored roles and capabilities (all), and the initiatives and KPIs named."""
    roles = {
        row.code: Stored(row.id, {name: getattr(row, name) for name in ROLE_FIELDS})
        for row in _rows(
            session, select(Role.id, Role.code, *[getattr(Role, n) for n in ROLE_FIELDS])
        )
    }
    capabilities = {
        row.key: Stored(row.id, {name: getattr(row, name) for name in CAPABILITY_FIELDS})
        for row in _rows(
            session,
            select(
                Capability.id, Capability.key, *[getattr(Capability, n) for n in CAPABILITY_FIELDS]
            ),
        )
    }
    initiatives = load_initiatives(session, initiative_keys)
    others = set(referenced_initiative_keys) - set(initiatives)
    other_ids: dict[str, int] = {}
    for chunk in batches(others):
        statement = select(Initiative.key, Initiative.id).where(Initiative.key.in_(chunk))
        other_ids.update({row.key: row.id for row in session.execute(statement)})
    return PortfolioState(
        roles, capabilities, initiatives, other_ids, _load_kpis(session, kpi_keys)
    )


def _load_kpis(session: Session, keys: Collection[str]) -> dict[str, StoredKpi]:
    kpis: dict[str, StoredKpi] = {}
    columns = [getattr(Kpi, name) for name in KPI_FIELDS]
    for chunk in batches(keys):
        statement = (
            select(Kpi.id, Kpi.key, *columns)
            .where(Kpi.key.in_(chunk))
            .order_by(Kpi.key)
            .with_for_update(of=Kpi)
        )
        for row in _rows(session, statement):
            kpis[row.key] = StoredKpi(row.id, {name: getattr(row, name) for name in KPI_FIELDS})
    by_id = {stored.id: stored for stored in kpis.values()}
    for chunk in batches(by_id):
        for row in _rows(
            session,
            select(KpiOwner.kpi_id, KpiOwner.role)
            .where(KpiOwner.kpi_id.in_(chunk))
            .order_by(KpiOwner.role),
        ):
            by_id[row.kpi_id].owners.append(row.role)
        for row in _rows(
            session,
            select(KpiInitiative.kpi_id, Initiative.key)
            .join(Initiative, Initiative.id == KpiInitiative.initiative_id)
            .where(KpiInitiative.kpi_id.in_(chunk))
            .order_by(Initiative.key),
        ):
            by_id[row.kpi_id].initiatives.append(row.key)
        for row in _rows(
            session,
            select(Measurement.kpi_id, Measurement.measured_at, Measurement.value).where(
                Measurement.kpi_id.in_(chunk)
            ),
        ):
            by_id[row.kpi_id].measurements[row.measured_at] = row.value
    return kpis
