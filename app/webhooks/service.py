"""Webhook endpoints (admin): register, list, change, remove; their delivery log and
manual redelivery. Sending is app.webhooks.delivery's; raising events app.webhooks.outbox's.
"""

import base64
import secrets
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.core.errors import Conflict, NotFound, Unprocessable
from app.core.pagination import PageParams, page_of, split_page
from app.core.preconditions import IfMatch
from app.db.base import utcnow
from app.db.writes import assign
from app.roles.models import Role
from app.webhooks.models import WEBHOOK_FIELDS, WebhookDelivery, WebhookEndpoint, WebhookEvent
from app.webhooks.outbox import new_id
from app.webhooks.schemas import WebhookCreate
from app.webhooks.urls import RefusedUrl, check_url

SECRET_BYTES = 24


def new_secret() -> str:
    """A Standard Webhooks signing secret: `whsec_` and 24 random bytes in base64."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


def _check_url(url: str, allow_private: bool) -> None:
    try:
        check_url(url, allow_private=allow_private)
    except RefusedUrl as refused:
        raise Unprocessable.at(["body", "url"], f"'{url}' {refused}") from None


def _check_roles(session: Session, roles: Sequence[str]) -> None:
    if not roles:
        return
    known = set(session.scalars(select(Role.code).where(Role.code.in_(roles))))
    errors = [
        {"loc": ["body", "roles", index], "msg": f"names no role: '{code}'"}
        for index, code in enumerate(roles)
        if code not in known
    ]
    if errors:
        unknown = ", ".join(code for code in roles if code not in known)
        raise Unprocessable(f"roles names no role: {unknown}", errors)


def create_endpoint(
    session: Session, data: WebhookCreate, *, allow_private: bool
) -> tuple[WebhookEndpoint, str]:
    """A new enabled endpoint and its secret (the caller shows it once). 422 for a URL that
    is not http(s), does not resolve, or resolves to a private, loopback or link-local
    address (unless `allow_private`), and for a role that does not exist."""
    _check_url(data.url, allow_private)
    _check_roles(session, data.roles)
    secret = new_secret()
    endpoint = WebhookEndpoint(
        id=new_id("ep"),
        url=data.url,
        description=data.description,
        events=list(data.events),
        roles=list(data.roles),
        enabled=True,
        secret=secret,
    )
    session.add(endpoint)
    session.flush()
    return endpoint, secret


def list_endpoints(session: Session) -> Sequence[WebhookEndpoint]:
    """Every endpoint, oldest first (the command line's list)."""
    return session.scalars(select(WebhookEndpoint).order_by(WebhookEndpoint.id)).all()


def list_endpoints_page(
    session: Session, page: PageParams
) -> tuple[list[WebhookEndpoint], str | None]:
    """One page of endpoints, oldest first, and the next page's cursor (None on the last)."""
    rows = list(session.scalars(page_of(select(WebhookEndpoint), WebhookEndpoint.id, page)))
    return split_page(rows, page, lambda endpoint: endpoint.id)


def get_endpoint(session: Session, endpoint_id: str) -> WebhookEndpoint:
    """The endpoint, or 404."""
    endpoint = session.get(WebhookEndpoint, endpoint_id)
    if endpoint is None:
        raise NotFound(f"No webhook endpoint '{endpoint_id}'")
    return endpoint


def patch_endpoint(
    session: Session,
    endpoint_id: str,
    patch: dict[str, Any],
    if_match: IfMatch,
    *,
    allow_private: bool,
) -> WebhookEndpoint:
    """Apply a merge patch of `url`, `events`, `roles`, `description`, `enabled` (412 on a
    stale If-Match; 422 as for a new endpoint; `events: null` is a 422). Re-enabling clears
    the failure record, so the endpoint gets the whole grace period again."""
    endpoint = get_endpoint(session, endpoint_id)
    if_match.check(endpoint.version)
    for name in ("url", "events", "enabled"):
        if name in patch and patch[name] is None:
            raise Unprocessable.at(["body", name], "may not be null")
    if "url" in patch:
        _check_url(patch["url"], allow_private)
    if patch.get("roles") is not None:
        _check_roles(session, patch["roles"])
    values = {name: patch[name] for name in WEBHOOK_FIELDS if name in patch}
    if "roles" in values and values["roles"] is None:
        values["roles"] = []
    if values.get("enabled") and not endpoint.enabled:
        values |= {"failing_since": None, "disabled_reason": None}
    assign(endpoint, values)
    session.flush()
    return endpoint


def delete_endpoint(session: Session, endpoint_id: str, if_match: IfMatch) -> None:
    """Remove the endpoint and its delivery log (pending deliveries are never sent)."""
    endpoint = get_endpoint(session, endpoint_id)
    if_match.check(endpoint.version)
    session.delete(endpoint)
    session.flush()


DeliveryRow = tuple[WebhookDelivery, str]
"""A delivery and its event's type."""


def list_deliveries_page(
    session: Session, endpoint_id: str, page: PageParams
) -> tuple[list[DeliveryRow], str | None]:
    """One page of the endpoint's deliveries, oldest first, each with its event's type."""
    get_endpoint(session, endpoint_id)
    stmt = (
        select(WebhookDelivery, WebhookEvent.type)
        .join(WebhookEvent, WebhookEvent.id == WebhookDelivery.event_id)
        .where(WebhookDelivery.endpoint_id == endpoint_id)
    )
    paged = page_of(stmt, WebhookDelivery.id, page)  # type: ignore[arg-type]
    rows = [(row[0], row[1]) for row in session.execute(paged)]
    return split_page(rows, page, lambda row: row[0].id)


def redeliver(
    session: Session, endpoint_id: str, delivery_id: str, now: datetime | None = None
) -> DeliveryRow:
    """Send the delivery again, as soon as a worker can (same `webhook-id`, so a receiver
    can tell it is the same event). 404 for an unknown delivery; 409 while the endpoint is
    disabled (enable it first)."""
    endpoint = get_endpoint(session, endpoint_id)
    row = session.execute(
        select(WebhookDelivery, WebhookEvent.type)
        .join(WebhookEvent, WebhookEvent.id == WebhookDelivery.event_id)
        .where(WebhookDelivery.endpoint_id == endpoint_id, WebhookDelivery.id == delivery_id)
    ).first()
    if row is None:
        raise NotFound(f"No delivery '{delivery_id}' to webhook endpoint '{endpoint_id}'")
    if not endpoint.enabled:
        raise Conflict(
            f"Webhook endpoint '{endpoint_id}' is disabled: PATCH it with enabled=true first"
        )
    delivery, event_type = row[0], row[1]
    assign(
        delivery,
        {
            "status": "pending",
            "next_attempt_at": now or utcnow(),
            "delivered_at": None,
        },
    )
    session.flush()
    return delivery, event_type


def replace_role(session: Session, code: str, into: str) -> None:
    """Endpoints bound to role `code` are bound to `into` instead (a role renamed or merged:
    app.renames); audited as changes of those endpoints."""
    for endpoint in session.scalars(select(WebhookEndpoint)):
        if code in endpoint.roles:
            roles = [into if role == code else role for role in endpoint.roles]
            endpoint.roles = list(dict.fromkeys(roles))
    session.flush()
