"""The RACI matrix of one initiative: a row per component, a column per role."""

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.audit.models import AuditEntry
from app.components.models import Component
from app.core.errors import NotFound
from app.db import dialect
from app.initiatives.models import Initiative
from app.raci.models import RaciCell
from app.roles.models import Role
from app.sheets import Matrix
from app.sheets import MatrixRow as SheetRow


@dataclass(frozen=True, slots=True)
class MatrixRow:
    component: str
    name: str
    group: str | None = None
    cells: dict[str, str] = field(default_factory=dict)  # role code -> letters (AR, CI...)
    rationales: dict[str, str] = field(default_factory=dict)  # role code -> rationale
    agreements: dict[str, str] = field(default_factory=dict)  # role code -> agreement state

    def agreement_summary(self) -> str:
        """The row's agreement in one spreadsheet cell: `agreed` when every cell is, else
        the undecided roles by state, e.g. `disputed: CMO; proposed: CDO, CIO`."""
        by_state: dict[str, list[str]] = {}
        for role in sorted(self.agreements):
            by_state.setdefault(self.agreements[role], []).append(role)
        undecided = [s for s in ("disputed", "proposed") if s in by_state]
        if not undecided:
            return "agreed" if by_state else ""
        return "; ".join(f"{state}: {', '.join(by_state[state])}" for state in undecided)


@dataclass(frozen=True, slots=True)
class RaciMatrix:
    initiative: str
    roles: list[str]
    rows: list[MatrixRow]


def raci_matrix(session: Session, key: str, *, all_roles: bool = False) -> RaciMatrix:
    """The matrix of initiative `key` in three queries; 404 if there is no such initiative.

    The columns are the roles holding a cell in the initiative, ordered by code; with
    `all_roles`, every role in the database, so that a role left out shows as an empty
    column: a visible gap.
    """
    initiative_id = session.scalar(select(Initiative.id).where(Initiative.key == key))
    if initiative_id is None:
        raise NotFound(f"No initiative with key '{key}'")
    rows: dict[int, MatrixRow] = {
        component_id: MatrixRow(component_key, name, group)
        for component_id, component_key, name, group in session.execute(
            select(Component.id, Component.key, Component.name, Component.group)
            .where(Component.initiative_id == initiative_id)
            .order_by(Component.key)
        )
    }
    cells = session.execute(
        select(
            RaciCell.component_id,
            RaciCell.role,
            RaciCell.raci,
            RaciCell.rationale,
            RaciCell.agreement,
        )
        .join(Component, Component.id == RaciCell.component_id)
        .where(Component.initiative_id == initiative_id)
        .order_by(RaciCell.role)
    )
    used: set[str] = set()
    for component_id, role, raci, rationale, agreement in cells:
        rows[component_id].cells[role] = raci
        rows[component_id].agreements[role] = agreement
        if rationale is not None:
            rows[component_id].rationales[role] = rationale
        used.add(role)
    roles = list(session.scalars(select(Role.code).order_by(Role.code))) if all_roles else []
    return RaciMatrix(initiative=key, roles=roles or sorted(used), rows=list(rows.values()))


def raci_matrix_at(
    session: Session, key: str, at: datetime, *, all_roles: bool = False
) -> RaciMatrix:
    """The matrix as it stood at `at`, rebuilt from the audit trail.

    For each component and cell of the initiative, the newest audit entry at or before `at`
    tells whether it existed then and what it held. One query per resource type, whatever
    the initiative's history. 404 if the initiative did not exist at `at`.
    """
    initiative = _states_at(session, "initiative", key, at, exact=True).get(key)
    if initiative is None:
        raise NotFound(f"Initiative '{key}' did not exist at {at.isoformat()}")
    components = _states_at(session, "component", key + "/", at)
    rows = {
        state["key"]: MatrixRow(state["key"], state["name"], state.get("group"))
        for _, state in sorted(components.items())
    }
    for state in _states_at(session, "raci_cell", key + "/", at).values():
        row = rows.get(state["component"])
        if row is not None:
            row.cells[state["role"]] = state["raci"]
            # Entries written before cells carried an agreement: proposed, as migrated.
            row.agreements[state["role"]] = state.get("agreement", "proposed")
            if state.get("rationale") is not None:
                row.rationales[state["role"]] = state["rationale"]
    roles = {r for row in rows.values() for r in row.cells}
    if all_roles:
        roles |= set(session.scalars(select(Role.code)))
    return RaciMatrix(initiative=key, roles=sorted(roles), rows=list(rows.values()))


def _states_at(
    session: Session, resource_type: str, key: str, at: datetime, *, exact: bool = False
) -> dict[str, dict[str, Any]]:
    """Resource key -> public state at `at`, for resources of `resource_type` whose key is
    `key` (exact) or starts with it; resources deleted by then are left out."""
    matches = (
        AuditEntry.resource_key == key
        if exact
        else dialect.starts_with(session, AuditEntry.resource_key, key)
    )
    newest = (
        select(func.max(AuditEntry.id))
        .where(AuditEntry.resource_type == resource_type, matches, AuditEntry.at <= at)
        .group_by(AuditEntry.resource_key)
    )
    entries = session.execute(
        select(AuditEntry.resource_key, AuditEntry.after).where(AuditEntry.id.in_(newest))
    )
    return {resource_key: after for resource_key, after in entries if after is not None}


def as_sheet(matrix: RaciMatrix) -> Matrix:
    """The matrix as app.sheets writes it: the component key as the key column, the name as
    the task, the group, the letters, and each cell's rationale as its note."""
    return Matrix(
        roles=matrix.roles,
        rows=[
            SheetRow(
                task=row.name,
                cells=row.cells,
                group=row.group,
                key=row.component,
                notes=row.rationales,
            )
            for row in matrix.rows
        ],
    )
