"""Wire entries for webhook endpoints (internal, except a disabled endpoint) and for webhooks
providers sent us (internal: recorded for the audit trail, not acted on yet)."""

from __future__ import annotations

from typing import Any

from domain import identifiers
from domain.incoming_webhooks import IncomingWebhook
from domain.webhooks import WebhookEndpoint
from projections.event_feed.catalogue import Payload, entry, originator

WHE = identifiers.WEBHOOK_ENDPOINT
IWH = identifiers.INCOMING_WEBHOOK


@entry(
    WebhookEndpoint.Registered,
    "webhook.endpoint_created",
    "WebhookEndpoint",
    prefix=WHE,
    public=False,
)
def _registered(e: Any) -> Payload:
    return {
        "endpointId": originator(e, WHE),
        "url": e.url,
        "events": list(e.event_types),
        "description": e.description,
        "secretHint": e.secret_hint,
    }


@entry(WebhookEndpoint.Disabled, "webhook.endpoint_disabled", "WebhookEndpoint", prefix=WHE)
def _disabled(e: Any) -> Payload:
    return {
        "endpointId": originator(e, WHE),
        "url": e.url,
        "reason": e.reason,
        "failedDeliveries": e.failed_deliveries,
    }


@entry(
    WebhookEndpoint.ReplayRequested,
    "webhook.replay_requested",
    "WebhookEndpoint",
    prefix=WHE,
    public=False,
)
def _replay(e: Any) -> Payload:
    return {
        "endpointId": originator(e, WHE),
        "fromPosition": e.from_position,
        "reenabled": e.reenabled,
    }


@entry(
    WebhookEndpoint.Deleted,
    "webhook.endpoint_deleted",
    "WebhookEndpoint",
    prefix=WHE,
    public=False,
)
def _deleted(e: Any) -> Payload:
    return {"endpointId": originator(e, WHE), "url": e.url}


@entry(
    IncomingWebhook.Received,
    "trustless_work.webhook_received",
    "IncomingWebhook",
    prefix=IWH,
    public=False,
)
def _received(e: Any) -> Payload:
    return {
        "webhookId": originator(e, IWH),
        "source": e.source,
        "eventId": e.event_id,
        "type": e.event_type,
        "payload": e.payload,
        "bodySha256": e.body_sha256,
    }
