"""HTTP routes that rename a role, an initiative or a component, or merge two roles."""

from typing import Annotated, Any

from fastapi import APIRouter, Body, Path, Response
from pydantic import BeforeValidator, StringConstraints
from sqlalchemy import select

from app.components.models import Component
from app.components.schemas import ComponentRead
from app.components.service import get_component
from app.core.errors import NotFound
from app.core.http import (
    CHANGE_PROBLEMS,
    ComponentKeyPath,
    KeyPath,
    problems,
    set_etag,
)
from app.core.identifiers import ROLE_CODE_INPUT_PATTERN, ROLE_CODE_PATTERN, upper_if_str
from app.deps import IfMatchDep, SessionDep, WriteKey
from app.initiatives.schemas import InitiativeRead
from app.initiatives.service import read_initiative
from app.renames import service
from app.renames.schemas import KeyRename, RoleMerge, RoleRename
from app.roles.models import Role
from app.roles.schemas import RoleRead

router = APIRouter()


# A role every new database has, and that no other example relies on.
RoleToRename = Annotated[
    str,
    BeforeValidator(upper_if_str),
    StringConstraints(pattern=ROLE_CODE_PATTERN, max_length=16),
    Path(
        description="A role code; lower case is accepted.",
        examples=["CDO"],
        json_schema_extra={"pattern": ROLE_CODE_INPUT_PATTERN},
    ),
]

_RENAMED: dict[int | str, dict[str, Any]] = {
    200: {"description": "Renamed (or already so named: nothing changed)."}
}


_MERGED: dict[int | str, dict[str, Any]] = {200: {"description": "Merged; the role taking over."}}


def _role(session: SessionDep, code: str, response: Response) -> RoleRead:
    role = session.scalar(select(Role).where(Role.code == code))
    if role is None:  # pragma: no cover - the service just wrote it
        raise NotFound(f"No role with code '{code}'")
    set_etag(response, role.version)
    response.headers["Location"] = f"/api/v1/roles/{code}"
    return RoleRead.model_validate(role)


@router.post(
    "/roles/{code}/rename",
    tags=["roles"],
    summary="Give a role a new code everywhere",
    responses={**_RENAMED, **problems(*CHANGE_PROBLEMS)},
)
def rename_role(
    code: RoleToRename,
    body: Annotated[RoleRename, Body(openapi_examples={"rename": {"value": {"code": "CDAO"}}})],
    session: SessionDep,
    _: WriteKey,
    if_match: IfMatchDep,
    response: Response,
) -> RoleRead:
    """A team renamed (CDO becomes CDAO): the role gets the new code in one transaction
    everywhere it is named (its RACI cells, the initiatives it sponsors, the KPIs it owns,
    the capabilities it is the agreed owner of). Answers the role under its new code (with
    `Location`); the old code answers 404 afterwards.

    The audit log shows the role and its cells leaving the old code and arriving at the new
    one, and an update of each initiative, KPI and capability naming it; entries written
    before keep the old code, and so does `GET /initiatives/{key}/raci?at=` for the time
    before. 409 when the new code is taken (merge instead); 404 for an unknown role;
    honours If-Match.
    """
    service.rename_role(session, code, body.code, if_match)
    return _role(session, body.code, response)


@router.post(
    "/roles/{code}/merge",
    tags=["roles"],
    summary="Merge a role into another",
    responses={**_MERGED, **problems(*CHANGE_PROBLEMS)},
)
def merge_role(
    code: RoleToRename,
    body: Annotated[RoleMerge, Body(openapi_examples={"merge": {"value": {"into": "CEO"}}})],
    session: SessionDep,
    _: WriteKey,
    if_match: IfMatchDep,
    response: Response,
) -> RoleRead:
    """Move everything of this role to `into`, then remove this role: its cells (where both
    held a cell on a component, the letters are joined: `A` and `R` make `AR`), its
    sponsorships, KPI ownerships and agreed ownerships. One transaction; answers the role
    `into`.

    422 when `into` is this role or no role; 409 when two cells' letters joined are not a
    value a cell can hold (change one first); 404 for an unknown role; honours If-Match (on
    this role). The audit log shows each move; earlier entries keep the old code.
    """
    service.merge_role(session, code, body.into, if_match)
    return _role(session, body.into, response)


@router.post(
    "/initiatives/{key}/rename",
    tags=["initiatives"],
    summary="Give an initiative a new key",
    responses={**_RENAMED, **problems(*CHANGE_PROBLEMS)},
)
def rename_initiative(
    key: KeyPath,
    body: Annotated[
        KeyRename, Body(openapi_examples={"rename": {"value": {"key": "support-bot"}}})
    ],
    session: SessionDep,
    _: WriteKey,
    if_match: IfMatchDep,
    response: Response,
) -> InitiativeRead:
    """The initiative gets the new key in one transaction: its components and cells, the
    KPIs serving it and the waivers naming it follow. The old key answers 404 afterwards
    (no alias). The audit log shows the initiative, its components and cells leaving the old
    key and arriving at the new one; `GET /initiatives/{old key}/raci?at=` still shows the
    time before. 409 when the key is taken; honours If-Match."""
    service.rename_initiative(session, key, body.key, if_match)
    fields = read_initiative(session, body.key)
    if fields is None:  # pragma: no cover - the service just wrote it
        raise NotFound(f"No initiative with key '{body.key}'")
    read = InitiativeRead.model_validate(fields)
    set_etag(response, read.version)
    response.headers["Location"] = f"/api/v1/initiatives/{body.key}"
    return read


@router.post(
    "/initiatives/{key}/components/{component_key}/rename",
    tags=["components"],
    summary="Give a component a new key",
    responses={**_RENAMED, **problems(*CHANGE_PROBLEMS)},
)
def rename_component(
    key: KeyPath,
    component_key: ComponentKeyPath,
    body: Annotated[KeyRename, Body(openapi_examples={"rename": {"value": {"key": "nlu-engine"}}})],
    session: SessionDep,
    _: WriteKey,
    if_match: IfMatchDep,
    response: Response,
) -> ComponentRead:
    """The component gets the new key (unique within its initiative): its cells and the
    waivers naming it follow, the initiative's version rises. The old key answers 404
    afterwards. 409 when the initiative already has a component with that key; honours
    If-Match (on the component)."""
    service.rename_component(session, key, component_key, body.key, if_match)
    component: Component = get_component(session, key, body.key)
    set_etag(response, component.version)
    response.headers["Location"] = f"/api/v1/initiatives/{key}/components/{body.key}"
    return ComponentRead.of(key, component)
