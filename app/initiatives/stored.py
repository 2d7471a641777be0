"""What the database holds of some initiatives' documents, read set-based: plain rows, no ORM
objects, a fixed number of queries per 500 initiatives (app.initiatives.engine compares
documents with it)."""

from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.components.models import COMPONENT_FIELDS, Component
from app.db.bulk import batches
from app.initiatives.models import INITIATIVE_FIELDS, Initiative, InitiativeTag
from app.raci.models import PROPOSED, RaciCell

Fields = dict[str, Any]


@dataclass
class Stored:
    """A stored row: its id and its writable fields."""

    id: int
    fields: Fields


@dataclass
class StoredCell:
    raci: str
    rationale: str | None
    # The agreement columns (app.raci.models.PROPOSED names them), kept when letters stay.
    agreement: Fields = field(default_factory=lambda: dict(PROPOSED))


@dataclass
class StoredComponent(Stored):
    cells: dict[str, StoredCell] = field(default_factory=dict)


@dataclass
class StoredInitiative(Stored):
    version: int = 1
    tags: list[str] = field(default_factory=list)
    components: dict[str, StoredComponent] = field(default_factory=dict)


def load_initiatives(session: Session, keys: Collection[str]) -> dict[str, StoredInitiative]:
    """The stored initiatives with these keys, with their tags, components and cells, each row
    locked (PostgreSQL) until the transaction ends: a fixed number of queries per 500 keys."""
    initiatives: dict[str, StoredInitiative] = {}
    columns = [getattr(Initiative, name) for name in INITIATIVE_FIELDS]
    for chunk in batches(keys):
        # Row locks in key order: a concurrent edit of one of these initiatives waits for the
        # import, and then finds its version raised (409/412) instead of being overwritten.
        statement = (
            select(Initiative.id, Initiative.key, Initiative.version, *columns)
            .where(Initiative.key.in_(chunk))
            .order_by(Initiative.key)
            .with_for_update(of=Initiative)
        )
        for row in session.execute(statement):
            initiatives[row.key] = StoredInitiative(
                row.id, {name: getattr(row, name) for name in INITIATIVE_FIELDS}, row.version
            )
    by_id = {stored.id: stored for stored in initiatives.values()}
    components_by_id: dict[int, StoredComponent] = {}
    for chunk in batches(by_id):
        for tag_row in session.execute(
            select(InitiativeTag.initiative_id, InitiativeTag.tag)
            .where(InitiativeTag.initiative_id.in_(chunk))
            .order_by(InitiativeTag.tag),
        ):
            by_id[tag_row.initiative_id].tags.append(tag_row.tag)
        for row in session.execute(
            select(
                Component.id,
                Component.initiative_id,
                Component.key,
                *[getattr(Component, name) for name in COMPONENT_FIELDS],
            ).where(Component.initiative_id.in_(chunk)),
        ):
            component = StoredComponent(
                row.id, {name: getattr(row, name) for name in COMPONENT_FIELDS}
            )
            by_id[row.initiative_id].components[row.key] = component
            components_by_id[row.id] = component
        for cell in session.execute(
            select(
                RaciCell.component_id,
                RaciCell.role,
                RaciCell.raci,
                RaciCell.rationale,
                *[getattr(RaciCell, name) for name in PROPOSED],
            )
            .join(Component, Component.id == RaciCell.component_id)
            .where(Component.initiative_id.in_(chunk)),
        ):
            components_by_id[cell.component_id].cells[cell.role] = StoredCell(
                cell.raci, cell.rationale, {name: getattr(cell, name) for name in PROPOSED}
            )
    return initiatives
