"""Wire types for outgoing webhook endpoints and their delivery log. The signing secret appears
once, in `EndpointCreatedBody.secret`."""

from __future__ import annotations

from typing import Annotated

import msgspec

from application.webhooks import SECRET_PREFIX, EndpointChange, RegisteredEndpoint
from domain.webhooks import WebhookEndpoint
from infrastructure.webhooks.deliveries import AttemptRow
from interfaces.http.edge.responses import iso
from interfaces.http.schemas.vocabulary import EndpointStatus
from interfaces.http.schemas.wire import Body, EndpointId, EventId, Request, Timestamp
from projections.webhook_endpoints.view import EndpointRow


class CreateEndpointRequest(Request):
    url: str
    events: list[str] | None = None
    description: str | None = None


class ReplayRequest(Request):
    from_position: int


class EndpointBody(Body):
    id: EndpointId
    url: str
    events: list[str]
    description: str | None
    status: EndpointStatus
    masked_secret: str
    disabled_reason: str | None
    created_at: Timestamp | None
    updated_at: Timestamp | None


class EndpointCreatedBody(Body):
    id: EndpointId
    url: str
    events: list[str]
    description: str | None
    status: EndpointStatus
    secret: str
    created_at: Timestamp | None


def endpoint_created_body(registered: RegisteredEndpoint) -> EndpointCreatedBody:
    endpoint = registered.endpoint
    return EndpointCreatedBody(
        id=endpoint.public_id,
        url=endpoint.url,
        events=list(endpoint.event_types),
        description=endpoint.description,
        status=endpoint.status,
        secret=registered.secret,
        created_at=iso(endpoint.created_on),
    )


def endpoint_body(endpoint: WebhookEndpoint) -> EndpointBody:
    return EndpointBody(
        id=endpoint.public_id,
        url=endpoint.url,
        events=list(endpoint.event_types),
        description=endpoint.description,
        status=endpoint.status,
        masked_secret=f"{SECRET_PREFIX}…{endpoint.secret_hint}",
        disabled_reason=endpoint.disabled_reason,
        created_at=iso(endpoint.created_on),
        updated_at=iso(endpoint.modified_on),
    )


def endpoint_row_body(row: EndpointRow) -> EndpointBody:
    return EndpointBody(
        id=row.endpoint_id,
        url=row.url,
        events=list(row.event_types),
        description=row.description,
        status=row.status,
        masked_secret=f"{SECRET_PREFIX}…{row.secret_hint}",
        disabled_reason=row.disabled_reason,
        created_at=iso(row.created_at),
        updated_at=iso(row.updated_at),
    )


class EndpointChangedBody(Body):
    id: EndpointId
    status: EndpointStatus


def endpoint_changed_body(change: EndpointChange) -> EndpointChangedBody:
    return EndpointChangedBody(id=change.endpoint.public_id, status=change.endpoint.status)


class ReplayAcceptedBody(Body):
    id: EndpointId
    status: EndpointStatus
    from_position: int
    until_position: int


class DeliveryAttemptBody(Body):
    delivery_id: str
    event_id: EventId
    position: int
    attempt: int
    outcome: str
    status_code: int | None
    error: str | None
    duration_ms: int | None
    attempted_at: Timestamp | None


def delivery_attempt_body(row: AttemptRow) -> DeliveryAttemptBody:
    return DeliveryAttemptBody(
        delivery_id=row.delivery_id,
        event_id=row.event_id,
        position=row.position,
        attempt=row.attempt,
        outcome=row.outcome,
        status_code=row.status_code,
        error=row.error,
        duration_ms=row.duration_ms,
        attempted_at=iso(row.attempted_at),
    )


class TrustlessWorkNotificationData(msgspec.Struct):
    contract_id: str | None = None
    order_id: str | None = None
    status: str | None = None
    amount: str | None = None
    currency: str | None = None
    buyer_address: str | None = None
    seller_address: str | None = None
    transaction_hash: str | None = None
    milestone_ref: str | None = None
    created_at: str | None = None
    updated_at: str | None = None


class TrustlessWorkNotification(msgspec.Struct):
    """What Trustless Work posts (snake_case, as it sends it); any JSON object is recorded."""

    type: Annotated[str, msgspec.Meta(examples=["escrow.funded"])]
    event_id: Annotated[str, msgspec.Meta(examples=["evt_tw_8f2c"])]
    data: TrustlessWorkNotificationData | None = None


class WebhookReceivedBody(Body):
    id: str
    received: bool
    duplicate: bool
