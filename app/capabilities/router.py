"""HTTP routes for capabilities."""

from typing import Annotated

from fastapi import APIRouter, Body, Path, Query, Response
from pydantic import StringConstraints

from app.capabilities import service
from app.capabilities.schemas import (
    CapabilityCreate,
    CapabilityPatch,
    CapabilityRead,
    CapabilityReplace,
    Domain,
)
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
from app.core.identifiers import KEY_PATTERN
from app.core.schemas import Page
from app.deps import IfMatchDep, PageDep, ReadKey, SessionDep, WriteKey

router = APIRouter(prefix="/capabilities", tags=["capabilities"])

CapabilityKey = Annotated[
    str,
    StringConstraints(pattern=KEY_PATTERN, max_length=64),
    Path(description="The capability's key.", examples=["conversational-ai"]),
]


@router.get("", summary="List capabilities", responses=problems(*READ_PROBLEMS))
def list_capabilities(
    session: SessionDep,
    _: ReadKey,
    page: PageDep,
    domain: Annotated[
        list[Domain] | None,
        Query(max_length=5, description="Only these domains; repeat for any of several."),
    ] = None,
) -> Page[CapabilityRead]:
    """The shared vocabulary of work, ordered by key, each with the role agreed to own it."""
    rows, next_cursor = service.list_capabilities(session, page, domains=domain or ())
    return Page[CapabilityRead](
        items=[CapabilityRead.model_validate(row) for row in rows], next_cursor=next_cursor
    )


@router.post(
    "", status_code=201, summary="Create a capability", responses=problems(*WRITE_PROBLEMS)
)
def create_capability(
    body: CapabilityCreate, session: SessionDep, _: WriteKey, response: Response
) -> CapabilityRead:
    """Add a capability (e.g. `conversational-ai`). 409 if the key is taken; 422 if
    `agreed_owner` names no role."""
    capability = service.create_capability(session, body)
    created_at_location(response, f"/capabilities/{capability.key}", capability.version)
    return CapabilityRead.model_validate(capability)


@router.get("/{key}", summary="Get a capability", responses=problems(*ONE_PROBLEMS))
def get_capability(
    key: CapabilityKey, session: SessionDep, _: ReadKey, response: Response
) -> CapabilityRead:
    """One capability, with its version as the ETag."""
    capability = service.get_capability(session, key)
    set_etag(response, capability.version)
    return CapabilityRead.model_validate(capability)


@router.put(
    "/{key}",
    summary="Create or replace a capability",
    responses={**PUT_RESPONSES, **problems(*CHANGE_PROBLEMS)},
)
def put_capability(
    key: CapabilityKey,
    body: CapabilityReplace,
    session: SessionDep,
    _: WriteKey,
    if_match: IfMatchDep,
    response: Response,
) -> CapabilityRead:
    """Create the capability, or replace all its writable fields (fields left out become
    null). Honours If-Match."""
    capability, created = service.put_capability(session, key, body, if_match)
    put_status(
        response,
        created=created,
        location=f"/capabilities/{capability.key}",
        version=capability.version,
    )
    return CapabilityRead.model_validate(capability)


@router.patch("/{key}", summary="Update a capability", responses=problems(*CHANGE_PROBLEMS))
def patch_capability(
    key: CapabilityKey,
    body: Annotated[CapabilityPatch, Body(media_type="application/merge-patch+json")],
    session: SessionDep,
    _: WriteKey,
    if_match: IfMatchDep,
    response: Response,
) -> CapabilityRead:
    """A JSON merge patch (RFC 7396): only the fields sent change; `null` clears a field."""
    capability = service.patch_capability(
        session, key, body.model_dump(exclude_unset=True), if_match
    )
    set_etag(response, capability.version)
    return CapabilityRead.model_validate(capability)


@router.delete(
    "/{key}",
    status_code=204,
    summary="Delete a capability",
    responses=problems(*CHANGE_PROBLEMS),
)
def delete_capability(
    key: CapabilityKey, session: SessionDep, _: WriteKey, if_match: IfMatchDep
) -> None:
    """Delete a capability. 409, naming them as `initiative/component`, while components are
    instances of it."""
    service.delete_capability(session, key, if_match)
