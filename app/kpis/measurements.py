"""Measurements of KPIs, and the set-based queries that find each KPI's newest one as of a date.

`latest_measurements` and `kpi_standings` answer for any number of KPIs in one query; the
KPI list and the findings report use them instead of asking per KPI.
"""

from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import NamedTuple

from sqlalchemy import Select, and_, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.core.errors import Conflict, NotFound, Unprocessable
from app.core.pagination import PageParams, encode_cursor
from app.core.preconditions import IfMatch
from app.db.writes import assign
from app.kpis.models import Kpi, Measurement
from app.kpis.schemas import MeasurementCreate, MeasurementReplace
from app.kpis.status import KpiStatus, KpiTargets, end_of_day, kpi_status


class Latest(NamedTuple):
    """A KPI's newest measurement seen as of some date."""

    value: float
    measured_at: datetime
    note: str | None


@dataclass(frozen=True)
class KpiStanding:
    """A KPI's targets, its newest measurement as of a date, and the status that follows."""

    kpi_id: int
    key: str
    targets: KpiTargets
    latest: Latest | None
    status: KpiStatus


def _newest_rows(
    as_of: date, kpi_ids: Collection[int] | None
) -> Select[int, float, datetime, str | None]:
    """Each KPI's newest measurement taken on or before `as_of` (UTC): one row per KPI.

    `(kpi_id, measured_at)` is unique, so joining on the maximum picks exactly one row.
    """
    newest = select(
        Measurement.kpi_id, func.max(Measurement.measured_at).label("measured_at")
    ).where(Measurement.measured_at <= end_of_day(as_of))
    if kpi_ids is not None:
        newest = newest.where(Measurement.kpi_id.in_(set(kpi_ids)))
    newest_sq = newest.group_by(Measurement.kpi_id).subquery()
    return select(
        Measurement.kpi_id, Measurement.value, Measurement.measured_at, Measurement.note
    ).join(
        newest_sq,
        and_(
            Measurement.kpi_id == newest_sq.c.kpi_id,
            Measurement.measured_at == newest_sq.c.measured_at,
        ),
    )


def latest_measurements(
    session: Session, as_of: date, kpi_ids: Collection[int] | None = None
) -> dict[int, Latest]:
    """KPI id -> its newest measurement taken on or before `as_of`, in one query.

    `kpi_ids` narrows it to those KPIs (None: every KPI). KPIs with no such measurement
    are absent from the answer.
    """
    if kpi_ids is not None and not kpi_ids:
        return {}
    rows = session.execute(_newest_rows(as_of, kpi_ids))
    return {
        kpi_id: Latest(value=value, measured_at=measured_at, note=note)
        for kpi_id, value, measured_at, note in rows
    }


def targets_of(kpi: Kpi) -> KpiTargets:
    return KpiTargets(
        direction=kpi.direction,
        baseline=kpi.baseline,
        baseline_date=kpi.baseline_date,
        target=kpi.target,
        target_date=kpi.target_date,
    )


def status_of(targets: KpiTargets, latest: Latest | None, as_of: date) -> KpiStatus:
    if latest is None:
        return kpi_status(targets, None, None, as_of)
    return kpi_status(targets, latest.value, latest.measured_at, as_of)


def kpi_standings(
    session: Session, as_of: date, kpi_ids: Collection[int] | None = None
) -> dict[int, KpiStanding]:
    """KPI id -> targets, newest measurement and status as of `as_of`, for every KPI at once.

    One query however many KPIs there are (for the findings report). `kpi_ids` narrows it.
    """
    if kpi_ids is not None and not kpi_ids:
        return {}
    newest = _newest_rows(as_of, kpi_ids).subquery()
    stmt = select(
        Kpi.id,
        Kpi.key,
        Kpi.direction,
        Kpi.baseline,
        Kpi.baseline_date,
        Kpi.target,
        Kpi.target_date,
        newest.c.value,
        newest.c.measured_at,
        newest.c.note,
    ).outerjoin(newest, newest.c.kpi_id == Kpi.id)
    if kpi_ids is not None:
        stmt = stmt.where(Kpi.id.in_(set(kpi_ids)))
    standings: dict[int, KpiStanding] = {}
    for row in session.execute(stmt.order_by(Kpi.key)):
        targets = KpiTargets(
            direction=row.direction,
            baseline=row.baseline,
            baseline_date=row.baseline_date,
            target=row.target,
            target_date=row.target_date,
        )
        latest = (
            None
            if row.measured_at is None
            else Latest(value=row.value, measured_at=row.measured_at, note=row.note)
        )
        standings[row.id] = KpiStanding(
            kpi_id=row.id,
            key=row.key,
            targets=targets,
            latest=latest,
            status=status_of(targets, latest, as_of),
        )
    return standings


