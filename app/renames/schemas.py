"""Request bodies of the rename and merge operations."""

from pydantic import BaseModel, ConfigDict, Field

from app.core.identifiers import Key, RoleCode


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class RoleRename(_Body):
    """The role's new code (lower case is upper-cased)."""

    code: RoleCode = Field(examples=["CDAO"])


class RoleMerge(_Body):
    """The role that takes over everything of this one."""

    into: RoleCode = Field(examples=["CIO"])


class KeyRename(_Body):
    """The new key."""

    key: Key = Field(examples=["support-bot"])
