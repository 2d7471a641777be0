"""Request and response bodies for governance models."""

from typing import TYPE_CHECKING, Annotated, ClassVar, Self

from pydantic import AfterValidator, BaseModel, Field, StringConstraints, model_validator

from app.capabilities.schemas import Domain
from app.core.identifiers import Key, Name, RoleCode, Text, no_control_chars
from app.core.schemas import ALWAYS_READ_ONLY, VersionedRead, WriteModel, partial_model

Rationale = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=10_000),
    AfterValidator(no_control_chars),
]


class ModelOwner(WriteModel):
    """One agreed owner of a model: for one capability (`capability`) or, as a default, for
    every capability of a domain (`domain`) the model does not name; exactly one of the two."""

    capability: Key | None = Field(default=None, examples=["conversational-ai"])
    domain: Domain | None = Field(default=None, examples=[None])
    owner: RoleCode = Field(description="The role agreed to own it.", examples=["CIO"])
    rationale: Rationale = Field(
        description="Why this role owns it.",
        examples=["The CIO enables the digital channels at the back end."],
    )

    @model_validator(mode="after")
    def _one_subject(self) -> Self:
        if (self.capability is None) == (self.domain is None):
            raise ValueError("give exactly one of capability and domain")
        return self


def _distinct_subjects(owners: list[ModelOwner]) -> list[ModelOwner]:
    seen: set[tuple[str | None, str | None]] = set()
    for owner in owners:
        subject = (owner.capability, owner.domain)
        if subject in seen:
            named = owner.capability or f"domain {owner.domain}"
            raise ValueError(f"{named} is given an owner twice")
        seen.add(subject)
    return owners


Owners = Annotated[list[ModelOwner], AfterValidator(_distinct_subjects)]


class GovernanceModelFields(WriteModel):
    """A governance model's writable fields. `active` is read-only: activate a model with
    `POST /governance-models/{key}/activate`."""

    read_only_fields: ClassVar[frozenset[str]] = ALWAYS_READ_ONLY | {"active"}

    name: Name = Field(examples=["Data first"])
    description: Text | None = Field(default=None, examples=[None])
    owners: Owners = Field(default_factory=list, max_length=1_000)


class GovernanceModelCreate(GovernanceModelFields):
    """A new governance model."""

    key: Key = Field(examples=["data-first"])


class GovernanceModelReplace(GovernanceModelFields):
    """The whole model. `key` may be left out; if given it must match the URL."""

    key: Key | None = Field(default=None, examples=[None])


if TYPE_CHECKING:  # mypy cannot see through a generated model
    GovernanceModelPatch = GovernanceModelFields
else:
    GovernanceModelPatch = partial_model(
        GovernanceModelFields,
        "GovernanceModelPatch",
        doc="A JSON merge patch of a governance model's fields (`owners` is replaced whole).",
    )


class ModelOwnerRead(BaseModel):
    capability: str | None
    domain: str | None
    owner: str
    rationale: str


class GovernanceModelRead(VersionedRead):
    key: str = Field(examples=["cdo-beside"])
    name: str
    description: str | None = None
    owners: list[ModelOwnerRead]
    active: bool = Field(description="Its owners are the capabilities' agreed owners.")


class OwnerChange(BaseModel):
    """A capability whose agreed owner (or its rationale) activating the model changes."""

    capability: str
    before: str | None
    after: str
    rationale: str


class ActivationResult(BaseModel):
    """What `activate` did: the model, now active, and the capabilities it changed (empty
    when it was active already and nobody changed an owner since)."""

    model: GovernanceModelRead
    changed: list[OwnerChange]
