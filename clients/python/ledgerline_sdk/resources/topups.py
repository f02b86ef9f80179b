"""Top-ups through the fiat ramp (AirTM).

The asynchronous twin of this module is made from it by `clients/python/unasync.py`.
"""

from __future__ import annotations

from collections.abc import Iterator

from ledgerline_sdk import models as m
from ledgerline_sdk.resources._base import _body, _Resource
from ledgerline_sdk.transport import Call, Page, page_of


class TopUps(_Resource):
    """Fiat top-ups through AirTM (when the service runs with the AirTM provider)."""

    def create(
        self,
        user_id: str,
        amount: str,
        *,
        description: str | None = None,
        wait_s: float | None = None,
        idempotency_key: str | None = None,
    ) -> m.TopUp:
        """Starts a top-up; with `wait_s` it returns once the payin exists, with the
        `confirmation_uri` the user must visit to confirm it."""
        body = _body(userId=user_id, amount=amount, description=description)
        call = Call(
            "POST", "/topups", m.TopUp, body=body, wait_s=wait_s, idempotency_key=idempotency_key
        )
        return self._send(call)

    def get(self, topup_id: str) -> m.TopUp:
        return self._send(Call("GET", f"/topups/{topup_id}", m.TopUp))

    def list(
        self,
        *,
        user_id: str | None = None,
        status: str | None = None,
        limit: int | None = None,
        cursor: str | None = None,
    ) -> Page[m.TopUp]:
        params = {"userId": user_id, "status": status, "limit": limit, "cursor": cursor}
        return self._send(page_of("/topups", m.TopUp, params))

    def iterate(
        self, *, user_id: str | None = None, status: str | None = None, limit: int | None = None
    ) -> Iterator[m.TopUp]:
        cursor = None
        while True:
            page = self.list(user_id=user_id, status=status, limit=limit, cursor=cursor)
            yield from page.items
            if not page.has_more:
                return
            cursor = page.next_cursor

    def refresh(self, topup_id: str, *, idempotency_key: str | None = None) -> m.TopUp:
        """Asks AirTM where the payin is now and applies it (crediting once if it succeeded)."""
        path = f"/topups/{topup_id}/refresh"
        return self._send(Call("POST", path, m.TopUp, idempotency_key=idempotency_key))

    def cancel(
        self, topup_id: str, *, wait_s: float | None = None, idempotency_key: str | None = None
    ) -> m.TopUp:
        """Cancels a top-up the user has not confirmed yet."""
        path = f"/topups/{topup_id}/cancel"
        return self._send(
            Call("POST", path, m.TopUp, wait_s=wait_s, idempotency_key=idempotency_key)
        )
