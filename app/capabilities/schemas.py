"""Request and response bodies for capabilities."""

from typing import TYPE_CHECKING, Literal

from pydantic import Field
from typing_extensions import TypeAliasType

from app.core.identifiers import Key, Name, RoleCode, Text
from app.core.schemas import VersionedRead, WriteModel, partial_model

Domain = TypeAliasType(
    "Domain", Literal["marketing", "technology", "data", "experience", "operations"]
)


class CapabilityFields(WriteModel):
    name: Name = Field(examples=["Conversational AI platform"])
    domain: Domain | None = Field(default=None, examples=["technology"])
    description: Text | None = Field(
        default=None, examples=["NLU engines, dialogue management and their hosting."]
    )
    agreed_owner: RoleCode | None = Field(
        default=None,
        description="The role agreed to own this kind of work (an existing role code).",
        examples=["CIO"],
    )
    rationale: Text | None = Field(
        default=None,
        description="Why that role owns it.",
        examples=[
            "Runs on enterprise infrastructure; integration, security and uptime sit with IT."
        ],
    )


class CapabilityCreate(CapabilityFields):
    """A new capability: a kind of work recognised across initiatives."""

    key: Key = Field(examples=["conversational-ai"])


class CapabilityReplace(CapabilityFields):
    """The whole capability. `key` may be left out; if given it must match the URL."""

    key: Key | None = Field(default=None, examples=["conversational-ai"])


if TYPE_CHECKING:  # mypy cannot see through a generated model
    CapabilityPatch = CapabilityFields
else:
    CapabilityPatch = partial_model(
        CapabilityFields, "CapabilityPatch", doc="A JSON merge patch of a capability's fields."
    )


class CapabilityRead(VersionedRead):
    key: str = Field(examples=["conversational-ai"])
    name: str = Field(examples=["Conversational AI platform"])
    domain: Domain | None = Field(default=None, examples=["technology"])
    description: str | None = None
    agreed_owner: str | None = Field(default=None, examples=["CIO"])
    rationale: str | None = None
