"""Queries over wallets; the `WalletDirectory` read port."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from application.ports import WalletDirectory
from domain.wallets import WalletNotFoundError

PAGE_SIZE: Final = 500


@dataclass(frozen=True, slots=True)
class WalletRow:
    user_id: str
    wallet_id: str
    address: str
    network: str
    status: str
    parked_step: str | None
    park_reason: str | None
    created_at: datetime
    activated_at: datetime | None
    updated_at: datetime
    position: int


_COLUMNS = (
    "user_id, wallet_id, address, network, status, parked_step, park_reason, created_at,"
    " activated_at, updated_at, position"
)


class WalletsView(WalletDirectory):
    def __init__(self, pool: Any) -> None:
        self._pool = pool

    def of_user(self, user_id: str) -> WalletRow:
        with self._pool.connection() as conn:
            row = conn.execute(
                f"SELECT {_COLUMNS} FROM rm_wallets.wallets WHERE user_id = %s",  # noqa: S608
                (user_id,),
            ).fetchone()
        if row is None:
            raise WalletNotFoundError("this user has no wallet", userId=user_id)
        return WalletRow(**row)

    def all(self) -> Iterator[WalletRow]:
        """Every wallet, page by page (bounded memory, whatever the number of wallets)."""
        after = ""
        while True:
            with self._pool.connection() as conn:
                rows = conn.execute(
                    f"SELECT {_COLUMNS} FROM rm_wallets.wallets WHERE user_id > %s"  # noqa: S608
                    " ORDER BY user_id LIMIT %s",
                    (after, PAGE_SIZE),
                ).fetchall()
            yield from (WalletRow(**r) for r in rows)
            if len(rows) < PAGE_SIZE:
                return
            after = rows[-1]["user_id"]
