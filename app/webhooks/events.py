"""The events raised by committed changes themselves, whatever path wrote them.

Installed on every session (app.wiring) after the audit trail: at commit, the audit
entries of the transaction (app.db.changes.hand_on) tell which RACI cells and KPIs changed,
by a cell PUT, a component or initiative PUT, an import, a sheet import or a rename alike.

- `cell.changed`: one per cell created, changed or removed, with its letters before and
  after and both public states (whatever a cell's state holds, e.g. an agreement state).
- `agreement.requested`: a cell created or whose letters changed, so `proposed` again;
  `agreement.disputed`: a cell that became `disputed` (API.md "Explicit agreement").
- `review.opened`: a governance review opened (its participants count as consulted on the
  decision, so endpoints bound to them receive it as a proposal).
- `kpi.status_changed`: a KPI whose status (as of today) differs from the status last
  announced (`webhook_kpi_status`). A KPI's first status is kept, not announced. Statuses
  that change with time alone (a target date passing) are found by `sweep_kpi_statuses`,
  which the delivery worker runs periodically.

The events go to the outbox (app.webhooks.outbox) in the same transaction.
"""

from collections.abc import Collection, Iterable, Sequence
from datetime import date
from typing import Any

from sqlalchemy import event, insert, select, tuple_, update
from sqlalchemy.orm import Session, sessionmaker

from app.components.models import Component
from app.db.base import table_of, utcnow
from app.db.changes import AuditRecord, take_committing
from app.db.dialect import lock_transaction
from app.initiatives.models import Initiative
from app.kpis.measurements import kpi_standings
from app.kpis.models import Kpi, KpiInitiative, KpiOwner
from app.raci.models import RaciCell
from app.webhooks.models import AnnouncedKpiStatus
from app.webhooks.outbox import (
    Event,
    Subscriber,
    after_commit,
    after_rollback,
    emit_many,
    subscribed,
    subscribers,
)

KPI_STATUS_LOCK = "raci.webhooks.kpi_status"
_CHUNK = 500


def _before_commit(session: Session) -> None:
    if session.in_nested_transaction():
        return
    records = take_committing(session)
    if not records:
        return
    cells = [r for r in records if r.resource_type == "raci_cell"]
    reviews = [r for r in records if r.resource_type == "review" and r.action == "create"]
    kpi_keys = _kpi_keys(records)
    if not cells and not reviews and not kpi_keys:
        return
    endpoints = subscribers(session)
    events: list[Event] = []
    if cells:
        events += cell_events(session, cells, endpoints, actor=_actor(session))
        events += agreement_events(session, cells, endpoints)
    events += review_events(reviews, endpoints)
    if kpi_keys:
        ids = set(session.scalars(select(Kpi.id).where(Kpi.key.in_(kpi_keys))))
        events += kpi_status_events(session, ids, endpoints, utcnow().date())
    emit_many(session, events, endpoints=endpoints)


def install(sessions: sessionmaker[Session]) -> None:
    """Raise the events of every committed change made through sessions of this factory.
    Install after the audit trail (app.wiring): it reads the entries the audit hands on."""
    event.listen(sessions, "before_commit", _before_commit)
    event.listen(sessions, "after_commit", after_commit)
    event.listen(sessions, "after_rollback", after_rollback)


def _actor(session: Session) -> str:
    actor = session.info.get("actor")
    return actor if isinstance(actor, str) and actor else "system"


def _kpi_keys(records: Iterable[AuditRecord]) -> set[str]:
    keys: set[str] = set()
    for record in records:
        for state in (record.before, record.after):
            if state is None:
                continue
            if record.resource_type == "kpi":
                keys.add(state["key"])
            elif record.resource_type == "measurement":
                keys.add(state["kpi"])
    return keys


