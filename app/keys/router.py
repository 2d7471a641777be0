"""HTTP routes for API keys (admin scope)."""

from fastapi import APIRouter, Response

from app.core.http import (
    ONE_PROBLEMS,
    READ_PROBLEMS,
    WRITE_PROBLEMS,
    KeyPath,
    created_at_location,
    problems,
)
from app.deps import AdminKey, SessionDep
from app.keys import service
from app.keys.schemas import ApiKeyCreate, ApiKeyCreated, ApiKeyRead

router = APIRouter(prefix="/keys", tags=["keys"])


@router.get("", summary="List API keys", responses=problems(*READ_PROBLEMS))
def list_keys(session: SessionDep, _: AdminKey) -> list[ApiKeyRead]:
    """Every API key by name, with its scope and when it was last used. Never a secret."""
    return [ApiKeyRead.model_validate(key) for key in service.list_keys(session)]


@router.post("", status_code=201, summary="Create an API key", responses=problems(*WRITE_PROBLEMS))
def create_key(
    body: ApiKeyCreate, session: SessionDep, _: AdminKey, response: Response
) -> ApiKeyCreated:
    """A new key. The answer carries its `secret`, shown this once: store it now."""
    key, secret = service.create_key(session, body)
    created_at_location(response, f"/keys/{key.name}")
    response.headers["Cache-Control"] = "no-store"
    return ApiKeyCreated.model_validate(
        {**ApiKeyRead.model_validate(key).model_dump(), "secret": secret}
    )


@router.delete(
    "/{name}", status_code=204, summary="Revoke an API key", responses=problems(*ONE_PROBLEMS)
)
def revoke_key(name: KeyPath, session: SessionDep, _: AdminKey) -> None:
    """Revoke a key: requests made with it are refused from now on."""
    service.revoke_key(session, name)
