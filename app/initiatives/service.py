"""Initiatives: chatbots, IoT programmes, campaigns...; the units the PMO tracks.

An initiative's version covers its whole document: a change to its tags, components or
cells raises it by one, exactly as a change to its own fields does.
"""

from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, bindparam, func, select
from sqlalchemy.orm import Session, joinedload

from app.core.errors import Conflict, NotFound
from app.core.jsonable import jsonable
from app.core.pagination import PageParams, page_of, split_page
from app.core.preconditions import IfMatch
from app.core.resources import check_identity, merge_patch, raise_if_referenced, validate_as
from app.db.base import utcnow
from app.initiatives.document import ComponentState, check_document
from app.initiatives.document import load_components as load_component_states
from app.initiatives.engine import DocumentEngine
from app.initiatives.models import Initiative, InitiativeTag
from app.initiatives.schemas import (
    InitiativeDocument,
    InitiativeFields,
    InitiativeReplace,
)
from app.initiatives.stored import load_initiatives
from app.kpis.models import Kpi, KpiInitiative
from app.references import require_roles


@dataclass(frozen=True)
class InitiativeFilters:
    """List filters; within one filter any value matches, and the filters combine with AND."""

    statuses: Collection[str] = ()
    kinds: Collection[str] = ()
    portfolios: Collection[str] = ()
    sponsors: Collection[str] = ()
    tags: Collection[str] = ()
    name_contains: str | None = None


def find_initiative(session: Session, key: str, *, for_update: bool = False) -> Initiative | None:
    """The initiative with this key. `for_update` locks its row (PostgreSQL) so that writers
    of one initiative's document queue instead of failing on its version."""
    stmt = select(Initiative).where(Initiative.key == key)
    if for_update:
        return session.scalar(stmt.with_for_update())
    # Tags in the same query: this is the hot read path, and a second query is a third of it.
    return session.scalars(stmt.options(joinedload(Initiative.tag_rows))).unique().one_or_none()


# An initiative's own columns as InitiativeRead names them (all but the id).
_READ_COLUMNS = [column for column in Initiative.__table__.c if column.key != "id"]


# The initiative with the bound `key`, once per tag (once with a NULL tag when it has none):
# one statement for the read PMO tools poll most.
_INITIATIVE_WITH_TAGS = (
    select(*_READ_COLUMNS, InitiativeTag.tag)
    .outerjoin(InitiativeTag, InitiativeTag.initiative_id == Initiative.id)
    .where(Initiative.key == bindparam("key"))
)


def read_initiative(session: Session, key: str) -> dict[str, Any] | None:
    """The initiative's fields with its sorted `tags`, as InitiativeRead names them, in one
    query; None when there is none with this key."""
    rows = session.execute(_INITIATIVE_WITH_TAGS, {"key": key}).mappings().all()
    if not rows:
        return None
    fields = {column.key: rows[0][column.key] for column in _READ_COLUMNS}
    fields["tags"] = sorted(row["tag"] for row in rows if row["tag"] is not None)
    return fields


def get_initiative(session: Session, key: str, *, for_update: bool = False) -> Initiative:
    initiative = find_initiative(session, key, for_update=for_update)
    if initiative is None:
        raise NotFound(f"No initiative with key '{key}'")
    return initiative


def list_initiatives(
    session: Session, page: PageParams, filters: InitiativeFilters = InitiativeFilters()
) -> tuple[list[Initiative], str | None]:
    """One page of initiatives by key, narrowed by `filters` (tags load in one more query)."""
    rows = list(session.scalars(page_of(_filtered(filters), Initiative.key, page)))
    return split_page(rows, page, lambda initiative: initiative.key)


def component_states(session: Session, initiative: Initiative) -> list[ComponentState]:
    """The initiative's components, ordered by key, with their cells: two queries."""
    return load_component_states(session, [initiative.id]).get(initiative.id, [])


def create_initiative(session: Session, data: InitiativeDocument) -> Initiative:
    """Insert the initiative and, if the document has them, its components and cells
    (app.initiatives.engine); 409 when the key is taken, 422 naming every bad reference."""
    check_document(session, data.sponsor, data.components)
    stored = load_initiatives(session, [data.key])
    if data.key in stored:
        raise Conflict(f"An initiative with key '{data.key}' already exists")
    DocumentEngine(session, stored, utcnow()).apply([data])
    return get_initiative(session, data.key)


