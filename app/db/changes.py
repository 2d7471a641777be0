"""Audit entries a writer computes itself, handed over for the transaction's commit.

The one write engine (app.initiatives.engine), and any writer that goes past the ORM with
Core statements, knows exactly what it changed: it hands `AuditRecord`s to `record`, and
the audit trail (app.audit.recorder) writes them at commit together with the entries of
the transaction's ORM changes. A transaction that rolls back writes none of them.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Literal, get_args

from sqlalchemy.orm import Session
from typing_extensions import TypeAliasType

AuditAction = TypeAliasType("AuditAction", Literal["create", "update", "delete"])
ResourceType = TypeAliasType(
    "ResourceType",
    Literal[
        "role",
        "capability",
        "initiative",
        "component",
        "raci_cell",
        "kpi",
        "measurement",
        "rule",
        "api_key",
        "waiver",
        "settings",
        "review",
        "webhook",
        "governance_model",
    ],
)
RESOURCE_TYPES: tuple[str, ...] = get_args(ResourceType.__value__)
ACTIONS: tuple[str, ...] = get_args(AuditAction.__value__)

Fields = dict[str, Any]
_RECORDED = "raci.audit.recorded"
_COMMITTING = "raci.audit.committing"


@dataclass(frozen=True)
class AuditRecord:
    """One entry as a writer hands it to `record`; `at` and `actor` are filled in at commit."""

    action: AuditAction
    resource_type: ResourceType
    resource_key: str
    before: Fields | None
    after: Fields | None


def change(
    resource_type: ResourceType, key: str, before: Fields | None, after: Fields | None
) -> AuditRecord:
    """The entry for `before` becoming `after` (None: did not exist / no longer exists)."""
    action: AuditAction = "create" if before is None else "delete" if after is None else "update"
    return AuditRecord(action, resource_type, key, before, after)


def record(session: Session, entries: Iterable[AuditRecord]) -> None:
    """Entries computed by the caller, written at commit with the transaction's others; an
    `update` whose `before` equals its `after` is dropped then."""
    session.info.setdefault(_RECORDED, []).extend(entries)


def take_recorded(session: Session) -> list[AuditRecord]:
    """The entries handed over so far, forgotten here (the audit trail calls this at commit)."""
    taken: list[AuditRecord] = session.info.pop(_RECORDED, [])
    return taken


def forget_recorded(session: Session) -> None:
    """Drop what was handed over (the transaction rolled back)."""
    session.info.pop(_RECORDED, None)
    session.info.pop(_COMMITTING, None)


def hand_on(session: Session, entries: Iterable[AuditRecord]) -> None:
    """The entries the audit trail is writing at this commit, for what else reacts to
    committed changes in the same transaction (the webhooks' outbox, app.webhooks.events)."""
    session.info.setdefault(_COMMITTING, []).extend(entries)


def take_committing(session: Session) -> list[AuditRecord]:
    """The entries of the commit under way (see `hand_on`), forgotten here."""
    taken: list[AuditRecord] = session.info.pop(_COMMITTING, [])
    return taken
