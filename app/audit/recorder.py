"""The audit trail, written by the ORM itself: one entry per changed resource per transaction.

Domain services make no audit calls. Session events installed on the Database's session
factories (`install`) do the work:

- before each flush, the public state of every resource the flush is about to change or
  delete (and of what that delete cascades to in the database: an initiative's components
  and their cells, a KPI's measurements) is read from the database and remembered as its
  `before`, the first time the transaction touches it;
- bulk UPDATE and DELETE statements run through `Session.execute` are treated the same way,
  the rows they will touch being selected first;
- after each flush, the resources it created are remembered with no `before`;
- when the transaction commits, the `after` of every remembered resource is read back and
  one entry per resource whose public fields changed is written, all in one multi-row
  insert, in the same transaction as the change.

Child rows that belong to a resource (an initiative's tags, a KPI's owners and initiatives)
show up in their parent's entry. Comparing public states, not attribute histories, means an
UPDATE that changes nothing (an unchanged PUT, `touch` of a parent) writes nothing, and a row
deleted and inserted again within a transaction is one `update` (or nothing).

Writers that bypass the ORM (the document engine, the bulk import) hand ready-made entries
to app.db.changes.record; `watch` is there for Core writes that would rather be compared.

Entries are numbered in commit order. On PostgreSQL the insert takes a transaction-level
advisory lock first, so that no entry can become visible with a smaller id than one a
reader has already seen: the change feed (`GET /audit`) never skips a late commit.
"""

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import (
    Connection,
    Table,
    event,
    inspect,
    select,
)
from sqlalchemy.orm import (
    ORMExecuteState,
    Session,
    SessionTransaction,
    sessionmaker,
)

from app.audit.models import AuditEntry
from app.audit.states import (
    PARENT_BY_CHILD_TABLE,
    PARENT_OF_CHILD,
    SPEC_BY_MODEL,
    SPEC_BY_TABLE,
    SPECS,
    Identity,
    chunks,
    load_states,
)
from app.db import dialect
from app.db.base import utcnow
from app.db.bulk import insert_many
from app.db.changes import (
    AuditAction,
    AuditRecord,
    Fields,
    ResourceType,
    forget_recorded,
    hand_on,
    take_recorded,
)

SYSTEM_ACTOR = "system"
FEED_LOCK = "raci.audit"
_PENDING = "raci.audit.pending"


@dataclass
class _Pending:
    """What a transaction has touched so far: each resource's state before it first did."""

    before: dict[tuple[str, Identity], Fields | None] = field(default_factory=dict)

    def unseen(self, resource_type: str, identities: Iterable[Identity]) -> list[Identity]:
        return list(dict.fromkeys(i for i in identities if (resource_type, i) not in self.before))


def _pending(session: Session) -> _Pending:
    pending = session.info.get(_PENDING)
    if pending is None:
        pending = session.info[_PENDING] = _Pending()
    assert isinstance(pending, _Pending)
    return pending


def _remember_existing(
    session: Session, wanted: Mapping[str, list[Identity]], *, cascade: bool
) -> None:
    """Read and remember the current state of rows about to change, unless already known.

    With `cascade`, the rows are about to be deleted: what the database deletes with them
    (components and cells of an initiative, measurements of a KPI) is remembered too.
    """
    todo = {rtype: list(ids) for rtype, ids in wanted.items() if ids}
    if not todo:
        return
    pending = _pending(session)
    connection = session.connection()
    while todo:
        resource_type, identities = todo.popitem()
        spec = SPECS[resource_type]
        fresh = pending.unseen(resource_type, identities)
        if fresh:
            states = load_states(connection, resource_type, fresh)
            for identity in fresh:
                pending.before[(resource_type, identity)] = states.get(identity)
        if not cascade or not identities:
            continue
        parent_ids = [identity[0] for identity in identities]
        for rule in spec.cascades:
            child = SPECS[rule.child_type]
            child_ids = [
                tuple(row)
                for chunk in chunks(parent_ids)
                for row in connection.execute(
                    select(*child.identity_columns).where(rule.parent_id.in_(chunk))
                )
            ]
            if child_ids:
                todo.setdefault(rule.child_type, []).extend(child_ids)


def _resource_of(obj: Any, identity: Identity | None) -> tuple[str, Identity] | None:
    """The resource an ORM object's change belongs to: itself, or the parent of a child row."""
    spec = SPEC_BY_MODEL.get(type(obj))
    if spec is not None:
        return (spec.resource_type, identity) if identity is not None else None
    parent = PARENT_OF_CHILD.get(type(obj))
    if parent is None:
        return None
    parent_spec, parent_id = parent
    value = getattr(obj, parent_id.key)
    return (parent_spec.resource_type, (value,)) if value is not None else None


def _group(resources: Iterable[tuple[str, Identity] | None]) -> dict[str, list[Identity]]:
    grouped: dict[str, list[Identity]] = {}
    for resource in resources:
        if resource is not None:
            grouped.setdefault(resource[0], []).append(resource[1])
    return grouped


def _before_flush(session: Session, _context: Any, _instances: Any) -> None:
    changed = [obj for obj in session.dirty if session.is_modified(obj)]
    _remember_existing(
        session, _group(_resource_of(o, inspect(o).identity) for o in changed), cascade=False
    )
    _remember_existing(
        session,
        _group(_resource_of(o, inspect(o).identity) for o in session.deleted),
        cascade=True,
    )
    # A new child row of an existing parent (its parent id set directly) changes the parent.
    _remember_existing(
        session,
        _group(_resource_of(o, None) for o in session.new if type(o) in PARENT_OF_CHILD),
        cascade=False,
    )


