"""HTTP routes for governance models (issue 20)."""

from typing import Annotated

from fastapi import APIRouter, Body, Path, Response
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
from app.core.identifiers import KEY_PATTERN
from app.core.schemas import Page
from app.deps import IfMatchDep, PageDep, ReadKey, SessionDep, WriteKey
from app.governance import service
from app.governance.models import GovernanceModel
from app.governance.schemas import (
    ActivationResult,
    GovernanceModelCreate,
    GovernanceModelPatch,
    GovernanceModelRead,
    GovernanceModelReplace,
    ModelOwnerRead,
    OwnerChange,
)

router = APIRouter(prefix="/governance-models", tags=["governance models"])

ModelKey = Annotated[
    str,
    StringConstraints(pattern=KEY_PATTERN, max_length=64),
    Path(description="The governance model's key.", examples=["cdo-beside"]),
]


def _read(model: GovernanceModel) -> GovernanceModelRead:
    return GovernanceModelRead(
        key=model.key,
        name=model.name,
        description=model.description,
        owners=[ModelOwnerRead.model_validate(entry) for entry in model.owners],
        active=model.active,
        version=model.version,
        created_at=model.created_at,
        updated_at=model.updated_at,
    )


def _location(key: str) -> str:
    return f"/governance-models/{key}"


@router.get("", summary="List governance models", responses=problems(*READ_PROBLEMS))
def list_models(session: SessionDep, _: ReadKey, page: PageDep) -> Page[GovernanceModelRead]:
    """The governance models, ordered by key; `active` marks the one whose owners are the
    capabilities' agreed owners. Shipped: `cmo-cio-partnership`, `cdo-beside`, `cdo-above`."""
    rows, next_cursor = service.list_models(session, page)
    return Page[GovernanceModelRead](items=[_read(r) for r in rows], next_cursor=next_cursor)


@router.post(
    "", status_code=201, summary="Create a governance model", responses=problems(*WRITE_PROBLEMS)
)
def create_model(
    body: GovernanceModelCreate, session: SessionDep, _: WriteKey, response: Response
) -> GovernanceModelRead:
    """A new model: `owners` lists `{"capability": key}` or `{"domain": domain}` entries
    (a domain entry is the default for that domain's capabilities the model does not name),
    each with its `owner` role and `rationale`. 422 for an entry with both or neither of
    `capability` and `domain`, a subject given twice, or an unknown role or capability;
    409 when the key is taken. A new model is not active."""
    model = service.create_model(session, body)
    created_at_location(response, _location(model.key), model.version)
    return _read(model)


@router.get("/{key}", summary="Get a governance model", responses=problems(*ONE_PROBLEMS))
def get_model(
    key: ModelKey, session: SessionDep, _: ReadKey, response: Response
) -> GovernanceModelRead:
    """One governance model, with its version as the ETag."""
    model = service.get_model(session, key)
    set_etag(response, model.version)
    return _read(model)


@router.put(
    "/{key}",
    summary="Create or replace a governance model",
    responses={**PUT_RESPONSES, **problems(*CHANGE_PROBLEMS)},
)
def put_model(
    key: ModelKey,
    body: GovernanceModelReplace,
    session: SessionDep,
    _: WriteKey,
    if_match: IfMatchDep,
    response: Response,
) -> GovernanceModelRead:
    """Create the model, or replace its name, description and owners (an active model
    stays active; activate it again to apply new owners). Honours If-Match."""
    model, created = service.put_model(session, key, body, if_match)
    put_status(response, created=created, location=_location(model.key), version=model.version)
    return _read(model)


@router.patch("/{key}", summary="Update a governance model", responses=problems(*CHANGE_PROBLEMS))
def patch_model(
    key: ModelKey,
    body: Annotated[GovernanceModelPatch, Body(media_type="application/merge-patch+json")],
    session: SessionDep,
    _: WriteKey,
    if_match: IfMatchDep,
    response: Response,
) -> GovernanceModelRead:
    """A JSON merge patch; `owners`, a list, is replaced whole. Honours If-Match."""
    model = service.patch_model(session, key, body.model_dump(exclude_unset=True), if_match)
    set_etag(response, model.version)
    return _read(model)


@router.delete(
    "/{key}",
    status_code=204,
    summary="Delete a governance model",
    responses=problems(*CHANGE_PROBLEMS),
)
def delete_model(key: ModelKey, session: SessionDep, _: WriteKey, if_match: IfMatchDep) -> None:
    """Remove a model; the capabilities keep the agreed owners it gave them. Honours
    If-Match."""
    service.delete_model(session, key, if_match)


@router.post(
    "/{key}/activate",
    summary="Make a governance model the active one",
    responses=problems(*CHANGE_PROBLEMS),
)
def activate_model(
    key: ModelKey, session: SessionDep, _: WriteKey, if_match: IfMatchDep, response: Response
) -> ActivationResult:
    """One audited transaction: every capability the model names (or whose domain it gives
    a default owner for) gets the model's owner as `agreed_owner` and its rationale as
    `rationale`; the model becomes `active` and the one active before does not stay so.
    Capabilities the model does not speak for keep their owners. Idempotent: activating the
    active model again changes nothing and answers `changed: []`. If-Match applies to the
    model's version. 404 for an unknown model."""
    model, changes = service.activate_model(session, key, if_match)
    set_etag(response, model.version)
    return ActivationResult(
        model=_read(model),
        changed=[
            OwnerChange(
                capability=c.capability, before=c.before, after=c.after, rationale=c.rationale
            )
            for c in changes
        ],
    )
