"""RACI cells: what one role is (R, A, C, I or AR) for one component of an initiative.

A change to a cell also raises its initiative's version, whose ETag covers the components
and cells of the initiative's document.
"""

from typing import Any

from sqlalchemy.orm import Session

from app.components.models import Component
from app.components.service import get_initiative_component, record_change
from app.core.errors import NotFound
from app.core.preconditions import IfMatch
from app.core.resources import check_identity
from app.db.base import utcnow
from app.db.writes import assign, insert_new
from app.initiatives.models import Initiative
from app.raci.models import PROPOSED, RaciCell
from app.raci.schemas import RaciCellFields, RaciCellReplace
from app.roles.service import get_role


def find_cell(session: Session, component: Component, role_code: str) -> RaciCell | None:
    return session.get(RaciCell, (component.id, role_code))


def get_cell(session: Session, key: str, component_key: str, role_code: str) -> RaciCell:
    """The cell, or 404 naming the initiative, component, role or cell that does not exist."""
    *_, cell = _locate(session, key, component_key, role_code, for_update=False)
    if cell is None:
        raise _cell_not_found(key, component_key, role_code)
    return cell


def put_cell(
    session: Session,
    key: str,
    component_key: str,
    role_code: str,
    data: RaciCellReplace,
    if_match: IfMatch,
) -> tuple[RaciCell, bool]:
    """Set the role's letter for the component; True when the cell was created.

    The same letter and rationale again change nothing (no version is raised). New letters
    make the cell's agreement `proposed` again; a new rationale alone keeps it.
    """
    check_identity("initiative", key, data.initiative)
    check_identity("component", component_key, data.component)
    check_identity("role", role_code, data.role)
    initiative, component, cell = _locate(session, key, component_key, role_code, for_update=True)
    if_match.check(cell.version if cell else None)
    values = _fields(data)
    if cell is None:
        cell = insert_new(
            session,
            RaciCell(component_id=component.id, role=role_code, **values),
            f"The cell of role {role_code} on '{key}/{component_key}' was created by another "
            "request meanwhile; GET it and retry",
        )
        record_change(session, initiative)
        return cell, True
    if any(getattr(cell, name) != value for name, value in values.items()):
        if cell.raci != values["raci"]:
            # New letters re-open the agreement (API.md "Explicit agreement").
            values |= PROPOSED | {"letters_set_at": utcnow()}
        assign(cell, values)
        record_change(session, initiative)
    return cell, False


def delete_cell(
    session: Session, key: str, component_key: str, role_code: str, if_match: IfMatch
) -> None:
    initiative, _, cell = _locate(session, key, component_key, role_code, for_update=True)
    if cell is None:
        raise _cell_not_found(key, component_key, role_code)
    if_match.check(cell.version)
    session.delete(cell)
    record_change(session, initiative)


def _locate(
    session: Session, key: str, component_key: str, role_code: str, *, for_update: bool
) -> tuple[Initiative, Component, RaciCell | None]:
    initiative, component = get_initiative_component(
        session, key, component_key, for_update=for_update
    )
    get_role(session, role_code)
    return initiative, component, find_cell(session, component, role_code)


def _cell_not_found(key: str, component_key: str, role_code: str) -> NotFound:
    return NotFound(
        f"Role {role_code} holds no RACI cell on component '{component_key}' of initiative '{key}'"
    )


def _fields(data: RaciCellFields) -> dict[str, Any]:
    return {"raci": data.raci, "rationale": data.rationale}
