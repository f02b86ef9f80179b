"""Where loops that follow an external feed (Horizon's payments) remember how far they got, so a
restart resumes exactly there: nothing that happened while the loop was down is missed."""

from __future__ import annotations

from typing import Any


class FeedCursors:
    def __init__(self, pool: Any) -> None:
        self._pool = pool

    def get(self, name: str) -> str | None:
        with self._pool.connection() as conn:
            row = conn.execute(
                "SELECT cursor FROM feed_cursors WHERE name = %s", (name,)
            ).fetchone()
        return None if row is None else str(row["cursor"])

    def save(self, name: str, cursor: str) -> None:
        with self._pool.connection() as conn:
            conn.execute(
                "INSERT INTO feed_cursors (name, cursor) VALUES (%s, %s) ON CONFLICT (name)"
                " DO UPDATE SET cursor = EXCLUDED.cursor, updated_at = now()",
                (name, cursor),
            )
