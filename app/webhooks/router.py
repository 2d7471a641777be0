"""HTTP routes for webhook endpoints and their delivery log (admin scope; issue 21)."""

from typing import Annotated

from fastapi import APIRouter, Body, Path, Request, Response
from pydantic import StringConstraints

from app.core.http import (
    CHANGE_PROBLEMS,
    ONE_PROBLEMS,
    READ_PROBLEMS,
    WRITE_PROBLEMS,
    created_at_location,
    problems,
    set_etag,
)
from app.core.schemas import Page
from app.deps import AdminKey, IfMatchDep, PageDep, SessionDep
from app.webhooks import service
from app.webhooks.models import WebhookEndpoint
from app.webhooks.schemas import (
    DeliveryRead,
    WebhookCreate,
    WebhookCreated,
    WebhookPatch,
    WebhookRead,
)

router = APIRouter(prefix="/webhooks", tags=["webhooks"])

_ID = r"^[a-z]{2,4}_[0-9a-f]{26}$"
EndpointPath = Annotated[
    str,
    StringConstraints(pattern=_ID, max_length=40),
    Path(description="The endpoint's id.", examples=["ep_187c9a0b1c2d3e4fa1b2c3d4e5"]),
]
DeliveryPath = Annotated[
    str,
    StringConstraints(pattern=_ID, max_length=40),
    Path(description="The delivery's id.", examples=["dlv_187c9a0b1c2d3e4fa1b2c3d4e5"]),
]


def _allow_private(request: Request) -> bool:
    return bool(request.app.state.settings.webhook_allow_private)


def _read(endpoint: WebhookEndpoint) -> WebhookRead:
    return WebhookRead.model_validate(endpoint)


def _delivery(row: service.DeliveryRow) -> DeliveryRead:
    delivery, event_type = row
    return DeliveryRead.model_validate(
        {
            **{
                name: getattr(delivery, name)
                for name in DeliveryRead.model_fields
                if name != "event_type"
            },
            "event_type": event_type,
        }
    )


@router.post(
    "", status_code=201, summary="Register a webhook endpoint", responses=problems(*WRITE_PROBLEMS)
)
def create_webhook(
    body: WebhookCreate, session: SessionDep, _: AdminKey, request: Request, response: Response
) -> WebhookCreated:
    """A new endpoint receiving `events`, routed by RACI letter to `roles` when given
    (README, "Webhooks"). The answer carries the signing `secret` (`whsec_...`), shown this
    once. 422 naming the `url` when it is not http(s), does not resolve, or resolves to a
    private, loopback or link-local address (unless `RACI_WEBHOOK_ALLOW_PRIVATE=true`), or
    naming a role that does not exist."""
    endpoint, secret = service.create_endpoint(session, body, allow_private=_allow_private(request))
    created_at_location(response, f"/webhooks/{endpoint.id}", endpoint.version)
    response.headers["Cache-Control"] = "no-store"
    return WebhookCreated.model_validate({**_read(endpoint).model_dump(), "secret": secret})


@router.get("", summary="List webhook endpoints", responses=problems(*READ_PROBLEMS))
def list_webhooks(session: SessionDep, _: AdminKey, page: PageDep) -> Page[WebhookRead]:
    """Endpoints, oldest first, a page at a time (`limit`, `cursor`). Never a secret."""
    rows, next_cursor = service.list_endpoints_page(session, page)
    return Page[WebhookRead](items=[_read(row) for row in rows], next_cursor=next_cursor)


@router.get("/{webhook_id}", summary="Get a webhook endpoint", responses=problems(*ONE_PROBLEMS))
def get_webhook(
    webhook_id: EndpointPath, session: SessionDep, _: AdminKey, response: Response
) -> WebhookRead:
    """The endpoint, with its version as the ETag; 404 when unknown."""
    endpoint = service.get_endpoint(session, webhook_id)
    set_etag(response, endpoint.version)
    return _read(endpoint)


@router.patch(
    "/{webhook_id}", summary="Change a webhook endpoint", responses=problems(*CHANGE_PROBLEMS)
)
def patch_webhook(
    webhook_id: EndpointPath,
    body: Annotated[WebhookPatch, Body(media_type="application/merge-patch+json")],
    session: SessionDep,
    _: AdminKey,
    if_match: IfMatchDep,
    request: Request,
    response: Response,
) -> WebhookRead:
    """A JSON merge patch of `url`, `events`, `roles`, `description`, `enabled`; honours
    If-Match (412). `enabled: true` re-enables an endpoint the service disabled after days
    of failures; its pending deliveries are then sent."""
    endpoint = service.patch_endpoint(
        session,
        webhook_id,
        body.model_dump(exclude_unset=True),
        if_match,
        allow_private=_allow_private(request),
    )
    set_etag(response, endpoint.version)
    return _read(endpoint)


@router.delete(
    "/{webhook_id}",
    status_code=204,
    summary="Remove a webhook endpoint",
    responses=problems(*ONE_PROBLEMS, 412),
)
def delete_webhook(
    webhook_id: EndpointPath, session: SessionDep, _: AdminKey, if_match: IfMatchDep
) -> None:
    """Remove the endpoint and its delivery log; what was pending is never sent."""
    service.delete_endpoint(session, webhook_id, if_match)


@router.get(
    "/{webhook_id}/deliveries",
    summary="List an endpoint's deliveries",
    responses=problems(*ONE_PROBLEMS),
)
def list_deliveries(
    webhook_id: EndpointPath, session: SessionDep, _: AdminKey, page: PageDep
) -> Page[DeliveryRead]:
    """The delivery log, oldest first: each event's id (`webhook-id`) and type, the
    attempts made, the last status code (null: no answer) and error, when the next attempt
    is due, and when it was delivered."""
    rows, next_cursor = service.list_deliveries_page(session, webhook_id, page)
    return Page[DeliveryRead](items=[_delivery(row) for row in rows], next_cursor=next_cursor)


@router.post(
    "/{webhook_id}/deliveries/{delivery_id}/redeliver",
    status_code=202,
    summary="Send a delivery again",
    responses=problems(*ONE_PROBLEMS, 409),
)
def redeliver(
    webhook_id: EndpointPath, delivery_id: DeliveryPath, session: SessionDep, _: AdminKey
) -> DeliveryRead:
    """Queue the delivery again, due now, whatever its state (202): the worker sends the
    same event with the same `webhook-id`. 409 while the endpoint is disabled."""
    return _delivery(service.redeliver(session, webhook_id, delivery_id))
