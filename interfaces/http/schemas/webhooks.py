"""Wire types for outgoing webhook endpoints and their delivery log. The signing secret appears
once, in `EndpointCreatedBody.secret`."""

from __future__ import annotations

from application.webhooks import SECRET_PREFIX, EndpointChange, RegisteredEndpoint
from domain.webhooks import WebhookEndpoint
from infrastructure.webhooks.deliveries import AttemptRow
from interfaces.http.edge.responses import iso
from interfaces.http.schemas.wire import Body, Request
from projections.webhook_endpoints.view import EndpointRow


class CreateEndpointRequest(Request):
    url: str
    events: list[str] | None = None
    description: str | None = None


class ReplayRequest(Request):
    from_position: int


class EndpointBody(Body):
    id: str
    url: str
    events: list[str]
    description: str | None
    status: str
    masked_secret: str
    disabled_reason: str | None
    created_at: str | None
    updated_at: str | None


class EndpointCreatedBody(Body):
    id: str
    url: str
    events: list[str]
    description: str | None
    status: str
    secret: str
    created_at: str | None


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
    id: str
    status: str


def endpoint_changed_body(change: EndpointChange) -> EndpointChangedBody:
    return EndpointChangedBody(id=change.endpoint.public_id, status=change.endpoint.status)


class ReplayAcceptedBody(Body):
    id: str
    status: str
    from_position: int
    until_position: int


class DeliveryAttemptBody(Body):
    delivery_id: str
    event_id: str
    position: int
    attempt: int
    outcome: str
    status_code: int | None
    error: str | None
    duration_ms: int | None
    attempted_at: str | None


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


class WebhookReceivedBody(Body):
    id: str
    received: bool
    duplicate: bool
