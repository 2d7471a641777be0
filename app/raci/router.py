"""HTTP routes for RACI cells: one role's letter for one component."""

from fastapi import APIRouter, Response

from app.core.http import (
    CHANGE_PROBLEMS,
    ONE_PROBLEMS,
    PUT_RESPONSES,
    ComponentKeyPath,
    KeyPath,
    RoleCodePath,
    problems,
    put_status,
    set_etag,
)
from app.deps import IfMatchDep, ReadKey, SessionDep, WriteKey
from app.raci import service
from app.raci.schemas import RaciCellRead, RaciCellReplace

router = APIRouter(
    prefix="/initiatives/{key}/components/{component_key}/raci/{role_code}", tags=["raci"]
)


@router.get("", summary="Get a RACI cell", responses=problems(*ONE_PROBLEMS))
def get_cell(
    key: KeyPath,
    component_key: ComponentKeyPath,
    role_code: RoleCodePath,
    session: SessionDep,
    _: ReadKey,
    response: Response,
) -> RaciCellRead:
    """What the role is for the component (`R`, `A`, `C`, `I` or `AR`) and why, with the
    cell's version as the ETag. 404 names the initiative, component or role that does not
    exist, or says that the role holds no cell there."""
    cell = service.get_cell(session, key, component_key, role_code)
    set_etag(response, cell.version)
    return RaciCellRead.of(key, component_key, cell)


@router.put(
    "",
    summary="Set a RACI cell",
    responses={**PUT_RESPONSES, **problems(*CHANGE_PROBLEMS)},
)
def put_cell(
    key: KeyPath,
    component_key: ComponentKeyPath,
    role_code: RoleCodePath,
    body: RaciCellReplace,
    session: SessionDep,
    _: WriteKey,
    if_match: IfMatchDep,
    response: Response,
) -> RaciCellRead:
    """Make the role `R`, `A`, `C`, `I` or `AR` for the component, with an optional
    rationale. The role code is case-insensitive, and so is `raci`, which also accepts
    `A/R`, `R/A` and `RA` for `AR`. A component holds one cell per role: this replaces
    the role's previous letter.

    201 when the cell is new, 200 when it replaced one. Honours If-Match against the
    cell's ETag. A change raises the cell's and the initiative's versions; the same
    letter and rationale again change nothing.
    """
    cell, created = service.put_cell(session, key, component_key, role_code, body, if_match)
    put_status(
        response,
        created=created,
        location=f"/initiatives/{key}/components/{component_key}/raci/{cell.role}",
        version=cell.version,
    )
    return RaciCellRead.of(key, component_key, cell)


@router.delete(
    "", status_code=204, summary="Remove a RACI cell", responses=problems(*CHANGE_PROBLEMS)
)
def delete_cell(
    key: KeyPath,
    component_key: ComponentKeyPath,
    role_code: RoleCodePath,
    session: SessionDep,
    _: WriteKey,
    if_match: IfMatchDep,
) -> None:
    """The role no longer holds any letter for the component. Honours If-Match against the
    cell's ETag, and raises the initiative's version."""
    service.delete_cell(session, key, component_key, role_code, if_match)
