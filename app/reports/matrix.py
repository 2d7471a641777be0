"""The RACI matrix of one initiative: a row per component, a column per role."""

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.components.models import Component
from app.errors import NotFound
from app.initiatives.models import Initiative
from app.raci.models import RaciCell
from app.roles.models import Role


@dataclass(frozen=True, slots=True)
class MatrixRow:
    component: str
    name: str
    cells: dict[str, str] = field(default_factory=dict)  # role code -> R, A, C, I or AR


@dataclass(frozen=True, slots=True)
class RaciMatrix:
    initiative: str
    roles: list[str]
    rows: list[MatrixRow]


def raci_matrix(session: Session, key: str) -> RaciMatrix:
    """The matrix of initiative `key` in three queries; 404 if there is no such initiative.

    The columns are every role in the database, ordered by code, so that every matrix has
    the same columns and a role with no cell shows as an empty column: a visible gap.
    """
    initiative_id = session.scalar(select(Initiative.id).where(Initiative.key == key))
    if initiative_id is None:
        raise NotFound(f"No initiative with key '{key}'")
    roles = list(session.scalars(select(Role.code).order_by(Role.code)))
    rows: dict[int, MatrixRow] = {
        component_id: MatrixRow(component_key, name)
        for component_id, component_key, name in session.execute(
            select(Component.id, Component.key, Component.name)
            .where(Component.initiative_id == initiative_id)
            .order_by(Component.key)
        )
    }
    cells = session.execute(
        select(RaciCell.component_id, RaciCell.role, RaciCell.raci)
        .join(Component, Component.id == RaciCell.component_id)
        .where(Component.initiative_id == initiative_id)
        .order_by(RaciCell.role)
    )
    for component_id, role, raci in cells:
        rows[component_id].cells[role] = raci
    return RaciMatrix(initiative=key, roles=roles, rows=list(rows.values()))
