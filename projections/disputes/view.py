"""Queries over disputes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from domain.disputes import DISPUTE_STATES
from domain.errors import ValidationError
from domain.order_states import OPENERS
from projections.pagination import Page, check_limit, decode_cursor, page_of


@dataclass(frozen=True, slots=True)
class DisputeRow:
    dispute_id: str
    order_id: str
    buyer_id: str
    seller_id: str
    opened_by: str
    reason: str
    evidence: list[str]
    status: str
    assigned_to: str | None
    decision: str | None
    decision_note: str | None
    release_stroops: int | None
    refund_stroops: int | None
    seller_net_stroops: int | None
    buyer_net_stroops: int | None
    resolved_at: datetime | None
    created_at: datetime
    updated_at: datetime
    position: int
    created_position: int


_COLUMNS = ", ".join(DisputeRow.__dataclass_fields__)


class DisputesView:
    def __init__(self, pool: Any) -> None:
        self._pool = pool

    def list(
        self,
        order_id: str | None,
        status: str | None,
        opened_by: str | None,
        limit: int | None,
        cursor: str | None,
    ) -> Page[DisputeRow]:
        """Newest first, optionally for one order, in one status, or opened by one side."""
        if status is not None and status not in DISPUTE_STATES:
            raise ValidationError(
                f"status must be one of {', '.join(DISPUTE_STATES)}", field="status"
            )
        if opened_by is not None and opened_by not in OPENERS:
            raise ValidationError("openedBy must be BUYER or SELLER", field="openedBy")
        limit = check_limit(limit)
        before = decode_cursor(cursor)
        with self._pool.connection() as conn:
            rows = conn.execute(
                f"SELECT {_COLUMNS} FROM rm_disputes.disputes"  # noqa: S608
                " WHERE (%(order)s::text IS NULL OR order_id = %(order)s)"
                " AND (%(status)s::text IS NULL OR status = %(status)s)"
                " AND (%(opened_by)s::text IS NULL OR opened_by = %(opened_by)s)"
                " AND (%(before)s::bigint IS NULL OR created_position < %(before)s)"
                " ORDER BY created_position DESC LIMIT %(limit)s",
                {
                    "order": order_id,
                    "status": status,
                    "opened_by": opened_by,
                    "before": before,
                    "limit": limit + 1,
                },
            ).fetchall()
        return page_of([DisputeRow(**r) for r in rows], limit, lambda r: r.created_position)
