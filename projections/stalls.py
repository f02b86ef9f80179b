"""Stalls: a read model that cannot apply an event, named where every process can see it.

A handler that raises on an event rolls its page back, so the projection stays before that
event and retries with backoff; every other projection goes on (each has its own loop). A
retry that keeps failing is a poison event: the runner records the projection, the position
and the error here, in one table beside the log, because readiness and the metrics are served
by the API, another process. The row goes when the projection moves past that position (a
fixed handler, a rebuild).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from projections.storable import storable

# An error text is kept to this many characters: enough for the message, never a whole dump.
ERROR_TEXT_MAX: Final = 500
DDL: Final = (
    "CREATE TABLE IF NOT EXISTS projection_stalls ("
    " projection text PRIMARY KEY, position bigint NOT NULL, error text NOT NULL,"
    " since timestamptz NOT NULL DEFAULT now())"
)


class EventNotAppliedError(Exception):
    """A projection's handler raised on the event at `position` (the page was rolled back)."""

    def __init__(self, projection: str, position: int, error: Exception) -> None:
        super().__init__(f"{projection} cannot apply position {position}: {describe(error)}")
        self.projection = projection
        self.position = position
        self.error = error


@dataclass(frozen=True, slots=True)
class Stall:
    projection: str
    position: int
    error: str
    since: datetime


def describe(error: BaseException) -> str:
    """The error as one line an operator can read: its type and first line of message."""
    lines = str(error).strip().splitlines()
    text = f"{type(error).__name__}: {lines[0]}" if lines else type(error).__name__
    return text[:ERROR_TEXT_MAX]


class Stalls:
    def __init__(self, pool: Any) -> None:
        self._pool = pool

    def ensure(self) -> None:
        # Every projection loop ensures the table as it starts leading: serialised, since two
        # concurrent CREATE ... IF NOT EXISTS can still collide on the table's row type.
        with self._pool.connection() as conn, conn.transaction():
            conn.execute("SELECT pg_advisory_xact_lock(hashtext('projection_stalls'))")
            conn.execute(DDL)

    def record(self, failure: EventNotAppliedError) -> None:
        """Names the stall; `since` stays the first failure's time while the position holds."""
        with self._pool.connection() as conn:
            conn.execute(DDL)
            conn.execute(
                "INSERT INTO projection_stalls AS s (projection, position, error)"
                " VALUES (%s, %s, %s) ON CONFLICT (projection) DO UPDATE"
                " SET error = EXCLUDED.error, position = EXCLUDED.position,"
                " since = CASE WHEN s.position = EXCLUDED.position THEN s.since ELSE now() END",
                (
                    failure.projection,
                    failure.position,
                    storable(describe(failure.error)),  # it may quote an unstorable string
                ),
            )

    def clear(self, projection: str, position: int) -> None:
        """Forgets a stall of `projection` the projection has moved past (now at `position`)."""
        with self._pool.connection() as conn:
            if _exists(conn):
                conn.execute(
                    "DELETE FROM projection_stalls WHERE projection = %s AND position <= %s",
                    (projection, position),
                )

    def all(self) -> dict[str, Stall]:
        with self._pool.connection() as conn:
            if not _exists(conn):
                return {}
            rows = conn.execute(
                "SELECT projection, position, error, since FROM projection_stalls"
            ).fetchall()
        return {r["projection"]: Stall(**r) for r in rows}


def _exists(conn: Any) -> bool:
    row = conn.execute("SELECT to_regclass('projection_stalls') IS NOT NULL AS found").fetchone()
    return bool(row["found"])
