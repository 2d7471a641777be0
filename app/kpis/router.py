"""HTTP routes for KPIs and their measurements."""

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Body, Path, Query, Response
from pydantic import StringConstraints

from app.core.http import (
    CHANGE_PROBLEMS,
    ONE_PROBLEMS,
    PUT_RESPONSES,
    READ_PROBLEMS,
    WRITE_PROBLEMS,
    created_at_location,
    problems,
    put_status,
    set_etag,
)
from app.core.identifiers import KEY_PATTERN, IsoDate, RoleCode, TimestampOrDate
from app.core.schemas import Page
from app.db.base import utcnow
from app.deps import IfMatchDep, PageDep, ReadKey, SessionDep, WriteKey
from app.kpis import measurements, service
from app.kpis.models import Measurement
from app.kpis.schemas import (
    KpiCreate,
    KpiPatch,
    KpiRead,
    KpiReplace,
    LatestRead,
    MeasurementCreate,
    MeasurementRead,
    MeasurementReplace,
)
from app.kpis.status import KpiStatus

router = APIRouter(prefix="/kpis", tags=["kpis"])

KpiKey = Annotated[
    str,
    StringConstraints(pattern=KEY_PATTERN, max_length=64),
    Path(description="The KPI's key.", examples=["csat"]),
]

AsOfQuery = Annotated[
    IsoDate | None,
    Query(
        description="Compute `latest` and `status` as of this date (default: today, UTC); "
        "measurements taken after it are not seen.",
        examples=["2026-11-23"],
    ),
]
MeasuredAtPath = Annotated[
    TimestampOrDate,
    Path(
        description="When the measurement was taken: RFC 3339 with a zone, URL-encoded "
        "(`2026-10-31T00%3A00%3A00Z`, or `%2B02:00` for an offset), or a date meaning midnight "
        "UTC (`2026-10-31`). An offset names the same instant in UTC.",
        examples=["2026-10-31T00:00:00Z"],
    ),
]
InitiativeKey = Annotated[str, StringConstraints(pattern=KEY_PATTERN, max_length=64)]


def _today() -> date:
    return utcnow().date()


def _read(view: service.KpiView) -> KpiRead:
    kpi = view.kpi
    latest = (
        None
        if view.latest is None
        else LatestRead(
            value=view.latest.value, measured_at=view.latest.measured_at, note=view.latest.note
        )
    )
    return KpiRead(
        key=kpi.key,
        name=kpi.name,
        unit=kpi.unit,
        direction=kpi.direction,  # validated: the CHECK constraint guarantees it
        baseline=kpi.baseline,
        baseline_date=kpi.baseline_date,
        target=kpi.target,
        target_date=kpi.target_date,
        owners=view.owners,
        initiatives=view.initiatives,
        joint=view.joint,
        latest=latest,
        status=view.status,
        version=kpi.version,
        created_at=kpi.created_at,
        updated_at=kpi.updated_at,
    )


def _location(key: str) -> str:
    return f"/kpis/{key}"


@router.get("", summary="List KPIs", responses=problems(*READ_PROBLEMS))
def list_kpis(
    session: SessionDep,
    _: ReadKey,
    page: PageDep,
    as_of: AsOfQuery = None,
    owner: Annotated[
        list[RoleCode] | None,
        Query(description="Only KPIs owned by one of these roles.", examples=[["CMO"]]),
    ] = None,
    initiative: Annotated[
        list[InitiativeKey] | None,
        Query(
            description="Only KPIs serving one of these initiatives.", examples=[["loyalty-app"]]
        ),
    ] = None,
    status: Annotated[
        list[KpiStatus] | None,
        Query(
            description="Only KPIs with one of these statuses (as of `as_of`).",
            examples=[["off_track"]],
        ),
    ] = None,
) -> Page[KpiRead]:
    """The KPIs, ordered by key, each with its newest measurement and status as of `as_of`.

    Repeat a filter to mean "any of": `?status=off_track&status=at_risk`.
    """
    filters = service.KpiFilters(
        owners=owner or (), initiatives=initiative or (), statuses=status or ()
    )
    views, next_cursor = service.list_kpis(session, page, as_of or _today(), filters)
    return Page[KpiRead](items=[_read(view) for view in views], next_cursor=next_cursor)


@router.post("", status_code=201, summary="Create a KPI", responses=problems(*WRITE_PROBLEMS))
def create_kpi(body: KpiCreate, session: SessionDep, _: WriteKey, response: Response) -> KpiRead:
    """Add a KPI owned by one or more roles (two or more make it *joint*).

    Owners must be existing role codes (any case) and initiatives existing initiative keys,
    each named once; `target_date` must be after `baseline_date`. 409 if the key is taken.
    """
    kpi = service.create_kpi(session, body)
    created_at_location(response, _location(kpi.key), kpi.version)
    return _read(service.describe(session, [kpi], _today())[0])


@router.get("/{key}", summary="Get a KPI", responses=problems(*ONE_PROBLEMS))
def get_kpi(
    key: KpiKey, session: SessionDep, _: ReadKey, response: Response, as_of: AsOfQuery = None
) -> KpiRead:
    """One KPI with its newest measurement and status as of `as_of`; its version is the ETag."""
    view = service.get_kpi(session, key, as_of or _today())
    set_etag(response, view.kpi.version)
    return _read(view)


