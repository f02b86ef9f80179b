"""Queries over deposits."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from projections.pagination import Page, check_limit, decode_cursor, page_of


@dataclass(frozen=True, slots=True)
class DepositRow:
    deposit_id: str
    user_id: str
    address: str
    from_address: str
    amount_stroops: int
    currency: str
    transaction_hash: str
    operation_id: str
    chain_time: datetime | None
    credited_at: datetime
    position: int


_COLUMNS = ", ".join(DepositRow.__dataclass_fields__)


class DepositsView:
    def __init__(self, pool: Any) -> None:
        self._pool = pool

    def list(self, user_id: str | None, limit: int | None, cursor: str | None) -> Page[DepositRow]:
        """Newest first, optionally for one user."""
        limit = check_limit(limit)
        before = decode_cursor(cursor)
        with self._pool.connection() as conn:
            rows = conn.execute(
                f"SELECT {_COLUMNS} FROM rm_deposits.deposits"  # noqa: S608
                " WHERE (%(user)s::text IS NULL OR user_id = %(user)s)"
                " AND (%(before)s::bigint IS NULL OR position < %(before)s)"
                " ORDER BY position DESC LIMIT %(limit)s",
                {"user": user_id, "before": before, "limit": limit + 1},
            ).fetchall()
        return page_of([DepositRow(**r) for r in rows], limit, lambda r: r.position)