def cell_events(
    session: Session, records: Sequence[AuditRecord], endpoints: Sequence[Subscriber], actor: str
) -> list[Event]:
    """A `cell.changed` event per cell entry; the component's letters are read (one query
    per 500 components) only when an endpoint bound to roles subscribes."""
    listening = subscribed(endpoints, "cell.changed")
    if not listening:
        return []
    letters: dict[tuple[str, str], dict[str, str]] = {}
    if any(endpoint.roles for endpoint in listening):
        letters = _component_letters(session, {_address(r)[:2] for r in records})
    events = []
    for record in records:
        initiative, component, role = _address(record)
        before = record.before["raci"] if record.before else None
        after = record.after["raci"] if record.after else None
        subject = dict(letters.get((initiative, component), {}))
        if before:
            subject[role] = "".join(sorted(set(subject.get(role, "")) | set(before)))
        data: dict[str, Any] = {
            "initiative": initiative,
            "component": component,
            "role": role,
            "action": record.action,
            "before": before,
            "after": after,
            "states": {"before": record.before, "after": record.after},
            "actor": actor,
        }
        events.append(Event("cell.changed", data, subject))
    return events


def _agreement_event_type(record: AuditRecord) -> str | None:
    """`agreement.requested` for a cell proposed by new letters, `agreement.disputed` for a
    cell that became disputed; None for any other change (a rationale, an agreement)."""
    before, after = record.before, record.after
    if after is None:
        return None
    if after.get("agreement") == "disputed":
        was_disputed = before is not None and before.get("agreement") == "disputed"
        return None if was_disputed else "agreement.disputed"
    if after.get("agreement") == "proposed" and (before is None or before["raci"] != after["raci"]):
        return "agreement.requested"
    return None


def agreement_events(
    session: Session, records: Sequence[AuditRecord], endpoints: Sequence[Subscriber]
) -> list[Event]:
    """An agreement event per cell entry that asks for or refuses an agreement, routed by
    the component's letters (read only when an endpoint bound to roles subscribes)."""
    wanted = {t for t in ("agreement.requested", "agreement.disputed") if subscribed(endpoints, t)}
    chosen = [(t, r) for r in records if (t := _agreement_event_type(r)) in wanted]
    if not chosen:
        return []
    letters: dict[tuple[str, str], dict[str, str]] = {}
    if any(e.roles for t in wanted for e in subscribed(endpoints, t)):
        letters = _component_letters(session, {_address(r)[:2] for _, r in chosen})
    events = []
    for event_type, record in chosen:
        initiative, component, role = _address(record)
        after = record.after or {}
        data: dict[str, Any] = {
            "initiative": initiative,
            "component": component,
            "role": role,
            "raci": after.get("raci"),
            "agreement": {
                "state": after.get("agreement"),
                "by": after.get("agreement_by"),
                "at": after.get("agreement_at"),
                "comment": after.get("agreement_comment"),
            },
        }
        events.append(Event(event_type, data, letters.get((initiative, component), {})))
    return events


def review_events(records: Sequence[AuditRecord], endpoints: Sequence[Subscriber]) -> list[Event]:
    """`review.opened` per review created; its participants are the roles consulted."""
    if not records or not subscribed(endpoints, "review.opened"):
        return []
    events = []
    for record in records:
        review = record.after or {}
        participants = list(review.get("participants") or [])
        data = {
            "review": review.get("key"),
            "kpi": review.get("kpi"),
            "opened_at": review.get("opened_at"),
            "due_on": review.get("due_on"),
            "participants": participants,
        }
        events.append(Event("review.opened", data, {role: "C" for role in participants}))
    return events


def _address(record: AuditRecord) -> tuple[str, str, str]:
    state = record.after if record.after is not None else record.before
    assert state is not None
    return state["initiative"], state["component"], state["role"]


def _component_letters(
    session: Session, components: Collection[tuple[str, str]]
) -> dict[tuple[str, str], dict[str, str]]:
    """(initiative key, component key) -> role -> letters, as stored now."""
    found: dict[tuple[str, str], dict[str, str]] = {}
    wanted = list(components)
    for start in range(0, len(wanted), _CHUNK):
        rows = session.execute(
            select(Initiative.key, Component.key, RaciCell.role, RaciCell.raci)
            .join(Component, Component.id == RaciCell.component_id)
            .join(Initiative, Initiative.id == Component.initiative_id)
            .where(tuple_(Initiative.key, Component.key).in_(wanted[start : start + _CHUNK]))
        )
        for initiative, component, role, raci in rows:
            found.setdefault((initiative, component), {})[role] = raci
    return found


