"""Queries over orders: the filtered list, auto-release candidates (the `DueOrders` read port),
and escrows to reconcile (`EscrowDirectory`)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from application.ports import DueOrders, EscrowDirectory
from domain.errors import ValidationError
from domain.milestones import Milestone
from domain.order_states import ORDER_STATES
from projections.pagination import Page, check_limit, decode_cursor, page_of


@dataclass(frozen=True, slots=True)
class OrderRow:
    order_id: str
    client_order_ref: str | None
    buyer_id: str
    seller_id: str
    amount_stroops: int
    currency: str
    status: str
    title: str
    description: str | None
    metadata: dict[str, Any] | None
    platform_fee_bps: int
    multi_release: bool
    milestones: list[Milestone]  # stored as their records
    escrow_id: str | None
    escrow_status: str | None
    contract_id: str | None
    escrow_balance_stroops: int
    funded_at: datetime | None
    auto_release_at: datetime | None
    dispute_id: str | None
    planned_step: str | None
    parked_step: str | None
    park_reason: str | None
    final_status: str | None
    created_at: datetime
    updated_at: datetime
    position: int
    created_position: int


@dataclass(frozen=True, slots=True)
class OrderFilter:
    buyer_id: str | None = None
    seller_id: str | None = None
    status: str | None = None
    created_after: datetime | None = None
    created_before: datetime | None = None

    def __post_init__(self) -> None:
        if self.status is not None and self.status not in ORDER_STATES:
            raise ValidationError(
                f"status must be one of {', '.join(ORDER_STATES)}", field="status"
            )


_COLUMNS = ", ".join(OrderRow.__dataclass_fields__)


class OrdersView(EscrowDirectory, DueOrders):
    def __init__(self, pool: Any) -> None:
        self._pool = pool

    def list(self, where: OrderFilter, limit: int | None, cursor: str | None) -> Page[OrderRow]:
        """Newest first. buyerId and sellerId together mean orders between the two."""
        limit = check_limit(limit)
        before = decode_cursor(cursor)
        with self._pool.connection() as conn:
            rows = conn.execute(
                f"SELECT {_COLUMNS} FROM rm_orders.orders"  # noqa: S608
                " WHERE (%(buyer)s::text IS NULL OR buyer_id = %(buyer)s)"
                " AND (%(seller)s::text IS NULL OR seller_id = %(seller)s)"
                " AND (%(status)s::text IS NULL OR status = %(status)s)"
                " AND (%(after)s::timestamptz IS NULL OR created_at > %(after)s)"
                " AND (%(until)s::timestamptz IS NULL OR created_at < %(until)s)"
                " AND (%(before)s::bigint IS NULL OR created_position < %(before)s)"
                " ORDER BY created_position DESC LIMIT %(limit)s",
                {
                    "buyer": where.buyer_id,
                    "seller": where.seller_id,
                    "status": where.status,
                    "after": where.created_after,
                    "until": where.created_before,
                    "before": before,
                    "limit": limit + 1,
                },
            ).fetchall()
        return page_of([_row(r) for r in rows], limit, lambda r: r.created_position)

    def due_for_auto_release(self, now: datetime, limit: int) -> Sequence[str]:
        """Funded orders past their auto-release deadline with nothing in flight."""
        with self._pool.connection() as conn:
            rows = conn.execute(
                "SELECT order_id FROM rm_orders.orders WHERE status = 'IN_PROGRESS'"
                " AND auto_release_at IS NOT NULL AND auto_release_at <= %s"
                " AND planned_step IS NULL AND parked_step IS NULL"
                " ORDER BY auto_release_at LIMIT %s",
                (now, limit),
            ).fetchall()
        return [r["order_id"] for r in rows]

    def escrows(self, after_position: int, limit: int) -> Sequence[OrderRow]:
        """Orders with a deployed escrow, in creation order after `after_position` (the
        reconciler pages through all of them)."""
        with self._pool.connection() as conn:
            rows = conn.execute(
                f"SELECT {_COLUMNS} FROM rm_orders.orders"  # noqa: S608
                " WHERE contract_id IS NOT NULL AND created_position > %s"
                " ORDER BY created_position LIMIT %s",
                (after_position, limit),
            ).fetchall()
        return [_row(r) for r in rows]


def _row(row: dict[str, Any]) -> OrderRow:
    return OrderRow(**{**row, "milestones": [Milestone.from_record(m) for m in row["milestones"]]})
