"""The API's resources for the asynchronous client: made from `resources/webhook_endpoints.py` by
`clients/python/unasync.py`. Do not edit: edit `resources/webhook_endpoints.py` and run
`python clients/python/unasync.py`.
"""

from __future__ import annotations

import builtins

from ledgerline_sdk import models as m
from ledgerline_sdk.async_resources._base import _body, _Resource
from ledgerline_sdk.transport import Call, Page, page_of


class WebhookEndpoints(_Resource):
    async def create(
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
        return await self._send(call)

    async def get(self, endpoint_id: str) -> m.WebhookEndpoint:
        return await self._send(
            Call("GET", f"/webhooks/endpoints/{endpoint_id}", m.WebhookEndpoint)
        )

    async def list(
        self, *, limit: int | None = None, cursor: str | None = None
    ) -> Page[m.WebhookEndpoint]:
        params = {"limit": limit, "cursor": cursor}
        call = page_of("/webhooks/endpoints", m.WebhookEndpoint, params)
        return await self._send(call)

    async def delete(
        self, endpoint_id: str, *, idempotency_key: str | None = None
    ) -> m.WebhookEndpointChange:
        path = f"/webhooks/endpoints/{endpoint_id}"
        return await self._send(
            Call("DELETE", path, m.WebhookEndpointChange, idempotency_key=idempotency_key)
        )

    async def replay(
        self, endpoint_id: str, from_position: int, *, idempotency_key: str | None = None
    ) -> m.ReplayAccepted:
        body = {"fromPosition": from_position}
        path = f"/webhooks/endpoints/{endpoint_id}/replay"
        return await self._send(
            Call("POST", path, m.ReplayAccepted, body=body, idempotency_key=idempotency_key)
        )