def kpi_status_events(
    session: Session,
    kpi_ids: Collection[int] | None,
    endpoints: Sequence[Subscriber],
    today: date,
) -> list[Event]:
    """`kpi.status_changed` for each of these KPIs (None: every KPI) whose status as of
    `today` differs from the one last announced, and the new statuses kept. Serialised by
    a transaction lock, so that two writers never announce the same change twice."""
    if kpi_ids is not None and not kpi_ids:
        return []
    lock_transaction(session, KPI_STATUS_LOCK)
    standings = kpi_standings(session, today, kpi_ids)
    kept_stmt = select(AnnouncedKpiStatus.kpi_id, AnnouncedKpiStatus.status)
    if kpi_ids is not None:
        kept_stmt = kept_stmt.where(AnnouncedKpiStatus.kpi_id.in_(list(kpi_ids)))
    kept = {kpi_id: status for kpi_id, status in session.execute(kept_stmt)}
    table = table_of(AnnouncedKpiStatus)
    now = utcnow()
    new_rows, changed = [], []
    for kpi_id, standing in standings.items():
        before = kept.get(kpi_id)
        if before is None:
            new_rows.append({"kpi_id": kpi_id, "status": standing.status, "updated_at": now})
        elif before != standing.status:
            changed.append((standing.key, kpi_id, before, standing.status))
    connection = session.connection()
    if new_rows:
        connection.execute(insert(table), new_rows)
    for _key, kpi_id, _before, after in changed:
        connection.execute(
            update(table).where(table.c.kpi_id == kpi_id).values(status=after, updated_at=now)
        )
    if not changed or not subscribed(endpoints, "kpi.status_changed"):
        return []
    letters = (
        _kpi_letters(session, [kpi_id for _, kpi_id, _, _ in changed])
        if any(e.roles for e in subscribed(endpoints, "kpi.status_changed"))
        else {}
    )
    return [
        Event(
            "kpi.status_changed",
            {"kpi": key, "before": before, "after": after, "as_of": today.isoformat()},
            letters.get(kpi_id, {}),
        )
        for key, kpi_id, before, after in changed
    ]


def _kpi_letters(session: Session, kpi_ids: Sequence[int]) -> dict[int, dict[str, str]]:
    """KPI id -> role -> letters: its owners hold `A`, and every role the letters it holds
    on the components of the initiatives the KPI serves."""
    letters: dict[int, dict[str, set[str]]] = {kpi_id: {} for kpi_id in kpi_ids}
    for kpi_id, role, raci in session.execute(
        select(KpiInitiative.kpi_id, RaciCell.role, RaciCell.raci)
        .join(Component, Component.initiative_id == KpiInitiative.initiative_id)
        .join(RaciCell, RaciCell.component_id == Component.id)
        .where(KpiInitiative.kpi_id.in_(kpi_ids))
    ):
        letters[kpi_id].setdefault(role, set()).update(raci)
    for kpi_id, role in session.execute(
        select(KpiOwner.kpi_id, KpiOwner.role).where(KpiOwner.kpi_id.in_(kpi_ids))
    ):
        letters[kpi_id].setdefault(role, set()).add("A")
    return {
        kpi_id: {role: "".join(sorted(held)) for role, held in by_role.items()}
        for kpi_id, by_role in letters.items()
    }


def sweep_kpi_statuses(session: Session, today: date) -> int:
    """Announce the KPI statuses that changed with time alone (a target date passed): the
    number of events written. Run periodically by the delivery worker."""
    endpoints = subscribers(session)
    events = kpi_status_events(session, None, endpoints, today)
    return len(emit_many(session, events, endpoints=endpoints))


__all__ = [
    "agreement_events",
    "cell_events",
    "install",
    "kpi_status_events",
    "review_events",
    "sweep_kpi_statuses",
]