@router.put(
    "/{key}",
    summary="Create or replace a KPI",
    responses={**PUT_RESPONSES, **problems(*CHANGE_PROBLEMS)},
)
def put_kpi(
    key: KpiKey,
    body: KpiReplace,
    session: SessionDep,
    _: WriteKey,
    if_match: IfMatchDep,
    response: Response,
) -> KpiRead:
    """Create the KPI, or replace all its writable fields, owners and initiatives.

    Sending what a GET answered is accepted (`joint`, `latest`, `status` and `version` are
    ignored); the same content again changes nothing. Honours If-Match.
    """
    kpi, created = service.put_kpi(session, key, body, if_match)
    put_status(response, created=created, location=_location(kpi.key), version=kpi.version)
    return _read(service.describe(session, [kpi], _today())[0])


@router.patch("/{key}", summary="Update a KPI", responses=problems(*CHANGE_PROBLEMS))
def patch_kpi(
    key: KpiKey,
    body: Annotated[KpiPatch, Body(media_type="application/merge-patch+json")],
    session: SessionDep,
    _: WriteKey,
    if_match: IfMatchDep,
    response: Response,
) -> KpiRead:
    """A JSON merge patch (RFC 7396): only the fields sent change; `null` clears a field.

    `owners` and `initiatives` are lists, so a patch naming one replaces it whole.
    """
    kpi = service.patch_kpi(session, key, body.model_dump(exclude_unset=True), if_match)
    set_etag(response, kpi.version)
    return _read(service.describe(session, [kpi], _today())[0])


@router.delete(
    "/{key}", status_code=204, summary="Delete a KPI", responses=problems(*CHANGE_PROBLEMS)
)
def delete_kpi(key: KpiKey, session: SessionDep, _: WriteKey, if_match: IfMatchDep) -> None:
    """Delete a KPI together with its measurements. Honours If-Match."""
    service.delete_kpi(session, key, if_match)


def _measurement_location(key: str, measurement: Measurement) -> str:
    return f"/kpis/{key}/measurements/{measurements.rfc3339(measurement.measured_at)}"


@router.get(
    "/{key}/measurements", summary="List a KPI's measurements", responses=problems(*ONE_PROBLEMS)
)
def list_measurements(
    key: KpiKey, session: SessionDep, _: ReadKey, page: PageDep
) -> Page[MeasurementRead]:
    """The KPI's measurements, oldest first (by `measured_at`). 404 for an unknown KPI."""
    rows, next_cursor = measurements.list_measurements(session, key, page)
    return Page[MeasurementRead](
        items=[MeasurementRead.model_validate(row) for row in rows], next_cursor=next_cursor
    )


@router.post(
    "/{key}/measurements",
    status_code=201,
    summary="Record a measurement",
    responses={
        200: {"description": "The same reading was already recorded; nothing changed."},
        **problems(*WRITE_PROBLEMS, 404),
    },
)
def record_measurement(
    key: KpiKey, body: MeasurementCreate, session: SessionDep, _: WriteKey, response: Response
) -> MeasurementRead:
    """Record a reading of the KPI; the newest one by `measured_at` becomes its `latest`.

    A KPI has one measurement per `measured_at`: sending the same one again with the same
    value answers 200 with it and changes nothing; with another value it is a 409 (correct a
    reading with PUT `/kpis/{key}/measurements/{measured_at}`). `measured_at` may be a date
    (midnight UTC); a naive timestamp (no zone) is a 422. Measurements do not change the
    KPI's version.
    """
    measurement, created = measurements.record_measurement(session, key, body)
    if created:
        created_at_location(response, _measurement_location(key, measurement), measurement.version)
    else:
        response.status_code = 200
        set_etag(response, measurement.version)
    return MeasurementRead.model_validate(measurement)


@router.get(
    "/{key}/measurements/{measured_at}",
    summary="Get a measurement",
    responses=problems(*ONE_PROBLEMS),
)
def get_measurement(
    key: KpiKey, measured_at: MeasuredAtPath, session: SessionDep, _: ReadKey, response: Response
) -> MeasurementRead:
    """The KPI's measurement taken at exactly `measured_at` (the `Location` of its POST); its
    version is the ETag. 404 for an unknown KPI or no reading at that moment."""
    measurement = measurements.get_measurement(session, key, measured_at)
    set_etag(response, measurement.version)
    return MeasurementRead.model_validate(measurement)


@router.put(
    "/{key}/measurements/{measured_at}",
    summary="Correct (or record) a measurement",
    responses={**PUT_RESPONSES, **problems(*CHANGE_PROBLEMS)},
)
def put_measurement(
    key: KpiKey,
    measured_at: MeasuredAtPath,
    body: MeasurementReplace,
    session: SessionDep,
    _: WriteKey,
    if_match: IfMatchDep,
    response: Response,
) -> MeasurementRead:
    """Correct a reading typed wrong: its `value` and `note` become the body's (200), or the
    reading is recorded if there was none at that moment (201).

    Honours If-Match (a stale one is 412 and changes nothing); the same content again
    changes nothing. The audit log keeps the value before and after. The KPI's `latest`,
    `status` and the findings follow at once.
    """
    measurement, created = measurements.put_measurement(session, key, measured_at, body, if_match)
    put_status(
        response,
        created=created,
        location=_measurement_location(key, measurement),
        version=measurement.version,
    )
    return MeasurementRead.model_validate(measurement)


@router.delete(
    "/{key}/measurements/{measured_at}",
    status_code=204,
    summary="Remove a measurement",
    responses=problems(*CHANGE_PROBLEMS),
)
def delete_measurement(
    key: KpiKey,
    measured_at: MeasuredAtPath,
    session: SessionDep,
    _: WriteKey,
    if_match: IfMatchDep,
) -> None:
    """Remove a reading entered by mistake; the one before it, if any, becomes the KPI's
    `latest`. Honours If-Match. The audit log keeps what was removed."""
    measurements.delete_measurement(session, key, measured_at, if_match)
