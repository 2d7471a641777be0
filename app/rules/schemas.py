"""Request and response bodies for the findings rules."""

from pydantic import Field

from app.core.schemas import VersionedRead, WriteModel
from app.rules.catalog import RuleCode, Severity


class RulePatch(WriteModel):
    """A JSON merge patch of a rule's settings. `null` puts a field back to its default."""

    enabled: bool | None = Field(
        default=None,
        strict=True,
        description="False switches the rule off: it produces no findings.",
    )
    severity: Severity | None = Field(
        default=None, description="The severity its findings carry.", examples=["low"]
    )


class RuleRead(VersionedRead):
    code: RuleCode = Field(examples=["UNOWNED_COMPONENT"])
    title: str = Field(examples=["Unowned component"])
    description: str = Field(description="What the rule looks for and why it matters.")
    default_severity: Severity
    enabled: bool
    severity: Severity
