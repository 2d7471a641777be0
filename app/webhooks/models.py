"""Webhook endpoints, the outbox of events, each event's delivery to each endpoint, and the
KPI statuses last announced."""

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from app.db.base import Base, UTCDateTime, Versioned, utcnow

WEBHOOK_FIELDS = ("url", "description", "events", "roles", "enabled")
"""An endpoint's writable fields (services, audit). Never the secret."""

URL_MAX = 2000
DESCRIPTION_MAX = 500


class WebhookEndpoint(Versioned, Base):
    """A URL that receives the events it subscribed to, signed with its own secret.

    `roles` empty: every event of its types; otherwise only those routed to one of these
    roles by their RACI letters (app.webhooks.routing). `failing_since` is the first failure
    after the last success; the worker disables the endpoint once it is old enough.
    """

    __tablename__ = "webhook_endpoint"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    url: Mapped[str] = mapped_column(String(URL_MAX))
    description: Mapped[str | None] = mapped_column(String(DESCRIPTION_MAX))
    events: Mapped[list[str]] = mapped_column(JSON)
    roles: Mapped[list[str]] = mapped_column(JSON)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    # Kept in clear: signing needs it (HMAC). Shown once, never audited nor listed.
    secret: Mapped[str] = mapped_column(String(100))
    failing_since: Mapped[datetime | None] = mapped_column(UTCDateTime)
    disabled_reason: Mapped[str | None] = mapped_column(String(500))


class WebhookEvent(Base):
    """One event in the outbox, written in the transaction of the change it tells of."""

    __tablename__ = "webhook_event"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    type: Mapped[str] = mapped_column(String(64))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class WebhookDelivery(Base):
    """One event to one endpoint: `pending` until `delivered`, or `failed` when given up.

    A worker sends it only while `claimed_until` (its lease) is past, so that two workers
    never send it at once; the lease outlives the request's timeout.
    """

    __tablename__ = "webhook_delivery"
    __table_args__ = (
        UniqueConstraint("endpoint_id", "event_id"),
        Index("ix_webhook_delivery_due", "status", "next_attempt_at"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    endpoint_id: Mapped[str] = mapped_column(
        ForeignKey("webhook_endpoint.id", ondelete="CASCADE"), index=True
    )
    event_id: Mapped[str] = mapped_column(
        ForeignKey("webhook_event.id", ondelete="CASCADE"), index=True
    )
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_status_code: Mapped[int | None] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(Text)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class AnnouncedKpiStatus(Base):
    """The status of a KPI as last announced (`kpi.status_changed` tells of a difference)."""

    __tablename__ = "webhook_kpi_status"

    kpi_id: Mapped[int] = mapped_column(ForeignKey("kpi.id", ondelete="CASCADE"), primary_key=True)
    status: Mapped[str] = mapped_column(String(16))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
