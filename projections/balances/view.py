"""Queries over balances."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from domain.users import UserNotFoundError


@dataclass(frozen=True, slots=True)
class BalanceRow:
    user_id: str
    currency: str
    available_stroops: int
    reserved_stroops: int
    updated_at: datetime
    position: int


class BalancesView:
    def __init__(self, pool: Any) -> None:
        self._pool = pool

    def get(self, user_id: str) -> BalanceRow:
        with self._pool.connection() as conn:
            row = conn.execute(
                "SELECT user_id, currency, available_stroops, reserved_stroops, updated_at,"
                " position FROM rm_balances.balances WHERE user_id = %s",
                (user_id,),
            ).fetchone()
        if row is None:
            raise UserNotFoundError("user not found", userId=user_id)
        return BalanceRow(**row)