def _after_flush(session: Session, _context: Any) -> None:
    pending = _pending(session)
    for obj in session.new:
        spec = SPEC_BY_MODEL.get(type(obj))
        if spec is None:
            continue
        identity = tuple(inspect(spec.model).primary_key_from_instance(obj))
        pending.before.setdefault((spec.resource_type, identity), None)


def _on_execute(state: ORMExecuteState) -> None:
    """Bulk UPDATE/DELETE through the session: remember the rows they are about to touch."""
    if not (state.is_update or state.is_delete):
        return
    statement: Any = state.statement
    table = getattr(statement, "table", None)
    name = getattr(table, "name", None)
    if name is None:
        return
    where = statement.whereclause
    spec = SPEC_BY_TABLE.get(name)
    connection = state.session.connection()
    if spec is not None:
        stmt = select(*spec.identity_columns)
        if where is not None:
            stmt = stmt.where(where)
        identities = [tuple(row) for row in connection.execute(stmt)]
        _remember_existing(state.session, {spec.resource_type: identities}, cascade=state.is_delete)
        return
    parent = PARENT_BY_CHILD_TABLE.get(name)
    if parent is not None:
        parent_spec, parent_id = parent
        stmt = select(parent_id).distinct()
        if where is not None:
            stmt = stmt.where(where)
        parents = [tuple(row) for row in connection.execute(stmt)]
        _remember_existing(state.session, {parent_spec.resource_type: parents}, cascade=False)


def _entries(connection: Connection, pending: _Pending) -> list[AuditRecord]:
    """The transaction's entries: remembered states against the states now, merged by key."""
    by_type = _group(pending.before)
    after = {rtype: load_states(connection, rtype, ids) for rtype, ids in by_type.items()}
    merged: dict[tuple[str, str], list[Fields | None]] = {}
    for (resource_type, identity), before in pending.before.items():
        now = after[resource_type].get(identity)
        known = before if before is not None else now
        if known is None:
            continue  # created and deleted within the transaction
        resource_key = SPECS[resource_type].key_of(known)
        slot = merged.get((resource_type, resource_key))
        if slot is None:
            merged[(resource_type, resource_key)] = [before, now]
        else:
            # The same resource under another row id: deleted and inserted again.
            slot[0] = slot[0] if slot[0] is not None else before
            slot[1] = now if now is not None else slot[1]
    records: list[AuditRecord] = []
    for (resource_type, resource_key), (before, now) in merged.items():
        if before == now:
            continue
        action: AuditAction = "create" if before is None else "delete" if now is None else "update"
        records.append(AuditRecord(action, resource_type, resource_key, before, now))  # type: ignore[arg-type]
    return records


def _write(connection: Connection, actor: str, records: Sequence[AuditRecord]) -> None:
    if not records:
        return
    # Held until COMMIT: ids are handed out in commit order (see the module docstring).
    dialect.lock_transaction(connection, FEED_LOCK)
    at = utcnow()
    rows = [
        {
            "at": at,
            "actor": actor,
            "action": r.action,
            "resource_type": r.resource_type,
            "resource_key": r.resource_key,
            "before": r.before,
            "after": r.after,
        }
        for r in records
    ]
    table: Table = AuditEntry.__table__  # type: ignore[assignment]
    # Not one INSERT ... VALUES per chunk: compiling a statement with hundreds of thousands
    # of bound parameters cost seconds for a large import.
    insert_many(connection, table, rows)


def actor_of(session: Session) -> str:
    """Who the session's changes are attributed to: the API key's name, or `system`."""
    actor = session.info.get("actor")
    return actor if isinstance(actor, str) and actor else SYSTEM_ACTOR


def _before_commit(session: Session) -> None:
    if session.in_nested_transaction():
        return  # a savepoint; the entries are written when the whole transaction commits
    session.flush()
    pending = session.info.pop(_PENDING, None)
    explicit = [r for r in take_recorded(session) if r.action != "update" or r.before != r.after]
    if not isinstance(pending, _Pending) and not explicit:
        return
    connection = session.connection()
    found = _entries(connection, pending) if isinstance(pending, _Pending) else []
    _write(connection, actor_of(session), found + explicit)
    hand_on(session, found + explicit)


def _after_transaction_end(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:
        session.info.pop(_PENDING, None)
        forget_recorded(session)


def install(sessions: sessionmaker[Session]) -> None:
    """Audit every change made through sessions of this factory."""
    event.listen(sessions, "before_flush", _before_flush)
    event.listen(sessions, "after_flush", _after_flush)
    event.listen(sessions, "do_orm_execute", _on_execute)
    event.listen(sessions, "before_commit", _before_commit)
    event.listen(sessions, "after_transaction_end", _after_transaction_end)


# For writers that bypass the ORM (a bulk import with Core).


def watch(
    session: Session,
    resource_type: ResourceType,
    identities: Iterable[Identity],
    *,
    inserted: bool = False,
) -> None:
    """Have rows changed with Core audited like ORM changes, at commit.

    Call it *before* updating or deleting rows with Core (their state now is the `before`;
    a delete's database cascade is followed), and *after* inserting rows, with
    `inserted=True`. Identities are primary-key tuples: `(id,)` for most resources,
    `(component_id, role)` for a RACI cell, `(code,)` for a rule. Child rows (tags, KPI
    owners and initiatives) are covered by watching their parent. Rows whose public state
    ends up unchanged write nothing.
    """
    if inserted:
        pending = _pending(session)
        for identity in identities:
            pending.before.setdefault((resource_type, tuple(identity)), None)
        return
    _remember_existing(session, {resource_type: [tuple(i) for i in identities]}, cascade=True)
