"""Base classes shared by every domain's request and response schemas."""

import types
from datetime import datetime
from decimal import Decimal
from functools import cache
from typing import Annotated, Any, ClassVar, Generic, TypeVar, Union, get_args, get_origin

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    create_model,
    field_validator,
    model_validator,
)

ALWAYS_READ_ONLY = frozenset({"version", "created_at", "updated_at"})


_NUMBERS = (int, float, Decimal)


def _is_number_type(annotation: Any) -> bool:
    """Whether a field's type is a number (or an optional one) and not also a bool."""
    if get_origin(annotation) in (Union, types.UnionType):
        members = [a for a in get_args(annotation) if a is not type(None)]
        return bool(members) and all(_is_number_type(member) for member in members)
    if get_origin(annotation) is Annotated:
        return _is_number_type(get_args(annotation)[0])
    return (
        isinstance(annotation, type)
        and issubclass(annotation, _NUMBERS)
        and (annotation is not bool)
    )


@cache
def _number_fields(model: type[BaseModel]) -> frozenset[str]:
    return frozenset(
        name for name, info in model.model_fields.items() if _is_number_type(info.annotation)
    )


class WriteModel(BaseModel):
    """A request body: unknown fields are refused, read-only fields silently dropped, and a
    number is a JSON number: `true` for a number is a 422, not the 1 that Python (and
    pydantic's lax mode) would make of it.

    Dropping read-only fields lets a client PUT back exactly what it got from a GET.
    """

    model_config = ConfigDict(
        extra="forbid", str_strip_whitespace=False, json_schema_serialization_defaults_required=True
    )
    read_only_fields: ClassVar[frozenset[str]] = ALWAYS_READ_ONLY

    @model_validator(mode="before")
    @classmethod
    def _drop_read_only(cls, data: Any) -> Any:
        if isinstance(data, dict):
            return {k: v for k, v in data.items() if k not in cls.read_only_fields}
        return data

    @field_validator("*", mode="before")
    @classmethod
    def _no_bool_for_a_number(cls, value: Any, info: ValidationInfo) -> Any:
        if isinstance(value, bool) and info.field_name in _number_fields(cls):
            raise ValueError("must be a number, not true or false")
        return value


# Every field of an answer is sent (null when it has no value): in the document's answers
# (pydantic's serialization mode) a field with a default is still `required`, so generated
# clients need not check for a missing one.
ALWAYS_SENT = ConfigDict(json_schema_serialization_defaults_required=True)


class ReadModel(BaseModel):
    """An answer's body, or part of one: every field is always sent."""

    model_config = ConfigDict(from_attributes=True, **ALWAYS_SENT)


class VersionedRead(ReadModel):
    version: int = Field(description="Raised by one on every change; sent as the ETag.")
    created_at: datetime
    updated_at: datetime


ItemT = TypeVar("ItemT")


class Page(BaseModel, Generic[ItemT]):
    """One page of a list, ordered by key. Pass `next_cursor` back as `cursor` for more."""

    model_config = ALWAYS_SENT

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
