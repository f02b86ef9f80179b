"""Queries over webhook endpoints."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from projections.pagination import Page, check_limit, decode_cursor, page_of


@dataclass(frozen=True, slots=True)
class EndpointRow:
    endpoint_id: str
    url: str
    event_types: list[str]
    description: str | None
    secret_hint: str
    status: str
    disabled_reason: str | None
    created_at: datetime
    updated_at: datetime
    created_position: int


_COLUMNS = ", ".join(EndpointRow.__dataclass_fields__)


class WebhookEndpointsView:
    def __init__(self, pool: Any) -> None:
        self._pool = pool

    def list(self, limit: int | None, cursor: str | None) -> Page[EndpointRow]:
        """Endpoints, newest first."""
        limit = check_limit(limit)
        before = decode_cursor(cursor)
        with self._pool.connection() as conn:
            rows = conn.execute(
                f"SELECT {_COLUMNS} FROM rm_webhook_endpoints.endpoints"  # noqa: S608
                " WHERE (%(before)s::bigint IS NULL OR created_position < %(before)s)"
                " ORDER BY created_position DESC LIMIT %(limit)s",
                {"before": before, "limit": limit + 1},
            ).fetchall()
        return page_of([EndpointRow(**r) for r in rows], limit, lambda r: r.created_position)
