from typing import TYPE_CHECKING

from pydantic import Field

from app.core.identifiers import Name, RoleCode, Text
from app.core.schemas import VersionedRead, WriteModel, partial_model
from app.roles.functions import RoleFunction


class RoleFields(WriteModel):
    name: Name = Field(examples=["Chief Marketing Officer"])
    description: Text | None = Field(
        default=None, examples=["Owns brand, campaigns and the customer voice."]
    )
    function: RoleFunction = Field(
        default="other",
        examples=["marketing"],
        description="What the role is there for: `marketing`, `technology`, `data`, "
        "`digital`, `executive` or `other` (the default).",
    )


class RoleCreate(RoleFields):
    """A new executive role. The code is upper-cased: `cco` becomes `CCO`."""

    code: RoleCode = Field(examples=["CCO"])


class RoleReplace(RoleFields):
    """The whole role. `code` may be left out; if given it must match the URL."""

    code: RoleCode | None = Field(default=None, examples=[None])


if TYPE_CHECKING:  # mypy cannot see through a generated model
    RolePatch = RoleFields
else:
    RolePatch = partial_model(RoleFields, "RolePatch", doc="A JSON merge patch of a role's fields.")


class RoleRead(VersionedRead):
    code: str = Field(examples=["CMO"])
    name: str = Field(examples=["Chief Marketing Officer"])
    description: str | None = None
    function: RoleFunction = Field(examples=["marketing"])
