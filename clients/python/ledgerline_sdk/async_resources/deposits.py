"""The API's resources for the asynchronous client: made from `resources/deposits.py` by
`clients/python/unasync.py`. Do not edit: edit `resources/deposits.py` and run
`python clients/python/unasync.py`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

from ledgerline_sdk import models as m
from ledgerline_sdk.async_resources._base import _Resource
from ledgerline_sdk.transport import Page, page_of


class Deposits(_Resource):
    async def list(
        self, *, user_id: str | None = None, limit: int | None = None, cursor: str | None = None
    ) -> Page[m.Deposit]:
        params = {"userId": user_id, "limit": limit, "cursor": cursor}
        return await self._send(page_of("/deposits", m.Deposit, params))

    async def iterate(
        self, *, user_id: str | None = None, limit: int | None = None
    ) -> AsyncIterator[m.Deposit]:
        cursor = None
        while True:
            page = await self.list(user_id=user_id, limit=limit, cursor=cursor)
            for item in page.items:
                yield item
            if not page.has_more:
                return
            cursor = page.next_cursor
