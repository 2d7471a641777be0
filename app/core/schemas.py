"""Base classes shared by every domain's request and response schemas."""

from datetime import datetime
from typing import Annotated, Any, ClassVar, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field, create_model, model_validator

ALWAYS_READ_ONLY = frozenset({"version", "created_at", "updated_at"})


class WriteModel(BaseModel):
    """A request body: unknown fields are refused, read-only fields silently dropped.

    Dropping read-only fields lets a client PUT back exactly what it got from a GET.
    """

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=False)
    read_only_fields: ClassVar[frozenset[str]] = ALWAYS_READ_ONLY

    @model_validator(mode="before")
    @classmethod
    def _drop_read_only(cls, data: Any) -> Any:
        if isinstance(data, dict):
            return {k: v for k, v in data.items() if k not in cls.read_only_fields}
        return data


class ReadModel(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class VersionedRead(ReadModel):
    version: int = Field(description="Raised by one on every change; sent as the ETag.")
    created_at: datetime
    updated_at: datetime


ItemT = TypeVar("ItemT")


class Page(BaseModel, Generic[ItemT]):
    """One page of a list, ordered by key. Pass `next_cursor` back as `cursor` for more."""

    items: list[ItemT]
    next_cursor: str | None = None


def partial_model(model: type[WriteModel], name: str, *, doc: str) -> type[WriteModel]:
    """The PATCH body for `model`: every field optional, so a merge patch names only changes."""
    fields: dict[str, Any] = {}
    for field_name, info in model.model_fields.items():
        inner: Any = (
            Annotated[(info.annotation, *info.metadata)] if info.metadata else info.annotation
        )
        fields[field_name] = (
            inner | None,
            Field(default=None, description=info.description, examples=info.examples),
        )
    patch: type[WriteModel] = create_model(name, __base__=WriteModel, __doc__=doc, **fields)
    patch.read_only_fields = model.read_only_fields
    return patch
