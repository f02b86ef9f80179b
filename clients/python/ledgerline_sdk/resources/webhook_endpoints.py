"""Outgoing webhook endpoints: registered, listed, replayed, deleted.

The asynchronous twin of this module is made from it by `clients/python/unasync.py`.
"""

from __future__ import annotations

import builtins

from ledgerline_sdk import models as m
from ledgerline_sdk.resources._base import _body, _Resource
from ledgerline_sdk.transport import Call, Page, page_of


class WebhookEndpoints(_Resource):
    def create(
        self,
        url: str,
        *,
        events: builtins.list[str] | None = None,
        description: str | None = None,
        idempotency_key: str | None = None,
    ) -> m.CreatedWebhookEndpoint:
        """Registers an endpoint; keep the returned `secret` to verify deliveries."""
        body = _body(url=url, events=events, description=description)
        call = Call(
            "POST",
            "/webhooks/endpoints",
            m.CreatedWebhookEndpoint,
            body=body,
            idempotency_key=idempotency_key,
        )
        return self._send(call)

    def get(self, endpoint_id: str) -> m.WebhookEndpoint:
        return self._send(Call("GET", f"/webhooks/endpoints/{endpoint_id}", m.WebhookEndpoint))

    def list(
        self, *, limit: int | None = None, cursor: str | None = None
    ) -> Page[m.WebhookEndpoint]:
        params = {"limit": limit, "cursor": cursor}
        call = page_of("/webhooks/endpoints", m.WebhookEndpoint, params)
        return self._send(call)

    def delete(
        self, endpoint_id: str, *, idempotency_key: str | None = None
    ) -> m.WebhookEndpointChange:
        path = f"/webhooks/endpoints/{endpoint_id}"
        return self._send(
            Call("DELETE", path, m.WebhookEndpointChange, idempotency_key=idempotency_key)
        )

    def replay(
        self, endpoint_id: str, from_position: int, *, idempotency_key: str | None = None
    ) -> m.ReplayAccepted:
        body = {"fromPosition": from_position}
        path = f"/webhooks/endpoints/{endpoint_id}/replay"
        return self._send(
            Call("POST", path, m.ReplayAccepted, body=body, idempotency_key=idempotency_key)
        )
