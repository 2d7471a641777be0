"""Request and response bodies for governance reviews."""

from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, Field, StringConstraints
from typing_extensions import TypeAliasType

from app.core.identifiers import no_control_chars
from app.core.schemas import VersionedRead, WriteModel

ReviewState = TypeAliasType("ReviewState", Literal["open", "decided"])
ReviewDecisionValue = TypeAliasType(
    "ReviewDecisionValue", Literal["keep", "change_owner", "change_model", "change_target"]
)
Rationale = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=10_000),
    AfterValidator(no_control_chars),
]
WhatChanged = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=2_000),
    AfterValidator(no_control_chars),
]


class ReviewDecision(WriteModel):
    """The decision that closes a governance review."""

    decision: ReviewDecisionValue = Field(
        description="`keep` the governance model as it is; `change_owner` (the KPI's or a "
        "component's owner changes), `change_model` (the RACI or the governance model "
        "changes) or `change_target` (the KPI's target or dates change).",
        examples=["change_owner"],
    )
    rationale: Rationale = Field(
        description="Why: what the participants concluded. Required, not blank.",
        examples=["CIO takes the NLU engine from CMO; steering committee of 2026-12-02."],
    )
    what_changed: WhatChanged | None = Field(
        default=None,
        description="For `change_owner`, `change_model` and `change_target`: what was "
        "changed, e.g. the resources and audit entry ids (`GET /audit`) of the change. Kept "
        "on the review and in its audit entry.",
        examples=["raci_cell support-chatbot/nlu/CIO set to AR (audit #1842)"],
    )


class ReviewRead(VersionedRead):
    key: str = Field(
        description="Given by the service: the KPI's key and the day it opened.",
        examples=["csat-2026-11-30"],
    )
    kpi: str = Field(description="The KPI missed.", examples=["csat"])
    opened_at: datetime = Field(examples=["2026-11-30T09:12:00Z"])
    due_on: date = Field(
        description="`opened_at`'s day plus `review_due_days` (GET /settings); an open review "
        "past it is a GOVERNANCE_REVIEW_OVERDUE finding.",
        examples=["2026-12-30"],
    )
    participants: list[str] = Field(
        description="Role codes asked to decide: the KPI's owners and the sponsors of the "
        "live initiatives it serves, when the review opened.",
        examples=[["CDO", "CIO", "CMO"]],
    )
    state: ReviewState = Field(examples=["open"])
    decision: ReviewDecisionValue | None = Field(default=None, examples=[None])
    rationale: str | None = Field(default=None, examples=[None])
    what_changed: str | None = Field(default=None, examples=[None])
    decided_by: str | None = Field(
        default=None, description="The name of the API key that decided.", examples=[None]
    )
    decided_at: datetime | None = Field(default=None, examples=[None])
