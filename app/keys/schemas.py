from datetime import datetime

from pydantic import Field

from app.auth.scopes import Scope
from app.core.identifiers import Key
from app.core.schemas import ReadModel, WriteModel


class ApiKeyCreate(WriteModel):
    """A new API key. `write` implies `read`; `admin` implies both and manages keys."""

    name: Key = Field(examples=["pmo-sync"])
    scope: Scope = Field(examples=["write"])


class ApiKeyRead(ReadModel):
    name: str = Field(examples=["pmo-sync"])
    scope: Scope
    created_at: datetime
    last_used_at: datetime | None = None


class ApiKeyCreated(ApiKeyRead):
    secret: str = Field(
        description="The bearer secret. Shown this once: only its hash is kept.",
        examples=["raci_4kV9yq3X0d..."],
    )
