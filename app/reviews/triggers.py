"""Reviews open themselves: session hooks that notice a joint KPI becoming `off_track`.

Whatever changes a KPI or its measurements (POST, PUT or DELETE of a measurement, a KPI's
PUT or PATCH of its target, dates or owners, a bulk import), the transaction is watched the
same way, so that no write path can forget it:

- before a flush first touches a KPI (a measurement of it, its row, its owners), whether it
  was a missed joint KPI (joint and `off_track` as of today) is read and remembered;
- before the transaction commits, the KPIs touched are judged again, and each that is a
  missed joint KPI now and was not before gets a review (app.reviews.service.open_reviews),
  in the same transaction, audited with the transaction's actor.

Writers that go past the ORM (the bulk import) call `watch_kpis` before writing.
"""

from collections.abc import Collection, Iterable
from typing import Any

from sqlalchemy import event, select
from sqlalchemy.orm import Session, SessionTransaction, sessionmaker

from app.db.base import utcnow
from app.kpis.models import Kpi, KpiOwner, Measurement
from app.reviews.service import missed_joint_kpis, open_reviews

_BEFORE = "raci.reviews.before"  # KPI id -> whether it was a missed joint KPI before
_NEW_KEYS = "raci.reviews.new_keys"  # KPIs a Core writer is about to create, by key
_JUDGING = "raci.reviews.judging"


def _before(session: Session) -> dict[int, bool]:
    before: dict[int, bool] = session.info.setdefault(_BEFORE, {})
    return before


def _remember(session: Session, kpi_ids: Iterable[int]) -> None:
    before = _before(session)
    fresh = {kpi_id for kpi_id in kpi_ids if kpi_id not in before}
    if not fresh:
        return
    missed = missed_joint_kpis(session, fresh, utcnow().date())
    for kpi_id in fresh:
        before[kpi_id] = kpi_id in missed


def _touched(objects: Iterable[Any]) -> set[int]:
    ids: set[int] = set()
    for obj in objects:
        if isinstance(obj, Measurement | KpiOwner):
            kpi_id = obj.kpi_id
        elif isinstance(obj, Kpi):
            kpi_id = obj.id
        else:
            continue
        if kpi_id is not None:
            ids.add(kpi_id)
    return ids


def _before_flush(session: Session, _context: Any, _instances: Any) -> None:
    changed = [obj for obj in session.dirty if session.is_modified(obj)]
    touched = _touched([*changed, *session.deleted, *session.new])
    touched -= {obj.id for obj in session.deleted if isinstance(obj, Kpi)}
    if touched:
        _remember(session, touched)


def watch_kpis(session: Session, keys: Collection[str]) -> None:
    """Have the KPIs named by `keys` judged at commit like KPIs changed through the ORM: call
    it before changing them (or their measurements) with Core statements. A key that names
    no KPI yet counts as not missed before."""
    if not keys:
        return
    ids = {
        key: kpi_id
        for key, kpi_id in session.execute(select(Kpi.key, Kpi.id).where(Kpi.key.in_(set(keys))))
    }
    _remember(session, ids.values())
    new_keys: set[str] = session.info.setdefault(_NEW_KEYS, set())
    new_keys.update(set(keys) - ids.keys())


def _before_commit(session: Session) -> None:
    if session.in_nested_transaction() or session.info.get(_JUDGING):
        return
    session.info[_JUDGING] = True
    try:
        session.flush()
        before = session.info.pop(_BEFORE, {})
        new_keys = session.info.pop(_NEW_KEYS, set())
        if new_keys:
            created = session.scalars(select(Kpi.id).where(Kpi.key.in_(new_keys)))
            for kpi_id in created:
                before.setdefault(kpi_id, False)
        if not before:
            return
        today = utcnow().date()
        missed = missed_joint_kpis(session, before.keys(), today)
        open_reviews(session, [kpi_id for kpi_id in missed if not before[kpi_id]], today)
    finally:
        session.info.pop(_JUDGING, None)


def _after_transaction_end(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:
        session.info.pop(_BEFORE, None)
        session.info.pop(_NEW_KEYS, None)


def install(sessions: sessionmaker[Session]) -> None:
    """Open reviews for KPIs that become missed joint KPIs in sessions of this factory.
    Install it before the audit trail: the reviews opened at commit are audited with the
    transaction's other changes."""
    event.listen(sessions, "before_flush", _before_flush)
    event.listen(sessions, "before_commit", _before_commit)
    event.listen(sessions, "after_transaction_end", _after_transaction_end)
