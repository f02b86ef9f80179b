"""The API's resources for the asynchronous client: made from `resources/orders.py` by
`clients/python/unasync.py`. Do not edit: edit `resources/orders.py` and run
`python clients/python/unasync.py`.
"""

from __future__ import annotations

import builtins
from collections.abc import AsyncIterator
from typing import Any

from ledgerline_sdk import models as m
from ledgerline_sdk.async_resources._base import _body, _Resource
from ledgerline_sdk.transport import Call, Page, page_of


class Orders(_Resource):
    async def create(
        self,
        buyer_id: str,
        seller_id: str,
        amount: str,
        title: str,
        *,
        client_order_ref: str | None = None,
        description: str | None = None,
        metadata: dict[str, Any] | None = None,
        platform_fee_bps: int | None = None,
        auto_release_after: int | str | None = None,
        milestones: builtins.list[dict[str, str]] | None = None,
        idempotency_key: str | None = None,
    ) -> m.Order:
        """An order; `milestones` (`{"milestoneRef", "title", "amount"}`, amounts summing to
        `amount`) make its escrow multi-release."""
        body = _body(
            buyerId=buyer_id,
            sellerId=seller_id,
            amount=amount,
            title=title,
            clientOrderRef=client_order_ref,
            description=description,
            metadata=metadata,
            platformFeeBps=platform_fee_bps,
            autoReleaseAfter=auto_release_after,
            milestones=milestones,
        )
        return await self._send(
            Call("POST", "/orders", m.Order, body=body, idempotency_key=idempotency_key)
        )

    async def get(self, order_id: str) -> m.Order:
        return await self._send(Call("GET", f"/orders/{order_id}", m.Order))

    async def list(
        self,
        *,
        buyer_id: str | None = None,
        seller_id: str | None = None,
        status: str | None = None,
        created_after: str | None = None,
        created_before: str | None = None,
        limit: int | None = None,
        cursor: str | None = None,
    ) -> Page[m.Order]:
        params = {
            "buyerId": buyer_id,
            "sellerId": seller_id,
            "status": status,
            "createdAfter": created_after,
            "createdBefore": created_before,
            "limit": limit,
            "cursor": cursor,
        }
        return await self._send(page_of("/orders", m.Order, params))

    async def iterate(
        self,
        *,
        buyer_id: str | None = None,
        seller_id: str | None = None,
        status: str | None = None,
        limit: int | None = None,
    ) -> AsyncIterator[m.Order]:
        cursor = None
        while True:
            page = await self.list(
                buyer_id=buyer_id, seller_id=seller_id, status=status, limit=limit, cursor=cursor
            )
            for item in page.items:
                yield item
            if not page.has_more:
                return
            cursor = page.next_cursor

    async def reserve(self, order_id: str, *, idempotency_key: str | None = None) -> m.Order:
        """Buyer's available → reserved (InsufficientFundsError)."""
        return await self._command(order_id, "reserve", None, None, idempotency_key)

    async def cancel(
        self, order_id: str, *, reason: str | None = None, idempotency_key: str | None = None
    ) -> m.Order:
        return await self._command(order_id, "cancel", _body(reason=reason), None, idempotency_key)

    async def create_escrow(
        self, order_id: str, *, wait_s: float | None = None, idempotency_key: str | None = None
    ) -> m.Order:
        return await self._command(order_id, "escrow", None, wait_s, idempotency_key)

    async def fund_escrow(
        self, order_id: str, *, wait_s: float | None = None, idempotency_key: str | None = None
    ) -> m.Order:
        return await self._command(order_id, "escrow/fund", None, wait_s, idempotency_key)

    async def milestones(self, order_id: str) -> builtins.list[m.Milestone]:
        path = f"/orders/{order_id}/milestones"
        return await self._send(Call("GET", path, list[m.Milestone]))

    async def complete_milestone(
        self,
        order_id: str,
        ref: str,
        *,
        wait_s: float | None = None,
        idempotency_key: str | None = None,
    ) -> m.Order:
        """The seller marks milestone `ref` done."""
        step = f"milestones/{ref}/complete"
        return await self._command(order_id, step, None, wait_s, idempotency_key)

    async def approve_milestone(
        self,
        order_id: str,
        ref: str,
        *,
        wait_s: float | None = None,
        idempotency_key: str | None = None,
    ) -> m.Order:
        """The buyer approves milestone `ref`."""
        step = f"milestones/{ref}/approve"
        return await self._command(order_id, step, None, wait_s, idempotency_key)

    async def release_milestone(
        self,
        order_id: str,
        ref: str,
        *,
        wait_s: float | None = None,
        idempotency_key: str | None = None,
    ) -> m.Order:
        """Pays milestone `ref` to the seller (multi-release)."""
        step = f"milestones/{ref}/release"
        return await self._command(order_id, step, None, wait_s, idempotency_key)

    async def release(
        self, order_id: str, *, wait_s: float | None = None, idempotency_key: str | None = None
    ) -> m.Order:
        """Pays the escrow to the seller."""
        return await self._command(order_id, "resolution/release", None, wait_s, idempotency_key)

    async def refund(
        self,
        order_id: str,
        *,
        reason: str,
        wait_s: float | None = None,
        idempotency_key: str | None = None,
    ) -> m.Order:
        """Returns the escrow to the buyer."""
        body = _body(reason=reason)
        return await self._command(order_id, "resolution/refund", body, wait_s, idempotency_key)

    async def open_dispute(
        self,
        order_id: str,
        *,
        opened_by: str,
        reason: str,
        evidence: builtins.list[str] | None = None,
        idempotency_key: str | None = None,
    ) -> m.Dispute:
        body = _body(openedBy=opened_by, reason=reason, evidence=evidence)
        path = f"/orders/{order_id}/resolution/dispute"
        return await self._send(
            Call("POST", path, m.Dispute, body=body, idempotency_key=idempotency_key)
        )

    async def _command(
        self,
        order_id: str,
        step: str,
        body: dict[str, Any] | None,
        wait_s: float | None,
        idempotency_key: str | None,
    ) -> m.Order:
        path = f"/orders/{order_id}/{step}"
        call = Call(
            "POST", path, m.Order, body=body, wait_s=wait_s, idempotency_key=idempotency_key
        )
        return await self._send(call)
