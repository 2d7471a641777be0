from datetime import datetime

from pydantic import Field

from app.auth.scopes import Scope
from app.core.identifiers import Key, RoleCode
from app.core.schemas import ReadModel, WriteModel

ACTS_FOR_DESCRIPTION = (
    "The role codes this key acts for: it may agree to or dispute their RACI cells "
    '(API.md "Explicit agreement"). An admin key may decide any cell.'
)


class ApiKeyCreate(WriteModel):
    """A new API key. `write` implies `read`; `admin` implies both and manages keys."""

    name: Key = Field(examples=["pmo-sync"])
    scope: Scope = Field(examples=["write"])
    acts_for: list[RoleCode] = Field(
        default_factory=list,
        max_length=100,
        description=ACTS_FOR_DESCRIPTION,
        examples=[["CIO"]],
    )


class ApiKeyPatch(WriteModel):
    """What an admin may change of a key: the roles it acts for (the whole list)."""

    acts_for: list[RoleCode] = Field(
        max_length=100, description=ACTS_FOR_DESCRIPTION, examples=[["CIO", "CDO"]]
    )


class ApiKeyRead(ReadModel):
    name: str = Field(examples=["pmo-sync"])
    scope: Scope
    acts_for: list[str] = Field(
        default_factory=list, description=ACTS_FOR_DESCRIPTION, examples=[["CIO"]]
    )
    created_at: datetime
    last_used_at: datetime | None = None


class ApiKeyCreated(ApiKeyRead):
    secret: str = Field(
        description="The bearer secret. Shown this once: only its hash is kept.",
        examples=["raci_4kV9yq3X0d..."],
    )
