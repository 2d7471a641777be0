"""HTTP routes for initiatives and their nested document."""

from typing import Annotated, Literal

from fastapi import APIRouter, Body, Query, Response
from pydantic import AfterValidator
from sqlalchemy.orm import Session

from app.core.errors import NotFound
from app.core.http import (
    CHANGE_PROBLEMS,
    ONE_PROBLEMS,
    PUT_RESPONSES,
    READ_PROBLEMS,
    WRITE_PROBLEMS,
    KeyPath,
    created_at_location,
    json_answer,
    problems,
    put_status,
    set_etag,
)
from app.core.identifiers import RoleCode, Tag, no_control_chars
from app.core.schemas import Page
from app.deps import IfMatchDep, PageDep, ReadKey, SessionDep, WriteKey
from app.initiatives import service
from app.initiatives.document import ComponentState
from app.initiatives.models import Initiative
from app.initiatives.schemas import (
    ComponentDocumentRead,
    InitiativeDocument,
    InitiativeDocumentRead,
    InitiativeKind,
    InitiativePatch,
    InitiativeRead,
    InitiativeReplace,
    InitiativeStatus,
    Portfolio,
)
from app.raci.schemas import Agreement

router = APIRouter(prefix="/initiatives", tags=["initiatives"])

MAX_FILTER_VALUES = 50

Expand = Annotated[
    Literal["components"] | None,
    Query(description="`components` adds the components with their RACI cells."),
]


def _any_of(what: str) -> str:
    return f"Only initiatives with {what}; repeat the parameter for any of several."


@router.get("", summary="List initiatives", responses=problems(*READ_PROBLEMS))
def list_initiatives(
    session: SessionDep,
    _: ReadKey,
    page: PageDep,
    status: Annotated[
        list[InitiativeStatus] | None,
        Query(max_length=MAX_FILTER_VALUES, description=_any_of("this status")),
    ] = None,
    kind: Annotated[
        list[InitiativeKind] | None,
        Query(max_length=MAX_FILTER_VALUES, description=_any_of("this kind")),
    ] = None,
    portfolio: Annotated[
        list[Portfolio] | None,
        Query(max_length=MAX_FILTER_VALUES, description=_any_of("this portfolio")),
    ] = None,
    sponsor: Annotated[
        list[RoleCode] | None,
        Query(
            max_length=MAX_FILTER_VALUES,
            description=_any_of("this sponsor (a role code; lower case is accepted)"),
        ),
    ] = None,
    tag: Annotated[
        list[Tag] | None, Query(max_length=MAX_FILTER_VALUES, description=_any_of("this tag"))
    ] = None,
    q: Annotated[
        Annotated[str, AfterValidator(no_control_chars)] | None,
        Query(
            min_length=1,
            max_length=200,
            description="Only initiatives whose name contains this text, ignoring case.",
        ),
    ] = None,
) -> Page[InitiativeRead]:
    """The portfolio's initiatives, ordered by key. Filters combine (all must hold); a filter
    given several times matches any of its values, e.g. `?status=active&status=planned`.
    A `next_cursor` only continues the list it was issued for, with the same filters."""
    filters = service.InitiativeFilters(
        statuses=status or (),
        kinds=kind or (),
        portfolios=portfolio or (),
        sponsors=sponsor or (),
        tags=tag or (),
        name_contains=q,
    )
    rows, next_cursor = service.list_initiatives(session, page, filters)
    return Page[InitiativeRead](
        items=[InitiativeRead.model_validate(row) for row in rows], next_cursor=next_cursor
    )


@router.post(
    "", status_code=201, summary="Create an initiative", responses=problems(*WRITE_PROBLEMS)
)
def create_initiative(
    body: InitiativeDocument, session: SessionDep, _: WriteKey, response: Response
) -> InitiativeRead:
    """Add an initiative, optionally with its `components` and their `raci` cells (see PUT).
    409 if the key is taken; 422 naming every unknown sponsor, capability or role."""
    initiative = service.create_initiative(session, body)
    created_at_location(response, f"/initiatives/{initiative.key}", initiative.version)
    return InitiativeRead.model_validate(initiative)


