"""Request and response bodies for webhook endpoints and their delivery log."""

from datetime import datetime
from typing import Annotated

from pydantic import AfterValidator, Field, StringConstraints

from app.core.identifiers import RoleCode, ShortText
from app.core.schemas import ReadModel, VersionedRead, WriteModel
from app.webhooks.models import URL_MAX
from app.webhooks.routing import EventType

MAX_ROLES = 50


def _distinct(values: list[str]) -> list[str]:
    # Each once, in the order given: a repeated event or role means nothing more.
    return list(dict.fromkeys(values))


Url = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=URL_MAX),
    Field(examples=["https://hooks.example.com/raci"]),
]
Events = Annotated[
    list[EventType],
    Field(min_length=1, max_length=16),
    AfterValidator(_distinct),
]
Roles = Annotated[list[RoleCode], Field(max_length=MAX_ROLES), AfterValidator(_distinct)]

_EVENTS_DOC = (
    "Event types to receive (at least one): `cell.changed`, `kpi.status_changed`, "
    "`finding.opened`, `finding.resolved`, `agreement.requested`, `agreement.disputed`, "
    "`review.opened`, `review.overdue`."
)
_ROLES_DOC = (
    "Role codes to route to. Empty: every event of the chosen types. Otherwise only events "
    "where one of these roles holds the letter the event calls for on its subject: `A` for "
    "escalations, `C` for proposals, `I` for changes after the fact (README, Webhooks)."
)


class WebhookCreate(WriteModel):
    """A new endpoint. Its signing secret is made by the service and shown once."""

    url: Url
    events: Events = Field(description=_EVENTS_DOC, examples=[["cell.changed"]])
    roles: Roles = Field(default_factory=list, description=_ROLES_DOC, examples=[["CIO"]])
    description: ShortText | None = Field(default=None, examples=["CIO's Teams channel"])


class WebhookPatch(WriteModel):
    """A JSON merge patch of an endpoint. `enabled: true` re-enables one the service disabled
    (its pending deliveries resume); `roles: null` unbinds it from roles."""

    url: Url | None = None
    events: Events | None = Field(default=None, description=_EVENTS_DOC)
    roles: Roles | None = Field(default=None, description=_ROLES_DOC)
    description: ShortText | None = None
    enabled: bool | None = None


class WebhookRead(VersionedRead):
    id: str = Field(examples=["ep_187c9a0b1c2d3e4fa1b2c3d4e5"])
    url: str
    description: str | None = None
    events: list[str]
    roles: list[str]
    enabled: bool = Field(description="False once disabled (by a PATCH, or after failing).")
    disabled_reason: str | None = Field(
        default=None, description="Why the service disabled it, if it did."
    )
    failing_since: datetime | None = Field(
        default=None, description="The first failed delivery since the last success."
    )


class WebhookCreated(WebhookRead):
    secret: str = Field(
        description="The signing secret (Standard Webhooks, `whsec_` + base64). Shown this "
        "once: verify `webhook-signature` with it.",
        examples=["whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"],
    )


class DeliveryRead(ReadModel):
    """One event's delivery to the endpoint."""

    id: str = Field(examples=["dlv_187c9a0b1c2d3e4fa1b2c3d4e5"])
    event_id: str = Field(description="The `webhook-id` the receiver saw.")
    event_type: str = Field(examples=["cell.changed"])
    status: str = Field(description="`pending`, `delivered` or `failed` (given up).")
    attempts: int
    last_status_code: int | None = Field(
        default=None, description="The receiver's last answer; null when none came."
    )
    last_error: str | None = None
    last_attempt_at: datetime | None = None
    next_attempt_at: datetime | None = None
    delivered_at: datetime | None = None
    created_at: datetime
