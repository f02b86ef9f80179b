"""The delivery log: every attempt to deliver a webhook, and each endpoint's run of failures.

The `DeliveryRecords` of application/webhook_deliveries.py. One row per attempt, kept for
operators (`GET /webhooks/endpoints/{id}/deliveries`) for a retention period, after which
housekeeping deletes it in batches. A delivery is identified by endpoint, event and (for a
replay) the replay, so the log also answers "was this already delivered?" and a redelivered
message posts nothing twice. An endpoint's count of consecutive exhausted deliveries resets on
its next success.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from application.webhook_deliveries import DELIVERED, EXHAUSTED, Attempt

# Rows deleted per purge statement: short transactions, so deliveries being logged never wait.
PURGE_BATCH_MAX: Final = 5_000


@dataclass(frozen=True, slots=True)
class AttemptRow:
    id: int
    delivery_id: str
    event_id: str
    position: int
    attempt: int
    outcome: str
    status_code: int | None
    error: str | None
    duration_ms: int | None
    attempted_at: datetime


_COLUMNS = ", ".join(AttemptRow.__dataclass_fields__)


class DeliveryLog:
    def __init__(self, pool: Any) -> None:
        self._pool = pool

    def delivered(self, delivery_id: str) -> bool:
        with self._pool.connection() as conn:
            row = conn.execute(
                "SELECT 1 FROM webhook_deliveries WHERE delivery_id = %s AND outcome = %s LIMIT 1",
                (delivery_id, DELIVERED),
            ).fetchone()
        return row is not None

    def record(self, attempt: Attempt) -> int:
        """Logs `attempt`; returns the endpoint's consecutive exhausted deliveries after it."""
        change = {DELIVERED: "0", EXHAUSTED: "h.failed_deliveries + 1"}.get(
            attempt.outcome, "h.failed_deliveries"
        )
        with self._pool.connection() as conn, conn.transaction():
            conn.execute(
                "INSERT INTO webhook_deliveries (delivery_id, endpoint_id, event_id, position,"
                " attempt, outcome, status_code, error, duration_ms)"
                " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)",
                (
                    attempt.delivery_id,
                    attempt.endpoint_id,
                    attempt.event_id,
                    attempt.position,
                    attempt.attempt,
                    attempt.outcome,
                    attempt.status_code,
                    attempt.error,
                    attempt.duration_ms,
                ),
            )
            row = conn.execute(
                # `change` is one of our constant expressions
                "INSERT INTO webhook_endpoint_health AS h (endpoint_id, failed_deliveries)"  # noqa: S608
                " VALUES (%s, %s) ON CONFLICT (endpoint_id) DO UPDATE"
                f" SET failed_deliveries = {change}, updated_at = now()"
                " RETURNING failed_deliveries",
                (attempt.endpoint_id, 1 if attempt.outcome == EXHAUSTED else 0),
            ).fetchone()
        return int(row["failed_deliveries"])

    def purge_older_than(self, days: int) -> int:
        """Deletes up to PURGE_BATCH_MAX attempts older than `days`, oldest first; returns how
        many. Retries never reach that far back, so no redelivery needs them any more."""
        with self._pool.connection() as conn:
            return int(
                conn.execute(
                    "DELETE FROM webhook_deliveries WHERE id IN (SELECT id FROM webhook_deliveries"
                    " WHERE attempted_at < now() - make_interval(days => %s)"
                    " ORDER BY attempted_at LIMIT %s)",
                    (days, PURGE_BATCH_MAX),
                ).rowcount
            )

    def attempts(self, endpoint_id: str, before_id: int | None, limit: int) -> list[AttemptRow]:
        """Attempts for `endpoint_id`, newest first, with ids below `before_id`."""
        with self._pool.connection() as conn:
            rows = conn.execute(
                f"SELECT {_COLUMNS} FROM webhook_deliveries"  # noqa: S608
                " WHERE endpoint_id = %(endpoint)s"
                " AND (%(before)s::bigint IS NULL OR id < %(before)s)"
                " ORDER BY id DESC LIMIT %(limit)s",
                {"endpoint": endpoint_id, "before": before_id, "limit": limit},
            ).fetchall()
        return [AttemptRow(**r) for r in rows]
