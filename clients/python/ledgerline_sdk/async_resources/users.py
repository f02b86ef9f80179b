"""The API's resources for the asynchronous client: made from `resources/users.py` by
`clients/python/unasync.py`. Do not edit: edit `resources/users.py` and run
`python clients/python/unasync.py`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

from ledgerline_sdk import models as m
from ledgerline_sdk.async_resources._base import _body, _Resource
from ledgerline_sdk.transport import Call, Page, page_of


class Users(_Resource):
    async def create(
        self,
        external_user_id: str,
        *,
        email: str | None = None,
        type: str | None = None,
        idempotency_key: str | None = None,
    ) -> m.User:
        """Creates the user, or returns the one with this external id."""
        body = _body(externalUserId=external_user_id, email=email, type=type)
        return await self._send(
            Call("POST", "/users", m.User, body=body, idempotency_key=idempotency_key)
        )

    async def get(self, user_id: str) -> m.User:
        return await self._send(Call("GET", f"/users/{user_id}", m.User, reads_models=True))

    async def link_airtm(
        self, user_id: str, email: str, *, idempotency_key: str | None = None
    ) -> m.AirtmLink:
        """Links the user to the AirTM account of `email` (fiat top-ups and withdrawals);
        linking again with the same e-mail returns the link."""
        path = f"/users/{user_id}/airtm/link"
        return await self._send(
            Call("POST", path, m.AirtmLink, body={"email": email}, idempotency_key=idempotency_key)
        )

    async def list(self, *, limit: int | None = None, cursor: str | None = None) -> Page[m.User]:
        params = {"limit": limit, "cursor": cursor}
        return await self._send(page_of("/users", m.User, params))

    async def iterate(self, *, limit: int | None = None) -> AsyncIterator[m.User]:
        cursor = None
        while True:
            page = await self.list(limit=limit, cursor=cursor)
            for item in page.items:
                yield item
            if not page.has_more:
                return
            cursor = page.next_cursor

    async def ledger(
        self,
        user_id: str,
        *,
        account: str | None = None,
        limit: int | None = None,
        cursor: str | None = None,
    ) -> Page[m.LedgerLine]:
        """Statement lines, newest first, with running balances."""
        params = {"account": account, "limit": limit, "cursor": cursor}
        path = f"/users/{user_id}/ledger"
        return await self._send(page_of(path, m.LedgerLine, params))
