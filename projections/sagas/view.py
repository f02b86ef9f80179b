"""Queries over sagas; the `SagasInFlight` read port."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from application.ports import SagasInFlight
from projections.pagination import Page, check_limit, decode_cursor, page_of


@dataclass(frozen=True, slots=True)
class SagaRow:
    saga_id: str
    kind: str
    user_id: str | None
    status: str
    step: str | None
    outcome: str | None
    reason: str | None
    started_at: datetime
    updated_at: datetime
    position: int


_COLUMNS = ", ".join(SagaRow.__dataclass_fields__)


class SagasView(SagasInFlight):
    def __init__(self, pool: Any) -> None:
        self._pool = pool

    def find(
        self, statuses: list[str], kind: str | None, limit: int | None, cursor: str | None
    ) -> Page[SagaRow]:
        """Sagas in `statuses`, most recently changed first."""
        limit = check_limit(limit)
        before = decode_cursor(cursor)
        with self._pool.connection() as conn:
            rows = conn.execute(
                f"SELECT {_COLUMNS} FROM rm_sagas.sagas WHERE status = ANY(%(statuses)s)"  # noqa: S608
                " AND (%(kind)s::text IS NULL OR kind = %(kind)s)"
                " AND (%(before)s::bigint IS NULL OR position < %(before)s)"
                " ORDER BY position DESC LIMIT %(limit)s",
                {"statuses": statuses, "kind": kind, "before": before, "limit": limit + 1},
            ).fetchall()
        return page_of([SagaRow(**r) for r in rows], limit, lambda r: r.position)

    def counts(self) -> dict[tuple[str, str], int]:
        """How many sagas of each (kind, status) there are."""
        with self._pool.connection() as conn:
            rows = conn.execute(
                "SELECT kind, status, count(*) AS n FROM rm_sagas.sagas GROUP BY kind, status"
            ).fetchall()
        return {(r["kind"], r["status"]): r["n"] for r in rows}

    def users_in_flight(self) -> set[str]:
        """Users concerned by a saga with a step in flight or parked (their money may be a step
        ahead on chain)."""
        with self._pool.connection() as conn:
            rows = conn.execute(
                "SELECT DISTINCT unnest(user_ids) AS user_id FROM rm_sagas.sagas"
                " WHERE status IN ('IN_FLIGHT', 'PARKED')"
            ).fetchall()
        return {r["user_id"] for r in rows}

    def sagas_in_flight(self, kind: str) -> set[str]:
        """Ids of the sagas of `kind` with a step in flight or parked."""
        with self._pool.connection() as conn:
            rows = conn.execute(
                "SELECT saga_id FROM rm_sagas.sagas"
                " WHERE kind = %s AND status IN ('IN_FLIGHT', 'PARKED')",
                (kind,),
            ).fetchall()
        return {r["saga_id"] for r in rows}

    def stalled(self, older_than_s: float, limit: int) -> list[SagaRow]:
        """Sagas in flight whose last progress is older than `older_than_s` seconds."""
        with self._pool.connection() as conn:
            rows = conn.execute(
                f"SELECT {_COLUMNS} FROM rm_sagas.sagas WHERE status = 'IN_FLIGHT'"  # noqa: S608
                " AND updated_at < now() - make_interval(secs => %s)"
                " ORDER BY updated_at LIMIT %s",
                (older_than_s, limit),
            ).fetchall()
        return [SagaRow(**r) for r in rows]
