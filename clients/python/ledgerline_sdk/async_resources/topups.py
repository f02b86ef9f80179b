"""The API's resources for the asynchronous client: made from `resources/topups.py` by
`clients/python/unasync.py`. Do not edit: edit `resources/topups.py` and run
`python clients/python/unasync.py`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

from ledgerline_sdk import models as m
from ledgerline_sdk.async_resources._base import _body, _Resource
from ledgerline_sdk.transport import Call, Page, page_of


class TopUps(_Resource):
    """Fiat top-ups through AirTM (when the service runs with the AirTM provider)."""

    async def create(
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
        return await self._send(call)

    async def get(self, topup_id: str) -> m.TopUp:
        return await self._send(Call("GET", f"/topups/{topup_id}", m.TopUp))

    async def list(
        self,
        *,
        user_id: str | None = None,
        status: str | None = None,
        limit: int | None = None,
        cursor: str | None = None,
    ) -> Page[m.TopUp]:
        params = {"userId": user_id, "status": status, "limit": limit, "cursor": cursor}
        return await self._send(page_of("/topups", m.TopUp, params))

    async def iterate(
        self, *, user_id: str | None = None, status: str | None = None, limit: int | None = None
    ) -> AsyncIterator[m.TopUp]:
        cursor = None
        while True:
            page = await self.list(user_id=user_id, status=status, limit=limit, cursor=cursor)
            for item in page.items:
                yield item
            if not page.has_more:
                return
            cursor = page.next_cursor

    async def refresh(self, topup_id: str, *, idempotency_key: str | None = None) -> m.TopUp:
        """Asks AirTM where the payin is now and applies it (crediting once if it succeeded)."""
        path = f"/topups/{topup_id}/refresh"
        return await self._send(Call("POST", path, m.TopUp, idempotency_key=idempotency_key))

    async def cancel(
        self, topup_id: str, *, wait_s: float | None = None, idempotency_key: str | None = None
    ) -> m.TopUp:
        """Cancels a top-up the user has not confirmed yet."""
        path = f"/topups/{topup_id}/cancel"
        return await self._send(
            Call("POST", path, m.TopUp, wait_s=wait_s, idempotency_key=idempotency_key)
        )
