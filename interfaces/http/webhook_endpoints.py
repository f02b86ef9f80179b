"""Outgoing webhook endpoints (admin scope): register (the secret is shown once), list, show,
delete, replay from a position, and read the delivery log."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, delete, get, post
from litestar.params import FromPath, FromQuery, JSONBody

from application.webhooks import WebhookEndpoints
from domain.api_keys import ADMIN
from infrastructure.webhooks.deliveries import DeliveryLog
from interfaces.http.edge.admission import scope
from interfaces.http.edge.dependencies import Provided, Respond
from interfaces.http.edge.read_your_writes import ReadYourWrites
from interfaces.http.edge.responses import Envelope
from interfaces.http.schemas.webhooks import (
    CreateEndpointRequest,
    DeliveryAttemptBody,
    EndpointBody,
    EndpointChangedBody,
    EndpointCreatedBody,
    ReplayAcceptedBody,
    ReplayRequest,
    delivery_attempt_body,
    endpoint_body,
    endpoint_changed_body,
    endpoint_created_body,
    endpoint_row_body,
)
from projections.pagination import check_limit, decode_cursor, page_of
from projections.webhook_endpoints.view import WebhookEndpointsView


class WebhookEndpointsController(Controller):
    path = "/webhooks/endpoints"
    tags = ["webhooks"]

    @post("/", opt=scope(ADMIN), sync_to_thread=True, operation_id="createWebhookEndpoint")
    def create(
        self,
        data: JSONBody[CreateEndpointRequest],
        webhooks: Provided[WebhookEndpoints],
        respond: Respond,
    ) -> Response[Envelope[EndpointCreatedBody]]:
        """Registers an endpoint for `events` (patterns such as `balance.*`; all when omitted).
        The `secret` is shown only in this response: it signs every delivery
        (Standard Webhooks)."""
        return respond.command(
            lambda ctx: webhooks.register(data.url, data.events or [], data.description, ctx),
            endpoint_created_body,
            status=201,
        )

    @get("/", opt=scope(ADMIN), sync_to_thread=True, operation_id="listWebhookEndpoints")
    def list_endpoints(
        self,
        request: Request[Any, Any, Any],
        webhook_endpoints_view: Provided[WebhookEndpointsView],
        read_your_writes: Provided[ReadYourWrites],
        respond: Respond,
        limit: FromQuery[int | None] = None,
        cursor: FromQuery[str | None] = None,
    ) -> Response[Envelope[list[EndpointBody]]]:
        """Endpoints, newest first, with their state; secrets masked."""
        read_your_writes.wait(request, "webhook_endpoints")
        page = webhook_endpoints_view.list(limit, cursor)
        return respond.page(page, endpoint_row_body)

    @get(
        "/{endpoint_id:str}",
        opt=scope(ADMIN),
        sync_to_thread=True,
        operation_id="getWebhookEndpoint",
    )
    def get_endpoint(
        self,
        endpoint_id: FromPath[str],
        webhooks: Provided[WebhookEndpoints],
        respond: Respond,
    ) -> Response[Envelope[EndpointBody]]:
        """One endpoint, current to the last event."""
        return respond.ok(endpoint_body(webhooks.get(endpoint_id)))

    @delete(
        "/{endpoint_id:str}",
        opt=scope(ADMIN),
        sync_to_thread=True,
        status_code=200,
        operation_id="deleteWebhookEndpoint",
    )
    def delete_endpoint(
        self,
        endpoint_id: FromPath[str],
        webhooks: Provided[WebhookEndpoints],
        respond: Respond,
    ) -> Response[Envelope[EndpointChangedBody]]:
        """Deletes an endpoint; deliveries still queued for it are dropped."""
        return respond.command(
            lambda ctx: webhooks.delete(endpoint_id, ctx),
            endpoint_changed_body,
        )

    @post(
        "/{endpoint_id:str}/replay",
        opt=scope(ADMIN),
        sync_to_thread=True,
        operation_id="replayWebhookEndpoint",
    )
    def replay(
        self,
        endpoint_id: FromPath[str],
        data: JSONBody[ReplayRequest],
        webhooks: Provided[WebhookEndpoints],
        respond: Respond,
    ) -> Response[Envelope[ReplayAcceptedBody]]:
        """Delivers again every matching event from `fromPosition` up to now (202); later
        events flow as usual. Re-enables a disabled endpoint."""
        return respond.command(
            lambda ctx: webhooks.replay(endpoint_id, data.from_position, ctx),
            lambda change: ReplayAcceptedBody(
                id=change.endpoint.public_id,
                status=change.endpoint.status,
                from_position=data.from_position,
                until_position=change.position - 1,
            ),
            status=202,
        )

    @get(
        "/{endpoint_id:str}/deliveries",
        opt=scope(ADMIN),
        sync_to_thread=True,
        operation_id="listWebhookDeliveries",
    )
    def deliveries(
        self,
        endpoint_id: FromPath[str],
        webhooks: Provided[WebhookEndpoints],
        deliveries: Provided[DeliveryLog],
        respond: Respond,
        limit: FromQuery[int | None] = None,
        cursor: FromQuery[str | None] = None,
    ) -> Response[Envelope[list[DeliveryAttemptBody]]]:
        """The delivery log: every attempt for this endpoint, newest first."""
        webhooks.get(endpoint_id)  # 404 for an unknown endpoint
        count = check_limit(limit)
        rows = deliveries.attempts(endpoint_id, decode_cursor(cursor), count + 1)
        return respond.page(page_of(rows, count, lambda r: r.id), delivery_attempt_body)
