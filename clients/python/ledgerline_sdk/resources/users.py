"""Users: created, read, listed, and each one's ledger.

The asynchronous twin of this module is made from it by `clients/python/unasync.py`.
"""

from __future__ import annotations

from collections.abc import Iterator

from ledgerline_sdk import models as m
from ledgerline_sdk.resources._base import _body, _Resource
from ledgerline_sdk.transport import Call, Page, page_of


class Users(_Resource):
    def create(
        self,
        external_user_id: str,
        *,
        email: str | None = None,
        type: str | None = None,
        idempotency_key: str | None = None,
    ) -> m.User:
        """Creates the user, or returns the one with this external id."""
        body = _body(externalUserId=external_user_id, email=email, type=type)
        return self._send(
            Call("POST", "/users", m.User, body=body, idempotency_key=idempotency_key)
        )

    def get(self, user_id: str) -> m.User:
        return self._send(Call("GET", f"/users/{user_id}", m.User, reads_models=True))

    def link_airtm(
        self, user_id: str, email: str, *, idempotency_key: str | None = None
    ) -> m.AirtmLink:
        """Links the user to the AirTM account of `email` (fiat top-ups and withdrawals);
        linking again with the same e-mail returns the link."""
        path = f"/users/{user_id}/airtm/link"
        return self._send(
            Call("POST", path, m.AirtmLink, body={"email": email}, idempotency_key=idempotency_key)
        )

    def list(self, *, limit: int | None = None, cursor: str | None = None) -> Page[m.User]:
        params = {"limit": limit, "cursor": cursor}
        return self._send(page_of("/users", m.User, params))

    def iterate(self, *, limit: int | None = None) -> Iterator[m.User]:
        cursor = None
        while True:
            page = self.list(limit=limit, cursor=cursor)
            yield from page.items
            if not page.has_more:
                return
            cursor = page.next_cursor

    def ledger(
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
        return self._send(page_of(path, m.LedgerLine, params))