def _kpi_id(session: Session, key: str) -> int:
    kpi_id = session.scalar(select(Kpi.id).where(Kpi.key == key))
    if kpi_id is None:
        raise NotFound(f"No KPI with key '{key}'")
    return kpi_id


def rfc3339(moment: datetime) -> str:
    """`moment` in UTC as `2026-10-31T00:00:00Z`: the form used in URLs and cursors."""
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _cursor_moment(after: str) -> datetime:
    try:
        moment = datetime.fromisoformat(after)
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        raise Unprocessable.at(["query", "cursor"], "is not a cursor of this list")
    return moment


def list_measurements(
    session: Session, key: str, page: PageParams
) -> tuple[list[Measurement], str | None]:
    """A KPI's measurements, oldest first, one page at a time (keyset on `measured_at`)."""
    kpi_id = _kpi_id(session, key)
    stmt = select(Measurement).where(Measurement.kpi_id == kpi_id)
    if page.after is not None:
        stmt = stmt.where(Measurement.measured_at > _cursor_moment(page.after))
    rows = list(session.scalars(stmt.order_by(Measurement.measured_at).limit(page.limit + 1)))
    if len(rows) <= page.limit:
        return rows, None
    rows = rows[: page.limit]
    return rows, encode_cursor(rfc3339(rows[-1].measured_at), page.filters_fingerprint)


def _find_measurement(session: Session, kpi_id: int, measured_at: datetime) -> Measurement | None:
    return session.scalar(
        select(Measurement).where(
            Measurement.kpi_id == kpi_id, Measurement.measured_at == measured_at
        )
    )


def get_measurement(session: Session, key: str, measured_at: datetime) -> Measurement:
    measurement = _find_measurement(session, _kpi_id(session, key), measured_at)
    if measurement is None:
        raise NotFound(f"KPI '{key}' has no measurement taken at {rfc3339(measured_at)}")
    return measurement


def record_measurement(
    session: Session, key: str, data: MeasurementCreate
) -> tuple[Measurement, bool]:
    """Record a reading; True when it was new.

    The same `measured_at` again with the same value is the same reading (nothing changes);
    with another value it is a 409. The KPI itself (its version) is not changed.
    """
    kpi_id = _kpi_id(session, key)
    existing = _find_measurement(session, kpi_id, data.measured_at)
    if existing is None:
        measurement = Measurement(
            kpi_id=kpi_id, value=data.value, measured_at=data.measured_at, note=data.note
        )
        try:
            with session.begin_nested():
                session.add(measurement)
                session.flush()
            return measurement, True
        except IntegrityError:
            # A concurrent request recorded the same moment first: judge against it.
            existing = _find_measurement(session, kpi_id, data.measured_at)
            if existing is None:
                raise Conflict(
                    f"KPI '{key}' was changed by another request meanwhile; retry"
                ) from None
    if existing.value != data.value:
        raise Conflict(
            f"KPI '{key}' already has the value {existing.value:.15g} measured at "
            f"{rfc3339(existing.measured_at)}; to correct it, PUT the new value to "
            f"/kpis/{key}/measurements/{rfc3339(existing.measured_at)}",
            existing={"value": existing.value, "measured_at": rfc3339(existing.measured_at)},
        )
    return existing, False


def put_measurement(
    session: Session, key: str, measured_at: datetime, data: MeasurementReplace, if_match: IfMatch
) -> tuple[Measurement, bool]:
    """Correct the reading taken at `measured_at` (value and note), or record it if there is
    none; True when it created. Honours If-Match; the same content again changes nothing
    (no new version, no audit entry). The KPI's `latest` and `status`, computed from the
    readings, follow at once; the KPI's own version does not change."""
    if data.measured_at is not None and data.measured_at != measured_at:
        raise Unprocessable.at(
            ["body", "measured_at"],
            f"is {rfc3339(data.measured_at)} but the URL names {rfc3339(measured_at)}; a reading "
            "taken at another time is another measurement (DELETE this one, POST that one)",
        )
    kpi_id = _kpi_id(session, key)
    existing = _find_measurement(session, kpi_id, measured_at)
    if_match.check(existing.version if existing is not None else None)
    if existing is None:
        created, _ = record_measurement(
            session,
            key,
            MeasurementCreate(value=data.value, measured_at=measured_at, note=data.note),
        )
        return created, True
    assign(existing, {"value": data.value, "note": data.note})
    session.flush()
    return existing, False


def delete_measurement(
    session: Session, key: str, measured_at: datetime, if_match: IfMatch
) -> None:
    """Remove the reading taken at `measured_at`; the previous one, if any, becomes `latest`.
    Honours If-Match. 404 for an unknown KPI or reading."""
    measurement = get_measurement(session, key, measured_at)
    if_match.check(measurement.version)
    session.delete(measurement)
    session.flush()
