"""Queries over users, with their balances joined in."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from domain.users import UserNotFoundError
from projections.pagination import Page, check_limit, decode_cursor, page_of


@dataclass(frozen=True, slots=True)
class UserRow:
    user_id: str
    external_user_id: str
    email: str | None
    user_type: str
    status: str
    available_stroops: int
    reserved_stroops: int
    currency: str
    created_at: datetime
    updated_at: datetime
    position: int
    wallet_address: str | None
    wallet_status: str | None


_SELECT = (
    "SELECT u.user_id, u.external_user_id, u.email, u.type AS user_type, u.status,"
    " coalesce(b.available_stroops, 0) AS available_stroops,"
    " coalesce(b.reserved_stroops, 0) AS reserved_stroops,"
    " coalesce(b.currency, %(currency)s) AS currency, u.created_at,"
    " greatest(u.updated_at, b.updated_at) AS updated_at, u.position,"
    " w.address AS wallet_address, w.status AS wallet_status"
    " FROM rm_users.users u LEFT JOIN rm_balances.balances b ON b.user_id = u.user_id"
    " LEFT JOIN rm_wallets.wallets w ON w.user_id = u.user_id"
)


class UsersView:
    def __init__(self, pool: Any, currency: str) -> None:
        self._pool = pool
        self._currency = currency

    def get(self, user_id: str) -> UserRow:
        with self._pool.connection() as conn:
            row = conn.execute(
                _SELECT + " WHERE u.user_id = %(user_id)s",
                {"user_id": user_id, "currency": self._currency},
            ).fetchone()
        if row is None:
            raise UserNotFoundError("user not found", userId=user_id)
        return UserRow(**row)

    def list(self, limit: int | None, cursor: str | None) -> Page[UserRow]:
        """Newest first."""
        limit = check_limit(limit)
        before = decode_cursor(cursor)
        with self._pool.connection() as conn:
            rows = conn.execute(
                _SELECT + " WHERE %(before)s::bigint IS NULL OR u.position < %(before)s"
                " ORDER BY u.position DESC LIMIT %(limit)s",
                {"before": before, "limit": limit + 1, "currency": self._currency},
            ).fetchall()
        return page_of([UserRow(**r) for r in rows], limit, lambda r: r.position)
