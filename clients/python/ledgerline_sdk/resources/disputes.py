"""Disputes of orders: opened, read, assigned, resolved.

The asynchronous twin of this module is made from it by `clients/python/unasync.py`.
"""

from __future__ import annotations

from ledgerline_sdk import models as m
from ledgerline_sdk.resources._base import _body, _Resource
from ledgerline_sdk.transport import Call, Page, page_of


class Disputes(_Resource):
    def get(self, dispute_id: str) -> m.Dispute:
        return self._send(Call("GET", f"/disputes/{dispute_id}", m.Dispute))

    def list(
        self,
        *,
        order_id: str | None = None,
        status: str | None = None,
        opened_by: str | None = None,
        limit: int | None = None,
        cursor: str | None = None,
    ) -> Page[m.Dispute]:
        params = {
            "orderId": order_id,
            "status": status,
            "openedBy": opened_by,
            "limit": limit,
            "cursor": cursor,
        }
        return self._send(page_of("/disputes", m.Dispute, params))

    def assign(
        self, dispute_id: str, assigned_to: str, *, idempotency_key: str | None = None
    ) -> m.Dispute:
        """Puts the dispute under review (support scope)."""
        body = {"assignedTo": assigned_to}
        path = f"/disputes/{dispute_id}/assign"
        return self._send(Call("POST", path, m.Dispute, body=body, idempotency_key=idempotency_key))

    def resolve(
        self,
        dispute_id: str,
        decision: str,
        *,
        release_amount: str | None = None,
        refund_amount: str | None = None,
        note: str | None = None,
        wait_s: float | None = None,
        idempotency_key: str | None = None,
    ) -> m.Dispute:
        """FULL_RELEASE, FULL_REFUND, or SPLIT with both amounts (support scope)."""
        body = _body(
            decision=decision, releaseAmount=release_amount, refundAmount=refund_amount, note=note
        )
        path = f"/disputes/{dispute_id}/resolve"
        call = Call(
            "POST", path, m.Dispute, body=body, wait_s=wait_s, idempotency_key=idempotency_key
        )
        return self._send(call)
