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


class RuleSettingDocument(WriteModel):
    """A rule's settings in an import document (and the export): whether it is on, and the
    severity its findings carry."""

    code: RuleCode = Field(examples=["MULTIPLE_ACCOUNTABLE"])
    enabled: bool = Field(default=True, strict=True)
    severity: Severity | None = Field(
        default=None, description="Null: the rule's default severity.", examples=["low"]
    )


class RuleRead(VersionedRead):
    code: RuleCode = Field(examples=["UNOWNED_COMPONENT"])
    title: str = Field(examples=["Unowned component"])
    description: str = Field(description="What the rule looks for and why it matters.")
    default_severity: Severity
    enabled: bool
    severity: Severity
