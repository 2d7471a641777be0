from typing import TYPE_CHECKING

from pydantic import Field

from app.components.models import Component
from app.core.identifiers import GroupName, Key, Name, Text
from app.core.schemas import VersionedRead, WriteModel, partial_model


class ComponentFields(WriteModel):
    name: Name = Field(examples=["NLU engine"])
    capability: Key | None = Field(
        default=None,
        description="The key of an existing capability (e.g. `conversational-ai`), or null.",
        examples=[None],
    )
    description: Text | None = Field(
        default=None, examples=["Understands what customers ask, in their words."]
    )
    group: GroupName | None = Field(
        default=None,
        description="The section of a sheet the component is listed under (a phase, a "
        "workstream), or null.",
        examples=["Build"],
    )


class ComponentCreate(ComponentFields):
    """A new component of the initiative in the URL. Its key is unique within the initiative.

    `initiative` may be left out; if given it must match the URL.
    """

    key: Key = Field(examples=["faq-content"])
    initiative: Key | None = Field(default=None, examples=["support-chatbot"])


class ComponentReplace(ComponentFields):
    """The whole component. `key` and `initiative` may be left out; if given they must match
    the URL."""

    key: Key | None = Field(default=None, examples=["nlu"])
    initiative: Key | None = Field(default=None, examples=["support-chatbot"])


if TYPE_CHECKING:  # mypy cannot see through a generated model
    ComponentPatch = ComponentFields
else:
    ComponentPatch = partial_model(
        ComponentFields, "ComponentPatch", doc="A JSON merge patch of a component's fields."
    )


class ComponentRead(VersionedRead):
    initiative: str = Field(description="The initiative's key.", examples=["support-chatbot"])
    key: str = Field(examples=["nlu"])
    name: str = Field(examples=["NLU engine"])
    capability: str | None = Field(default=None, examples=["conversational-ai"])
    description: str | None = None
    group: str | None = None

    @classmethod
    def of(cls, initiative_key: str, component: Component) -> "ComponentRead":
        """The component as the API shows it, with the key of the initiative it belongs to."""
        return cls(
            initiative=initiative_key,
            key=component.key,
            name=component.name,
            capability=component.capability,
            description=component.description,
            group=component.group,
            version=component.version,
            created_at=component.created_at,
            updated_at=component.updated_at,
        )
