"""HTTP routes for API keys (admin scope)."""

from typing import Annotated

from fastapi import APIRouter, Path, Query, Response
from pydantic import StringConstraints
from sqlalchemy.orm import Session

from app.auth.models import ApiKey
from app.core.http import (
    ONE_PROBLEMS,
    READ_PROBLEMS,
    WRITE_PROBLEMS,
    KeyPath,
    created_at_location,
    problems,
)
from app.core.identifiers import KEY_PATTERN
from app.core.schemas import Page
from app.deps import AdminKey, PageDep, SessionDep
from app.keys import service
from app.keys.schemas import ApiKeyCreate, ApiKeyCreated, ApiKeyPatch, ApiKeyRead

router = APIRouter(prefix="/keys", tags=["keys"])

NamePath = Annotated[
    str,
    StringConstraints(pattern=KEY_PATTERN, max_length=64),
    Path(description="The key's name.", examples=["pmo-sync"]),
]


@router.get("", summary="List API keys", responses=problems(*READ_PROBLEMS))
def list_keys(session: SessionDep, _: AdminKey, page: PageDep) -> Page[ApiKeyRead]:
    """API keys by name, a page at a time like every list (`limit`, `cursor`), with their
    scope, the roles they act for and when each was last used. Never a secret."""
    rows, next_cursor = service.list_keys_page(session, page)
    return Page[ApiKeyRead](items=_reads(session, rows), next_cursor=next_cursor)


@router.get("/{name}", summary="Get an API key", responses=problems(*ONE_PROBLEMS))
def get_key(name: NamePath, session: SessionDep, _: AdminKey) -> ApiKeyRead:
    """The key's scope, the roles it acts for and when it was last used. Never its secret."""
    return _reads(session, [service.get_key(session, name)])[0]


@router.patch(
    "/{name}", summary="Change the roles a key acts for", responses=problems(*WRITE_PROBLEMS, 404)
)
def patch_key(name: NamePath, body: ApiKeyPatch, session: SessionDep, _: AdminKey) -> ApiKeyRead:
    """Set `acts_for`, the whole list of role codes the key acts for (API.md "Explicit
    agreement"): such a key may agree to or dispute those roles' RACI cells. 404 for an
    unknown key; 422 naming each unknown role code. Audited with the key."""
    return _reads(session, [service.patch_key(session, name, body)])[0]


@router.post("", status_code=201, summary="Create an API key", responses=problems(*WRITE_PROBLEMS))
def create_key(
    body: ApiKeyCreate, session: SessionDep, _: AdminKey, response: Response
) -> ApiKeyCreated:
    """A new key, acting for the roles of `acts_for` (422 naming an unknown one). The answer
    carries its `secret`, shown this once: store it now."""
    key, secret = service.create_key(session, body)
    created_at_location(response, f"/keys/{key.name}")
    response.headers["Cache-Control"] = "no-store"
    return ApiKeyCreated.model_validate(
        {**_reads(session, [key])[0].model_dump(), "secret": secret}
    )


@router.delete(
    "/{name}", status_code=204, summary="Revoke an API key", responses=problems(*ONE_PROBLEMS, 409)
)
def revoke_key(
    name: KeyPath,
    session: SessionDep,
    _: AdminKey,
    force: Annotated[
        bool,
        Query(description="Revoke the last admin key too (otherwise a 409)."),
    ] = False,
) -> None:
    """Revoke a key: requests made with it are refused from now on, and its secret never
    works again. That holds for the `bootstrap` key too: start-up does not register a
    revoked `RACI_BOOTSTRAP_ADMIN_KEY` again, only a new secret.

    409 when it is the last admin key (no key could be managed over HTTP afterwards),
    unless `force=true`. An admin key may revoke itself."""
    service.revoke_key(session, name, force=force)


def _reads(session: Session, keys: list[ApiKey]) -> list[ApiKeyRead]:
    roles = service.acts_for(session, [key.id for key in keys])
    return [
        ApiKeyRead(
            name=key.name,
            scope=key.scope,
            acts_for=roles.get(key.id, []),
            created_at=key.created_at,
            last_used_at=key.last_used_at,
        )
        for key in keys
    ]
