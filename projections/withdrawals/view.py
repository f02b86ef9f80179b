"""Queries over withdrawals."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from domain.withdrawals import WithdrawalNotFoundError
from projections.pagination import Page, check_limit, decode_cursor, page_of


@dataclass(frozen=True, slots=True)
class WithdrawalRow:
    withdrawal_id: str
    user_id: str
    amount_stroops: int
    currency: str
    status: str
    destination_type: str
    destination_ref: str
    description: str | None
    stellar_transaction_hash: str | None
    failure_reason: str | None
    error_code: str | None
    parked_step: str | None
    park_reason: str | None
    airtm_payout_id: str | None
    fee_stroops: int | None
    provider_fee_stroops: int | None
    net_stroops: int | None
    created_at: datetime
    updated_at: datetime
    position: int
    created_position: int


_COLUMNS = ", ".join(WithdrawalRow.__dataclass_fields__)


class WithdrawalsView:
    def __init__(self, pool: Any) -> None:
        self._pool = pool

    def get(self, withdrawal_id: str) -> WithdrawalRow:
        with self._pool.connection() as conn:
            row = conn.execute(
                f"SELECT {_COLUMNS} FROM rm_withdrawals.withdrawals"  # noqa: S608
                " WHERE withdrawal_id = %s",
                (withdrawal_id,),
            ).fetchone()
        if row is None:
            raise WithdrawalNotFoundError("withdrawal not found", withdrawalId=withdrawal_id)
        return WithdrawalRow(**row)

    def list(
        self, user_id: str | None, status: str | None, limit: int | None, cursor: str | None
    ) -> Page[WithdrawalRow]:
        """Newest first, optionally for one user and in one status."""
        limit = check_limit(limit)
        before = decode_cursor(cursor)
        with self._pool.connection() as conn:
            rows = conn.execute(
                f"SELECT {_COLUMNS} FROM rm_withdrawals.withdrawals"  # noqa: S608
                " WHERE (%(user)s::text IS NULL OR user_id = %(user)s)"
                " AND (%(status)s::text IS NULL OR status = %(status)s)"
                " AND (%(before)s::bigint IS NULL OR created_position < %(before)s)"
                " ORDER BY created_position DESC LIMIT %(limit)s",
                {"user": user_id, "status": status, "before": before, "limit": limit + 1},
            ).fetchall()
        return page_of([WithdrawalRow(**r) for r in rows], limit, lambda r: r.created_position)


class PendingFiatWithdrawals:
    """The fiat withdrawals still waiting on the provider, oldest first (a read port)."""

    def __init__(self, pool: Any) -> None:
        self._pool = pool

    def pending(self, limit: int) -> Sequence[str]:
        with self._pool.connection() as conn:
            rows = conn.execute(
                "SELECT withdrawal_id FROM rm_withdrawals.withdrawals"
                " WHERE destination_type <> 'crypto' AND status IN"
                " ('WITHDRAWAL_CREATED', 'WITHDRAWAL_COMMITTED', 'WITHDRAWAL_PENDING',"
                " 'WITHDRAWAL_PENDING_USER_ACTION') ORDER BY created_position LIMIT %s",
                (limit,),
            ).fetchall()
        return [row["withdrawal_id"] for row in rows]
