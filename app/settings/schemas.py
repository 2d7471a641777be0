"""Request and response bodies for the governance settings."""

from pydantic import Field

from app.core.schemas import VersionedRead, WriteModel

_MAX_DAYS = 3650


class SettingsPatch(WriteModel):
    """A JSON merge patch of the settings; `null` puts a setting back to its default."""

    agreement_grace_days: int | None = Field(
        default=None,
        strict=True,
        ge=0,
        le=_MAX_DAYS,
        description="Days a cell may stay `proposed` before UNAGREED_CELL is raised.",
        examples=[14],
    )
    reconfirm_days: int | None = Field(
        default=None,
        strict=True,
        ge=1,
        le=_MAX_DAYS,
        description="Days after which an agreement is stale (STALE_AGREEMENT).",
        examples=[365],
    )
    review_due_days: int | None = Field(
        default=None,
        strict=True,
        ge=1,
        le=_MAX_DAYS,
        description="Days from a governance review's opening to its `due_on`.",
        examples=[30],
    )


class SettingsRead(VersionedRead):
    agreement_grace_days: int = Field(
        description="Days a cell may stay `proposed` before UNAGREED_CELL is raised (default 14).",
        examples=[14],
    )
    reconfirm_days: int = Field(
        description="Days after which an agreement is stale: STALE_AGREEMENT (default 365).",
        examples=[365],
    )
    review_due_days: int = Field(
        description="Days from a governance review's opening to its `due_on` (default 30).",
        examples=[30],
    )
