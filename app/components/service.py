"""Components: the parts of an initiative, and the lookups every resource nested in one uses.

An initiative's version covers its whole document (its components and their RACI cells),
so every change made here also raises the initiative's version (see `record_change`).
"""

from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from app.components.models import COMPONENT_FIELDS, Component
from app.components.schemas import ComponentCreate, ComponentFields, ComponentReplace
from app.core.errors import NotFound
from app.core.pagination import PageParams, page_of, split_page
from app.core.preconditions import IfMatch
from app.core.resources import check_identity, merge_patch, validate_as
from app.db.writes import assign, insert_new, touch
from app.initiatives.models import Initiative
from app.raci.models import RaciCell
from app.references import require_capabilities


def _initiative_query(key: str, *, for_update: bool) -> Select[Initiative]:
    stmt = select(Initiative).where(Initiative.key == key)
    # Writers lock the initiative first: concurrent changes to one initiative's document
    # then queue on PostgreSQL instead of failing on its version (SQLite queues anyway).
    return stmt.with_for_update(of=Initiative) if for_update else stmt


def initiative_not_found(key: str) -> NotFound:
    return NotFound(f"No initiative with key '{key}'")


def component_not_found(key: str, component_key: str) -> NotFound:
    return NotFound(f"No component '{component_key}' in initiative '{key}'")


def get_initiative(session: Session, key: str, *, for_update: bool = False) -> Initiative:
    """The initiative with this key, or 404 naming it. `for_update` locks it for a write."""
    initiative = session.scalar(_initiative_query(key, for_update=for_update))
    if initiative is None:
        raise initiative_not_found(key)
    return initiative


def find_component(
    session: Session, initiative: Initiative, component_key: str
) -> Component | None:
    return session.scalar(
        select(Component).where(
            Component.initiative_id == initiative.id, Component.key == component_key
        )
    )


def get_initiative_component(
    session: Session, key: str, component_key: str, *, for_update: bool = False
) -> tuple[Initiative, Component]:
    """The initiative and its component, or 404 naming whichever does not exist.

    Used by every resource below a component (RACI cells, the matrix). `for_update` locks
    the initiative, as every write below it raises the initiative's version.
    """
    initiative = get_initiative(session, key, for_update=for_update)
    component = find_component(session, initiative, component_key)
    if component is None:
        raise component_not_found(key, component_key)
    return initiative, component


def record_change(session: Session, initiative: Initiative) -> None:
    """A component or cell of `initiative` changed: raise the initiative's version by one."""
    touch(initiative)
    session.flush()


def list_components(
    session: Session, key: str, page: PageParams
) -> tuple[list[Component], str | None]:
    initiative = get_initiative(session, key)
    stmt = select(Component).where(Component.initiative_id == initiative.id)
    rows = list(session.scalars(page_of(stmt, Component.key, page)))
    return split_page(rows, page, lambda component: component.key)


def get_component(session: Session, key: str, component_key: str) -> Component:
    return get_initiative_component(session, key, component_key)[1]


def create_component(session: Session, key: str, data: ComponentCreate) -> Component:
    """Add a component; 409 if the initiative already has one with that key."""
    check_identity("initiative", key, data.initiative)
    initiative = get_initiative(session, key, for_update=True)
    return _insert(session, initiative, data.key, data)


def put_component(
    session: Session, key: str, component_key: str, data: ComponentReplace, if_match: IfMatch
) -> tuple[Component, bool]:
    """Create or replace; True when it created. An unchanged component raises no version."""
    check_identity("key", component_key, data.key)
    check_identity("initiative", key, data.initiative)
    initiative = get_initiative(session, key, for_update=True)
    component = find_component(session, initiative, component_key)
    if_match.check(component.version if component else None)
    if component is None:
        return _insert(session, initiative, component_key, data), True
    _update(session, initiative, component, data)
    return component, False


def patch_component(
    session: Session, key: str, component_key: str, patch: dict[str, Any], if_match: IfMatch
) -> Component:
    initiative, component = get_initiative_component(session, key, component_key, for_update=True)
    if_match.check(component.version)
    current = ComponentFields.model_validate(component, from_attributes=True).model_dump()
    merged = validate_as(ComponentFields, merge_patch(current, patch))
    _update(session, initiative, component, merged)
    return component


def delete_component(session: Session, key: str, component_key: str, if_match: IfMatch) -> None:
    """Delete the component and its RACI cells."""
    initiative, component = get_initiative_component(session, key, component_key, for_update=True)
    if_match.check(component.version)
    # Cells go through the session one by one (not a bulk DELETE, nor only the database's
    # ON DELETE CASCADE) so that session events see each of them removed.
    cells = session.scalars(select(RaciCell).where(RaciCell.component_id == component.id))
    for cell in cells.all():
        session.delete(cell)
    session.flush()
    session.delete(component)
    record_change(session, initiative)


def _insert(
    session: Session, initiative: Initiative, component_key: str, data: ComponentFields
) -> Component:
    _require_capability(session, data)
    component = insert_new(
        session,
        Component(initiative_id=initiative.id, key=component_key, **_fields(data)),
        f"Initiative '{initiative.key}' already has a component with key '{component_key}'",
    )
    record_change(session, initiative)
    return component


def _update(
    session: Session, initiative: Initiative, component: Component, data: ComponentFields
) -> None:
    values = _fields(data)
    if all(getattr(component, name) == value for name, value in values.items()):
        return
    _require_capability(session, data)
    assign(component, values)
    record_change(session, initiative)


def _require_capability(session: Session, data: ComponentFields) -> None:
    if data.capability is not None:
        require_capabilities(session, {data.capability: ("body", "capability")})


def _fields(data: ComponentFields) -> dict[str, Any]:
    return {name: getattr(data, name) for name in COMPONENT_FIELDS}
