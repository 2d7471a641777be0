"""HTTP routes for waivers: findings accepted knowingly."""

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
from app.core.identifiers import KEY_PATTERN, Key
from app.core.schemas import Page
from app.db.base import utcnow
from app.deps import IfMatchDep, PageDep, ReadKey, SessionDep, WriteKey
from app.waivers import service
from app.waivers.models import Waiver
from app.waivers.schemas import (
    WaivedRule,
    WaiverCreate,
    WaiverPatch,
    WaiverRead,
    WaiverReplace,
)

router = APIRouter(prefix="/waivers", tags=["waivers"])

WaiverKey = Annotated[
    str,
    StringConstraints(pattern=KEY_PATTERN, max_length=64),
    Path(description="The waiver's key.", examples=["chatbot-kpis-later"]),
]


def _today() -> date:
    return utcnow().date()


def _read(waiver: Waiver) -> WaiverRead:
    return WaiverRead(
        key=waiver.key,
        rule=waiver.rule,
        initiative=waiver.initiative,
        component=waiver.component,
        capability=waiver.capability,
        kpi=waiver.kpi,
        rationale=waiver.rationale,
        expires_on=waiver.expires_on,
        created_by=waiver.created_by,
        active=service.is_active(waiver, _today()),
        version=waiver.version,
        created_at=waiver.created_at,
        updated_at=waiver.updated_at,
    )


def _location(key: str) -> str:
    return f"/waivers/{key}"


@router.get("", summary="List waivers", responses=problems(*READ_PROBLEMS))
def list_waivers(
    session: SessionDep,
    _: ReadKey,
    page: PageDep,
    rule: Annotated[
        list[WaivedRule] | None, Query(description="Only waivers of these rules (any of).")
    ] = None,
    initiative: Annotated[
        list[Key] | None, Query(description="Only waivers naming these initiatives (any of).")
    ] = None,
    active: Annotated[
        bool | None,
        Query(description="`true`: only those that waive today; `false`: only expired ones."),
    ] = None,
) -> Page[WaiverRead]:
    """The waivers, ordered by key, with who created each and whether it is active today."""
    filters = service.WaiverFilters(rules=rule or (), initiatives=initiative or (), active=active)
    rows, next_cursor = service.list_waivers(session, page, filters, _today())
    return Page[WaiverRead](items=[_read(row) for row in rows], next_cursor=next_cursor)


@router.post("", status_code=201, summary="Waive a finding", responses=problems(*WRITE_PROBLEMS))
def create_waiver(
    body: WaiverCreate, session: SessionDep, key: WriteKey, response: Response
) -> WaiverRead:
    """Accept one finding knowingly (a co-ownership decided on purpose, a KPI whose plan was
    reset...): from now on the reports, the `--fail-on` gate, `/metrics` and the dashboard
    leave it out (`include_waived=true` shows it with `"waiver": key`), until `expires_on`.

    Copy `rule` and the subject (`initiative`, `component`, `capability`, `kpi`) from the
    finding. 422 when a subject named does not exist or none is named; 409 when the key is
    taken. `created_by` is the name of the API key used; the audit log keeps the rationale.
    """
    waiver = service.create_waiver(session, body, key.name)
    created_at_location(response, _location(waiver.key), waiver.version)
    return _read(waiver)


@router.get("/{key}", summary="Get a waiver", responses=problems(*ONE_PROBLEMS))
def get_waiver(key: WaiverKey, session: SessionDep, _: ReadKey, response: Response) -> WaiverRead:
    """One waiver, with its version as the ETag."""
    waiver = service.get_waiver(session, key)
    set_etag(response, waiver.version)
    return _read(waiver)


@router.put(
    "/{key}",
    summary="Create or replace a waiver",
    responses={**PUT_RESPONSES, **problems(*CHANGE_PROBLEMS)},
)
def put_waiver(
    key: WaiverKey,
    body: WaiverReplace,
    session: SessionDep,
    principal: WriteKey,
    if_match: IfMatchDep,
    response: Response,
) -> WaiverRead:
    """Create the waiver, or replace its writable fields (`created_by` stays who created
    it). Honours If-Match."""
    waiver, created = service.put_waiver(session, key, body, if_match, principal.name)
    put_status(response, created=created, location=_location(waiver.key), version=waiver.version)
    return _read(waiver)


@router.patch("/{key}", summary="Update or expire a waiver", responses=problems(*CHANGE_PROBLEMS))
def patch_waiver(
    key: WaiverKey,
    body: Annotated[WaiverPatch, Body(media_type="application/merge-patch+json")],
    session: SessionDep,
    _: WriteKey,
    if_match: IfMatchDep,
    response: Response,
) -> WaiverRead:
    """A JSON merge patch. `{"expires_on": "<today's date>"}` expires the waiver: its
    finding is reported again at once, and the waiver stays as a record."""
    waiver = service.patch_waiver(session, key, body.model_dump(exclude_unset=True), if_match)
    set_etag(response, waiver.version)
    return _read(waiver)


@router.delete(
    "/{key}", status_code=204, summary="Delete a waiver", responses=problems(*CHANGE_PROBLEMS)
)
def delete_waiver(key: WaiverKey, session: SessionDep, _: WriteKey, if_match: IfMatchDep) -> None:
    """Remove a waiver; its finding is reported again. Honours If-Match. (To keep the record,
    expire it instead.)"""
    service.delete_waiver(session, key, if_match)
