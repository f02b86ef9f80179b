"""Deposits that arrived on chain.

The asynchronous twin of this module is made from it by `clients/python/unasync.py`.
"""

from __future__ import annotations

from collections.abc import Iterator

from ledgerline_sdk import models as m
from ledgerline_sdk.resources._base import _Resource
from ledgerline_sdk.transport import Page, page_of


class Deposits(_Resource):
    def list(
        self, *, user_id: str | None = None, limit: int | None = None, cursor: str | None = None
    ) -> Page[m.Deposit]:
        params = {"userId": user_id, "limit": limit, "cursor": cursor}
        return self._send(page_of("/deposits", m.Deposit, params))

    def iterate(
        self, *, user_id: str | None = None, limit: int | None = None
    ) -> Iterator[m.Deposit]:
        cursor = None
        while True:
            page = self.list(user_id=user_id, limit=limit, cursor=cursor)
            yield from page.items
            if not page.has_more:
                return
            cursor = page.next_cursor
