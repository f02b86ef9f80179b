"""Queries over API keys: masked, with last use."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from projections.pagination import Page, check_limit, decode_cursor, page_of


@dataclass(frozen=True, slots=True)
class ApiKeyRow:
    key_id: str
    name: str
    scopes: list[str]
    secret_hint: str
    rate_limit_per_minute: int | None
    expires_at: datetime | None
    revoked_at: datetime | None
    created_at: datetime
    last_used_at: datetime | None
    position: int


class ApiKeysView:
    def __init__(self, pool: Any) -> None:
        self._pool = pool

    def list(self, limit: int | None, cursor: str | None) -> Page[ApiKeyRow]:
        limit = check_limit(limit)
        before = decode_cursor(cursor)
        with self._pool.connection() as conn:
            rows = conn.execute(
                "SELECT k.key_id, k.name, k.scopes, k.secret_hint, k.rate_limit_per_minute,"
                " k.expires_at, k.revoked_at, k.created_at, u.last_used_at, k.position"
                " FROM rm_api_keys.api_keys k LEFT JOIN api_key_usage u ON u.key_id = k.key_id"
                " WHERE %(before)s::bigint IS NULL OR k.position < %(before)s"
                " ORDER BY k.position DESC LIMIT %(limit)s",
                {"before": before, "limit": limit + 1},
            ).fetchall()
        return page_of([ApiKeyRow(**r) for r in rows], limit, lambda r: r.position)
