"""Reading the audit log: filtered, in id order, a page at a time."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.orm import Session

from app.audit.models import AuditEntry


@dataclass(frozen=True)
class AuditFilters:
    """Each list means "any of"; an empty list does not filter."""

    resource_types: Sequence[str] = ()
    resource_keys: Sequence[str] = ()
    resource_key_prefixes: Sequence[str] = ()
    actors: Sequence[str] = ()
    actions: Sequence[str] = ()
    since: datetime | None = None
    # Resource types the caller may not see (API keys, to all but admin keys).
    hidden_types: Sequence[str] = ()

    def where(self) -> list[ColumnElement[bool]]:
        conditions: list[ColumnElement[bool]] = []
        if self.hidden_types:
            conditions.append(AuditEntry.resource_type.not_in(self.hidden_types))
        if self.resource_types:
            conditions.append(AuditEntry.resource_type.in_(self.resource_types))
        if self.actors:
            conditions.append(AuditEntry.actor.in_(self.actors))
        if self.actions:
            conditions.append(AuditEntry.action.in_(self.actions))
        if self.since is not None:
            conditions.append(AuditEntry.at >= self.since)
        addressed: list[ColumnElement[bool]] = []
        if self.resource_keys:
            addressed.append(AuditEntry.resource_key.in_(self.resource_keys))
        for prefix in self.resource_key_prefixes:
            # LIKE for the index, substr to be exact (SQLite's LIKE ignores case).
            addressed.append(
                AuditEntry.resource_key.startswith(prefix, autoescape=True)
                & (func.substr(AuditEntry.resource_key, 1, len(prefix)) == prefix)
            )
        if addressed:
            conditions.append(or_(*addressed))
        return conditions


def list_entries(
    session: Session, filters: AuditFilters, after_id: int, limit: int
) -> tuple[list[AuditEntry], bool]:
    """Entries with an id above `after_id`, oldest first; and whether more follow."""
    rows = list(
        session.scalars(
            select(AuditEntry)
            .where(AuditEntry.id > after_id, *filters.where())
            .order_by(AuditEntry.id)
            .limit(limit + 1)
        )
    )
    return rows[:limit], len(rows) > limit
