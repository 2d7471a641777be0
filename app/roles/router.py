"""HTTP routes for roles."""

from typing import Annotated

from fastapi import APIRouter, Body, Response

from app.core.http import (
    CHANGE_PROBLEMS,
    ONE_PROBLEMS,
    PUT_RESPONSES,
    READ_PROBLEMS,
    WRITE_PROBLEMS,
    RoleCodePath,
    created_at_location,
    problems,
    put_status,
    set_etag,
)
from app.core.schemas import Page
from app.deps import IfMatchDep, PageDep, ReadKey, SessionDep, WriteKey
from app.roles import service
from app.roles.schemas import RoleCreate, RolePatch, RoleRead, RoleReplace

router = APIRouter(prefix="/roles", tags=["roles"])


@router.get("", summary="List roles", responses=problems(*READ_PROBLEMS))
def list_roles(session: SessionDep, _: ReadKey, page: PageDep) -> Page[RoleRead]:
    """The executive roles, ordered by code. A new database has CMO, CIO, CDO and CEO."""
    rows, next_cursor = service.list_roles(session, page)
    return Page[RoleRead](items=[RoleRead.model_validate(r) for r in rows], next_cursor=next_cursor)


@router.post("", status_code=201, summary="Create a role", responses=problems(*WRITE_PROBLEMS))
def create_role(body: RoleCreate, session: SessionDep, _: WriteKey, response: Response) -> RoleRead:
    """Add a role (e.g. `CFO`). 409 if the code is taken."""
    role = service.create_role(session, body)
    created_at_location(response, f"/roles/{role.code}", role.version)
    return RoleRead.model_validate(role)


@router.get("/{code}", summary="Get a role", responses=problems(*ONE_PROBLEMS))
def get_role(code: RoleCodePath, session: SessionDep, _: ReadKey, response: Response) -> RoleRead:
    """One role, with its version as the ETag."""
    role = service.get_role(session, code)
    set_etag(response, role.version)
    return RoleRead.model_validate(role)


@router.put(
    "/{code}",
    summary="Create or replace a role",
    responses={**PUT_RESPONSES, **problems(*CHANGE_PROBLEMS)},
)
def put_role(
    code: RoleCodePath,
    body: RoleReplace,
    session: SessionDep,
    _: WriteKey,
    if_match: IfMatchDep,
    response: Response,
) -> RoleRead:
    """Create the role, or replace all its writable fields. Honours If-Match."""
    role, created = service.put_role(session, code, body, if_match)
    put_status(response, created=created, location=f"/roles/{role.code}", version=role.version)
    return RoleRead.model_validate(role)


@router.patch("/{code}", summary="Update a role", responses=problems(*CHANGE_PROBLEMS))
def patch_role(
    code: RoleCodePath,
    body: Annotated[RolePatch, Body(media_type="application/merge-patch+json")],
    session: SessionDep,
    _: WriteKey,
    if_match: IfMatchDep,
    response: Response,
) -> RoleRead:
    """A JSON merge patch (RFC 7396): only the fields sent change; `null` clears a field."""
    role = service.patch_role(session, code, body.model_dump(exclude_unset=True), if_match)
    set_etag(response, role.version)
    return RoleRead.model_validate(role)


@router.delete(
    "/{code}", status_code=204, summary="Delete a role", responses=problems(*CHANGE_PROBLEMS)
)
def delete_role(code: RoleCodePath, session: SessionDep, _: WriteKey, if_match: IfMatchDep) -> None:
    """Delete a role. 409, naming them, while capabilities, initiatives, cells or KPIs refer to it."""
    service.delete_role(session, code, if_match)
