"""`POST /webhooks/trustless-work` and `POST /webhooks/airtm`: providers' notifications,
authenticated by signature (AirTM's are Svix-signed and applied; see application/airtm_notices).

The signature is mandatory: `x-tw-signature` must be the hex HMAC-SHA256 of the raw body under
TRUSTLESS_WEBHOOK_SECRET, compared in constant time (401 otherwise; 503 while no secret is
configured). A notification is recorded once per `event_id` as a
`trustless_work.webhook_received` event; it is not acted on, since our escrow saga is driven by
its own calls to Trustless Work.
"""

from __future__ import annotations

import hashlib
from typing import Annotated, Any, Final

import msgspec
from litestar import Controller, Request, Response, post
from litestar.params import HeaderParameter, RawBody

from application.airtm_notices import AirtmNotices
from application.incoming_webhooks import IncomingWebhooks
from domain.errors import ValidationError
from domain.incoming_webhooks import TRUSTLESS_WORK
from infrastructure.webhooks.signatures import (
    TRUSTLESS_WORK_HEADER,
    trustless_work_signature_valid,
)
from interfaces.http.contract.answers import raw_body
from interfaces.http.edge.admission import SIGNATURE, scope
from interfaces.http.edge.dependencies import Provided, Respond
from interfaces.http.edge.errors import InvalidSignatureError, WebhookNotConfiguredError
from interfaces.http.edge.responses import Envelope
from interfaces.http.schemas.fiat import AirtmNoticeBody
from interfaces.http.schemas.webhooks import TrustlessWorkNotification, WebhookReceivedBody
from interfaces.http.schemas.wire import STORABLE_RULE, unstorable_field
from interfaces.settings import Settings

SignatureHeader = Annotated[
    str | None,
    HeaderParameter(
        name=TRUSTLESS_WORK_HEADER,
        description="Hex HMAC-SHA256 of the raw body under TRUSTLESS_WEBHOOK_SECRET (required).",
        schema_extra={"pattern": "^[0-9a-fA-F]{64}$"},
    ),
]
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
    where = unstorable_field(parsed)  # it is stored in the log forever
    if where is not None:
        raise ValidationError(f"{where} {STORABLE_RULE}", field=where)
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
        opt=scope(SIGNATURE) | raw_body(TrustlessWorkNotification),
        sync_to_thread=True,
        status_code=200,
        operation_id="receiveTrustlessWorkWebhook",
    )
    def trustless_work(
        self,
        body: RawBody,
        signature: SignatureHeader,
        incoming_webhooks: Provided[IncomingWebhooks],
        settings: Provided[Settings],
        respond: Respond,
    ) -> Response[Envelope[WebhookReceivedBody]]:
        """Records a Trustless Work notification once per `event_id` (a repeat answers
        `duplicate: true`)."""
        secret = settings.trustless_webhook_secret
        if not secret:
            raise WebhookNotConfiguredError("TRUSTLESS_WEBHOOK_SECRET is not configured")
        if not trustless_work_signature_valid(secret, body, signature):
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

    @post(
        "/airtm",
        opt=scope(SIGNATURE),
        sync_to_thread=True,
        status_code=200,
        operation_id="receiveAirtmWebhook",
    )
    def airtm(
        self,
        request: Request[Any, Any, Any],
        body: RawBody,
        airtm_notices: Provided[AirtmNotices],
        respond: Respond,
    ) -> Response[Envelope[AirtmNoticeBody]]:
        """An AirTM webhook: its Svix signature must verify (401 INVALID_SIGNATURE otherwise,
        and there is no setting to skip it); each `svix-id` is applied once (a repeat answers
        `duplicate: true`)."""
        headers = dict(request.headers.items())
        return respond.command(
            lambda ctx: airtm_notices.receive(body, headers, ctx),
            lambda receipt: AirtmNoticeBody(
                status="ok",
                id=receipt.notice_id,
                type=receipt.event_type,
                processed=receipt.applied,
                duplicate=receipt.duplicate,
            ),
        )
