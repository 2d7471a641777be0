"""HTTP routes for components, the parts of an initiative."""

from typing import Annotated

from fastapi import APIRouter, Body, Response

from app.components import service
from app.components.schemas import (
    ComponentCreate,
    ComponentPatch,
    ComponentRead,
    ComponentReplace,
)
from app.core.http import (
    CHANGE_PROBLEMS,
    ONE_PROBLEMS,
    PUT_RESPONSES,
    WRITE_PROBLEMS,
    ComponentKeyPath,
    KeyPath,
    created_at_location,
    problems,
    put_status,
    set_etag,
)
from app.core.schemas import Page
from app.deps import IfMatchDep, PageDep, ReadKey, SessionDep, WriteKey

router = APIRouter(prefix="/initiatives/{key}/components", tags=["components"])

_ONE = "/{component_key}"


def _location(key: str, component_key: str) -> str:
    return f"/initiatives/{key}/components/{component_key}"


@router.get("", summary="List an initiative's components", responses=problems(*ONE_PROBLEMS))
def list_components(
    key: KeyPath, session: SessionDep, _: ReadKey, page: PageDep
) -> Page[ComponentRead]:
    """The components of one initiative, ordered by key. 404 if the initiative does not exist.

    Their RACI cells are under each component's `/raci/{role_code}`, and the whole matrix
    at `/initiatives/{key}/raci`.
    """
    rows, next_cursor = service.list_components(session, key, page)
    return Page[ComponentRead](
        items=[ComponentRead.of(key, row) for row in rows], next_cursor=next_cursor
    )


@router.post(
    "",
    status_code=201,
    summary="Add a component to an initiative",
    responses=problems(*WRITE_PROBLEMS, 404),
)
def create_component(
    key: KeyPath, body: ComponentCreate, session: SessionDep, _: WriteKey, response: Response
) -> ComponentRead:
    """Add a component (e.g. the chatbot's `nlu` engine). Its key must be new within the
    initiative (409 otherwise); `capability`, if given, must be an existing capability's key.

    Raises the initiative's version, as the initiative's document includes its components.
    """
    component = service.create_component(session, key, body)
    created_at_location(response, _location(key, component.key), component.version)
    return ComponentRead.of(key, component)


@router.get(_ONE, summary="Get a component", responses=problems(*ONE_PROBLEMS))
def get_component(
    key: KeyPath,
    component_key: ComponentKeyPath,
    session: SessionDep,
    _: ReadKey,
    response: Response,
) -> ComponentRead:
    """One component, with its version as the ETag. 404 names the initiative or the
    component that does not exist."""
    component = service.get_component(session, key, component_key)
    set_etag(response, component.version)
    return ComponentRead.of(key, component)


@router.put(
    _ONE,
    summary="Create or replace a component",
    responses={**PUT_RESPONSES, **problems(*CHANGE_PROBLEMS)},
)
def put_component(
    key: KeyPath,
    component_key: ComponentKeyPath,
    body: ComponentReplace,
    session: SessionDep,
    _: WriteKey,
    if_match: IfMatchDep,
    response: Response,
) -> ComponentRead:
    """Create the component, or replace all its writable fields (its RACI cells stay).
    Honours If-Match against the component's ETag.

    A change raises both the component's and the initiative's version; sending what is
    already stored changes nothing.
    """
    component, created = service.put_component(session, key, component_key, body, if_match)
    put_status(
        response,
        created=created,
        location=_location(key, component.key),
        version=component.version,
    )
    return ComponentRead.of(key, component)


@router.patch(_ONE, summary="Update a component", responses=problems(*CHANGE_PROBLEMS))
def patch_component(
    key: KeyPath,
    component_key: ComponentKeyPath,
    body: Annotated[ComponentPatch, Body(media_type="application/merge-patch+json")],
    session: SessionDep,
    _: WriteKey,
    if_match: IfMatchDep,
    response: Response,
) -> ComponentRead:
    """A JSON merge patch (RFC 7396): only the fields sent change; `null` clears a field
    (`"capability": null` detaches the component from its capability). Honours If-Match."""
    component = service.patch_component(
        session, key, component_key, body.model_dump(exclude_unset=True), if_match
    )
    set_etag(response, component.version)
    return ComponentRead.of(key, component)


@router.delete(
    _ONE,
    status_code=204,
    summary="Delete a component and its RACI cells",
    responses=problems(*CHANGE_PROBLEMS),
)
def delete_component(
    key: KeyPath,
    component_key: ComponentKeyPath,
    session: SessionDep,
    _: WriteKey,
    if_match: IfMatchDep,
) -> None:
    """Delete the component together with its RACI cells. Honours If-Match against the
    component's ETag, and raises the initiative's version."""
    service.delete_component(session, key, component_key, if_match)
