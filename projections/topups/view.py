"""Queries over top-ups; also the reconciler's read port of those still pending."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from domain.topups import AWAITING_CONFIRMATION, CREATED, PROCESSING, TopUpNotFoundError
from projections.pagination import Page, check_limit, decode_cursor, page_of


@dataclass(frozen=True, slots=True)
class TopUpRow:
    topup_id: str
    user_id: str
    provider: str
    amount_stroops: int
    currency: str
    status: str
    description: str | None
    payin_id: str | None
    confirmation_uri: str | None
    fee_stroops: int | None
    credited_stroops: int | None
    failure_reason: str | None
    cancel_requested: bool
    parked_step: str | None
    park_reason: str | None
    created_at: datetime
    updated_at: datetime
    position: int
    created_position: int


_COLUMNS = ", ".join(TopUpRow.__dataclass_fields__)
_PENDING = (CREATED, AWAITING_CONFIRMATION, PROCESSING)


class TopUpsView:
    def __init__(self, pool: Any) -> None:
        self._pool = pool

    def get(self, topup_id: str) -> TopUpRow:
        with self._pool.connection() as conn:
            row = conn.execute(
                f"SELECT {_COLUMNS} FROM rm_topups.topups WHERE topup_id = %s",  # noqa: S608
                (topup_id,),
            ).fetchone()
        if row is None:
            raise TopUpNotFoundError("top-up not found", topupId=topup_id)
        return TopUpRow(**row)

    def list(
        self, user_id: str | None, status: str | None, limit: int | None, cursor: str | None
    ) -> Page[TopUpRow]:
        """Newest first, optionally for one user and in one status."""
        limit = check_limit(limit)
        before = decode_cursor(cursor)
        with self._pool.connection() as conn:
            rows = conn.execute(
                f"SELECT {_COLUMNS} FROM rm_topups.topups"  # noqa: S608
                " WHERE (%(user)s::text IS NULL OR user_id = %(user)s)"
                " AND (%(status)s::text IS NULL OR status = %(status)s)"
                " AND (%(before)s::bigint IS NULL OR created_position < %(before)s)"
                " ORDER BY created_position DESC LIMIT %(limit)s",
                {"user": user_id, "status": status, "before": before, "limit": limit + 1},
            ).fetchall()
        return page_of([TopUpRow(**r) for r in rows], limit, lambda r: r.created_position)

    def pending(self, limit: int) -> Sequence[str]:
        with self._pool.connection() as conn:
            rows = conn.execute(
                "SELECT topup_id FROM rm_topups.topups WHERE status = ANY(%s)"
                " ORDER BY created_position LIMIT %s",
                (list(_PENDING), limit),
            ).fetchall()
        return [row["topup_id"] for row in rows]
