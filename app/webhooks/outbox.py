"""The transactional outbox: an event is written in the transaction of the change it tells
of, with one delivery row per endpoint that receives it, so that a write that rolls back
sends nothing and a crash after the commit still sends (the worker finds the rows).

`emit` is the one way to raise an event. Call it from a service, in the request's session,
before the commit:

    emit(session, "agreement.requested", {"initiative": ..., ...},
         subject_roles={"CIO": "AR", "CMO": "C"})

Fan-out happens here, set-based: one read of the enabled endpoints, one multi-row insert of
events and one of deliveries. An event no endpoint receives is not written at all.
"""

import secrets
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.db.base import table_of, utcnow
from app.db.bulk import insert_many
from app.webhooks.models import WebhookDelivery, WebhookEndpoint, WebhookEvent
from app.webhooks.routing import EVENT_TYPES, receives, wanting_roles

DELIVERIES_QUEUED = threading.Event()
"""Set when a transaction that queued deliveries commits: wakes this process's worker, so
that a delivery leaves within milliseconds rather than at the next poll."""
_QUEUED = "raci.webhooks.queued"


def new_id(prefix: str) -> str:
    """A unique id that sorts by creation time: `prefix_` + 16 hex digits of nanoseconds +
    10 random hex digits (`msg_...` events, `ep_...` endpoints, `dlv_...` deliveries)."""
    return f"{prefix}_{time.time_ns():016x}{secrets.token_hex(5)}"


@dataclass(frozen=True)
class Subscriber:
    """An enabled endpoint as the fan-out sees it."""

    id: str
    events: list[str]
    roles: list[str]


@dataclass(frozen=True)
class Event:
    """An event to emit: its type, its `data` (JSON-ready), and the subject's cells
    (role code -> letters) that route it to endpoints bound to roles."""

    type: str
    data: dict[str, Any]
    subject_roles: Mapping[str, str] = field(default_factory=dict)


def subscribers(session: Session) -> list[Subscriber]:
    """The enabled endpoints (a small table: read whole, once per emitting transaction)."""
    rows = session.execute(
        select(WebhookEndpoint.id, WebhookEndpoint.events, WebhookEndpoint.roles).where(
            WebhookEndpoint.enabled.is_(True)
        )
    )
    return [Subscriber(id=r.id, events=list(r.events), roles=list(r.roles)) for r in rows]


def subscribed(endpoints: Sequence[Subscriber], event_type: str) -> list[Subscriber]:
    """The endpoints subscribed to `event_type` (whatever their roles)."""
    return [endpoint for endpoint in endpoints if event_type in endpoint.events]


def emit(
    session: Session,
    event_type: str,
    data: dict[str, Any],
    *,
    subject_roles: Mapping[str, str] | None = None,
) -> str | None:
    """Write one event of `event_type` (one of app.webhooks.routing.EVENT_TYPES) in the
    session's transaction; its id (`msg_...`, the `webhook-id` receivers see), or None when
    no endpoint receives it. `subject_roles` maps role codes to the letters they hold on the
    event's subject (routing table: app.webhooks.routing)."""
    ids = emit_many(session, [Event(event_type, data, dict(subject_roles or {}))])
    return ids[0] if ids else None


def emit_many(
    session: Session,
    events: Sequence[Event],
    *,
    endpoints: Sequence[Subscriber] | None = None,
    now: datetime | None = None,
) -> list[str]:
    """Write `events` and their deliveries in the session's transaction; the ids of the
    events written (those some endpoint receives). `endpoints`: the enabled endpoints when
    the caller has read them already."""
    if not events:
        return []
    unknown = {event.type for event in events} - set(EVENT_TYPES)
    if unknown:
        raise ValueError(f"unknown webhook event types: {sorted(unknown)}")
    if endpoints is None:
        endpoints = subscribers(session)
    if not endpoints:
        return []
    now = now or utcnow()
    event_rows: list[dict[str, Any]] = []
    delivery_rows: list[dict[str, Any]] = []
    for event in events:
        wanting = wanting_roles(event.type, event.subject_roles)
        targets = [e for e in endpoints if receives(event.type, e.events, e.roles, wanting)]
        if not targets:
            continue
        event_id = new_id("msg")
        event_rows.append(
            {
                "id": event_id,
                "type": event.type,
                "payload": {"type": event.type, "timestamp": _rfc3339(now), "data": event.data},
                "created_at": now,
            }
        )
        delivery_rows.extend(
            {
                "id": new_id("dlv"),
                "endpoint_id": endpoint.id,
                "event_id": event_id,
                "status": "pending",
                "attempts": 0,
                "next_attempt_at": now,
                "created_at": now,
            }
            for endpoint in targets
        )
    connection = session.connection()
    if delivery_rows:
        session.info[_QUEUED] = True
    insert_many(connection, table_of(WebhookEvent), event_rows)
    insert_many(connection, table_of(WebhookDelivery), delivery_rows)
    return [row["id"] for row in event_rows]


def after_commit(session: Session) -> None:
    """Wake the worker when the committed transaction queued deliveries."""
    if session.info.pop(_QUEUED, False):
        DELIVERIES_QUEUED.set()


def after_rollback(session: Session) -> None:
    session.info.pop(_QUEUED, None)


def _rfc3339(moment: datetime) -> str:
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")
