"""Queries over anchors of the audit chain (newest first, paginated by position)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from domain.audit_anchors import ANCHORED
from projections.pagination import Page, check_limit, decode_cursor, page_of

PARKED: Final = "PARKED"

_COLUMNS = (
    "anchor_position, anchor_id, head_hash, balances_root, balances_sum_stroops, signer, status,"
    " transaction_hash, stellar_ledger, parked_step, park_reason, started_at, anchored_at,"
    " updated_at, position"
)


@dataclass(frozen=True, slots=True)
class AnchorRow:
    anchor_position: int
    anchor_id: str
    head_hash: str
    balances_root: str
    balances_sum_stroops: int
    signer: str
    status: str
    transaction_hash: str | None
    stellar_ledger: int | None
    parked_step: str | None
    park_reason: str | None
    started_at: datetime
    anchored_at: datetime | None
    updated_at: datetime
    position: int

    @property
    def shown_status(self) -> str:
        """STARTED, PARKED (its step waits for an operator) or ANCHORED."""
        return PARKED if self.parked_step and self.status != ANCHORED else self.status

    @property
    def is_anchored(self) -> bool:
        return self.status == ANCHORED


class AuditAnchorsView:
    def __init__(self, pool: Any) -> None:
        self._pool = pool

    def page(self, limit: int | None, cursor: str | None = None) -> Page[AnchorRow]:
        """Anchors, newest first; `cursor` continues after the last one shown."""
        limit = check_limit(limit)
        before = decode_cursor(cursor) if cursor else None
        with self._pool.connection() as conn:
            rows = conn.execute(
                f"SELECT {_COLUMNS} FROM rm_audit_anchors.anchors"  # noqa: S608
                " WHERE %(before)s::bigint IS NULL OR anchor_position < %(before)s"
                " ORDER BY anchor_position DESC LIMIT %(limit)s",
                {"before": before, "limit": limit + 1},
            ).fetchall()
        return page_of([_row(r) for r in rows], limit, lambda r: r.anchor_position)

    def latest(self) -> AnchorRow | None:
        """The anchor of the highest position, whatever its status."""
        with self._pool.connection() as conn:
            row = conn.execute(
                f"SELECT {_COLUMNS} FROM rm_audit_anchors.anchors"  # noqa: S608
                " ORDER BY anchor_position DESC LIMIT 1"
            ).fetchone()
        return None if row is None else _row(row)

    def anchored(self) -> list[AnchorRow]:
        """Every anchor on chain, oldest first (what `audit verify --anchors` checks)."""
        with self._pool.connection() as conn:
            rows = conn.execute(
                f"SELECT {_COLUMNS} FROM rm_audit_anchors.anchors"  # noqa: S608
                " WHERE status = %s ORDER BY anchor_position",
                (ANCHORED,),
            ).fetchall()
        return [_row(r) for r in rows]


def _row(row: dict[str, Any]) -> AnchorRow:
    return AnchorRow(**{**row, "balances_sum_stroops": int(row["balances_sum_stroops"])})
