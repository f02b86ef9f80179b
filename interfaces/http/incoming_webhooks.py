"""`POST /webhooks/trustless-work`: Trustless Work's notifications, authenticated by signature.

The signature is mandatory: `x-tw-signature` must be the hex HMAC-SHA256 of the raw body under
TRUSTLESS_WEBHOOK_SECRET, compared in constant time (401 otherwise; 503 while no secret is
configured). A notification is recorded once per `event_id` as a
`trustless_work.webhook_received` event; it is not acted on, since our escrow saga is driven by
its own calls to Trustless Work.
"""

from __future__ import annotations

import hashlib
from typing import Any, Final

import msgspec
from litestar import Controller, Request, Response, post
from litestar.params import RawBody

from application.incoming_webhooks import IncomingWebhooks
from domain.errors import ValidationError
from domain.incoming_webhooks import TRUSTLESS_WORK
from infrastructure.webhooks.signatures import (
    TRUSTLESS_WORK_HEADER,
    trustless_work_signature_valid,
)
from interfaces.http.edge.admission import SIGNATURE, scope
from interfaces.http.edge.dependencies import Provided, Respond
from interfaces.http.edge.errors import InvalidSignatureError, WebhookNotConfiguredError
from interfaces.http.edge.responses import Envelope
from interfaces.http.schemas.webhooks import WebhookReceivedBody
from interfaces.settings import Settings

# Payloads are stored in the log forever; refuse absurd nesting instead of storing it.
PAYLOAD_DEPTH_MAX: Final = 32


def notification(body: bytes) -> dict[str, Any]:
    try:
        parsed = msgspec.json.decode(body)
    except msgspec.DecodeError:
        raise ValidationError("the body must be a JSON object") from None
    if not isinstance(parsed, dict):
        raise ValidationError("the body must be a JSON object")
    if _depth(parsed) > PAYLOAD_DEPTH_MAX:
        raise ValidationError(f"the body nests deeper than {PAYLOAD_DEPTH_MAX} levels")
    return parsed


def _depth(value: Any) -> int:
    """Nesting depth, counted without recursion (the body is untrusted)."""
    deepest, pending = 0, [(value, 1)]
    while pending:
        item, level = pending.pop()
        deepest = max(deepest, level)
        if level > PAYLOAD_DEPTH_MAX:
            break
        children = (
            item.values() if isinstance(item, dict) else item if isinstance(item, list) else ()
        )
        pending.extend((child, level + 1) for child in children if isinstance(child, dict | list))
    return deepest


class IncomingWebhooksController(Controller):
    path = "/webhooks"
    tags = ["webhooks"]

    @post(
        "/trustless-work",
        opt=scope(SIGNATURE),
        sync_to_thread=True,
        status_code=200,
        operation_id="receiveTrustlessWorkWebhook",
    )
    def trustless_work(
        self,
        request: Request[Any, Any, Any],
        body: RawBody,
        incoming_webhooks: Provided[IncomingWebhooks],
        settings: Provided[Settings],
        respond: Respond,
    ) -> Response[Envelope[WebhookReceivedBody]]:
        """Records a Trustless Work notification once per `event_id` (a repeat answers
        `duplicate: true`)."""
        secret = settings.trustless_webhook_secret
        if not secret:
            raise WebhookNotConfiguredError("TRUSTLESS_WEBHOOK_SECRET is not configured")
        presented = request.headers.get(TRUSTLESS_WORK_HEADER)
        if not trustless_work_signature_valid(secret, body, presented):
            raise InvalidSignatureError(f"{TRUSTLESS_WORK_HEADER} is missing or does not match")
        received = notification(body)
        digest = hashlib.sha256(body).hexdigest()
        return respond.command(
            lambda ctx: incoming_webhooks.record(
                TRUSTLESS_WORK,
                received.get("event_id"),
                received.get("type"),
                received,
                digest,
                ctx,
            ),
            lambda receipt: WebhookReceivedBody(
                id=receipt.webhook_id, received=True, duplicate=receipt.duplicate
            ),
        )