def put_initiative(
    session: Session, key: str, data: InitiativeReplace, if_match: IfMatch
) -> tuple[Initiative, bool]:
    """Create or replace through the document engine; True when it created. Components are
    replaced only when given. The stored initiative's row is locked first (PostgreSQL), so
    that writers of one initiative queue, and If-Match is checked against its version."""
    check_identity("key", key, data.key)
    stored = load_initiatives(session, [key])
    current = stored.get(key)
    if_match.check(current.version if current else None)
    check_document(session, data.sponsor, data.components)
    document = InitiativeDocument(
        key=key, **_fields(data), tags=data.tags, components=data.components
    )
    DocumentEngine(session, stored, utcnow()).apply([document])
    return get_initiative(session, key), current is None


def patch_initiative(
    session: Session, key: str, patch: dict[str, Any], if_match: IfMatch
) -> Initiative:
    """A JSON merge patch of the initiative's own fields and tags, through the document
    engine (components untouched)."""
    stored = load_initiatives(session, [key])
    current = stored.get(key)
    if current is None:
        raise NotFound(f"No initiative with key '{key}'")
    if_match.check(current.version)
    check_identity("key", key, patch.pop("key", None))
    fields = {**jsonable_fields(current.fields), "tags": current.tags}
    merged = validate_as(InitiativeFields, merge_patch(fields, patch))
    if merged.sponsor is not None:
        require_roles(session, {merged.sponsor: ["body", "sponsor"]})
    document = InitiativeDocument(key=key, **_fields(merged), tags=merged.tags)
    DocumentEngine(session, stored, utcnow()).apply([document])
    return get_initiative(session, key)


def delete_initiative(session: Session, key: str, if_match: IfMatch) -> None:
    """Delete the initiative with its components and cells; 409 while KPIs serve it."""
    initiative = get_initiative(session, key, for_update=True)
    if_match.check(initiative.version)
    raise_if_referenced(f"Initiative {key}", initiative_references(session, initiative.id))
    session.delete(initiative)
    session.flush()


def initiative_references(session: Session, initiative_id: int) -> dict[str, list[str]]:
    """The KPIs that serve the initiative (its components and cells belong to it)."""
    kpis = session.scalars(
        select(Kpi.key)
        .join(KpiInitiative, KpiInitiative.kpi_id == Kpi.id)
        .where(KpiInitiative.initiative_id == initiative_id)
        .order_by(Kpi.key)
    )
    return {"KPIs": list(kpis)}


def _filtered(filters: InitiativeFilters) -> Select[Any]:
    stmt = select(Initiative)
    for column, values in (
        (Initiative.status, filters.statuses),
        (Initiative.kind, filters.kinds),
        (Initiative.portfolio, filters.portfolios),
        (Initiative.sponsor, filters.sponsors),
    ):
        if values:
            stmt = stmt.where(column.in_(set(values)))
    if filters.tags:
        stmt = stmt.where(
            Initiative.id.in_(
                select(InitiativeTag.initiative_id).where(InitiativeTag.tag.in_(set(filters.tags)))
            )
        )
    if filters.name_contains:
        # lower() on both sides: LIKE is case-sensitive on PostgreSQL, not on SQLite.
        stmt = stmt.where(
            func.lower(Initiative.name).contains(filters.name_contains.lower(), autoescape=True)
        )
    return stmt


def _fields(data: InitiativeFields) -> dict[str, Any]:
    return {
        "name": data.name,
        "kind": data.kind,
        "status": data.status,
        "portfolio": data.portfolio,
        "sponsor": data.sponsor,
        "goals": data.goals,
        "use_cases": data.use_cases,
        "feasibility": data.feasibility,
        "priority": data.priority,
        "start_date": data.start_date,
        "end_date": data.end_date,
        "external_ref": data.external_ref,
    }


def jsonable_fields(fields: dict[str, Any]) -> dict[str, Any]:
    return {name: jsonable(value) for name, value in fields.items()}