@router.get(
    "/{key}",
    summary="Get an initiative",
    response_model=InitiativeDocumentRead | InitiativeRead,
    responses=problems(*ONE_PROBLEMS),
)
def get_initiative(
    key: KeyPath, session: SessionDep, _: ReadKey, expand: Expand = None
) -> Response:
    """One initiative, with its version as the ETag. With `?expand=components` the answer is
    the whole document: the components ordered by key, each with its `raci` map. That answer
    can be PUT back as it is. The ETag covers the whole document."""
    if expand == "components":
        return json_answer(_answer(session, service.get_initiative(session, key), "components"))
    fields = service.read_initiative(session, key)
    if fields is None:
        raise NotFound(f"No initiative with key '{key}'")
    return json_answer(InitiativeRead.model_validate(fields))


@router.put(
    "/{key}",
    summary="Create or replace an initiative and its components",
    response_model=InitiativeDocumentRead | InitiativeRead,
    responses={**PUT_RESPONSES, **problems(*CHANGE_PROBLEMS)},
)
def put_initiative(
    key: KeyPath,
    body: InitiativeReplace,
    session: SessionDep,
    _: WriteKey,
    if_match: IfMatchDep,
    response: Response,
    expand: Expand = None,
) -> InitiativeRead:
    """Create the initiative, or replace all its writable fields (fields left out take their
    defaults). When the body has `components`, the initiative's components and RACI cells
    become exactly that list: components left out are removed with their cells, changed
    ones are updated in place, new ones are added. Without `components` they stay as they
    are. Unknown roles or capabilities are a 422 naming each by its place, e.g.
    `["body", "components", 1, "raci", "CXO"]`; nothing is written then.

    The version rises by one when anything in the document changed, and not at all when the
    same document is sent again. Honours If-Match. `?expand=components` answers with the
    whole document, as GET does."""
    initiative, created = service.put_initiative(session, key, body, if_match)
    put_status(
        response,
        created=created,
        location=f"/initiatives/{initiative.key}",
        version=initiative.version,
    )
    return _answer(session, initiative, expand)


@router.patch("/{key}", summary="Update an initiative", responses=problems(*CHANGE_PROBLEMS))
def patch_initiative(
    key: KeyPath,
    body: Annotated[InitiativePatch, Body(media_type="application/merge-patch+json")],
    session: SessionDep,
    _: WriteKey,
    if_match: IfMatchDep,
    response: Response,
) -> InitiativeRead:
    """A JSON merge patch (RFC 7396) of the initiative's own fields: only the fields sent
    change; `null` clears a field; `tags` is replaced as a whole. Components are changed with
    PUT or their own endpoints."""
    initiative = service.patch_initiative(
        session, key, body.model_dump(exclude_unset=True), if_match
    )
    set_etag(response, initiative.version)
    return InitiativeRead.model_validate(initiative)


@router.delete(
    "/{key}",
    status_code=204,
    summary="Delete an initiative",
    responses=problems(*CHANGE_PROBLEMS),
)
def delete_initiative(key: KeyPath, session: SessionDep, _: WriteKey, if_match: IfMatchDep) -> None:
    """Delete an initiative with its components and their RACI cells. 409, naming them, while
    KPIs serve it: take it out of their `initiatives` first."""
    service.delete_initiative(session, key, if_match)


def _answer(
    session: Session, initiative: Initiative, expand: Literal["components"] | None
) -> InitiativeRead:
    read = InitiativeRead.model_validate(initiative)
    if expand != "components":
        return read
    components = [_component_read(state) for state in service.component_states(session, initiative)]
    return InitiativeDocumentRead(**read.model_dump(), components=components)


def _component_read(state: ComponentState) -> ComponentDocumentRead:
    component = state.component
    return ComponentDocumentRead(
        key=component.key,
        name=component.name,
        capability=component.capability,
        description=component.description,
        group=component.group,
        raci=state.raci,
        rationales=state.rationales,
        agreements={role: Agreement.of(cell) for role, cell in state.agreements.items()},
        version=component.version,
        created_at=component.created_at,
        updated_at=component.updated_at,
    )
