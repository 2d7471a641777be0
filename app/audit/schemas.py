from datetime import datetime
from typing import Any

from pydantic import Field

from app.core.schemas import ReadModel
from app.db.changes import AuditAction, ResourceType


class AuditEntryRead(ReadModel):
    """One change to one resource: who, when, what it was before and after."""

    id: int = Field(description="Orders the feed: later changes have larger ids.")
    at: datetime
    actor: str = Field(
        description="The name of the API key that made the change; `system` for the CLI.",
        examples=["pmo-tool"],
    )
    action: AuditAction
    resource_type: ResourceType
    resource_key: str = Field(
        description="The resource's public address: `CMO`, `support-chatbot`, "
        "`support-chatbot/nlu` (component), `support-chatbot/nlu/CIO` (RACI cell), "
        "`csat/2026-10-31T00:00:00Z` (measurement).",
        examples=["support-chatbot/nlu/CIO"],
    )
    before: dict[str, Any] | None = Field(
        description="The public fields before the change; null for a create."
    )
    after: dict[str, Any] | None = Field(
        description="The public fields after the change; null for a delete."
    )


class AuditPage(ReadModel):
    """One page of the change feed. Page through with `next_cursor` until it is null, like
    every list; keep `resume_token` to poll for later changes."""

    items: list[AuditEntryRead]
    next_cursor: str | None = Field(
        description="The next page of the entries there are now; null on the last page."
    )
    resume_token: str = Field(
        description="Never null: continues after the last entry of this page (or where the "
        "given cursor was, if the page is empty). Pass it as `cursor` later to get the "
        "changes made since, each exactly once, in order."
    )
    has_more: bool = Field(
        description="True when more entries already wait (`next_cursor` is set); false when "
        "you are caught up."
    )
