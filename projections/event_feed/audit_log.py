"""The audit log: who did what to which resource, read from the event feed, newest first.

OFFER-HUB's `/audit/logs` filtered on a marketplace id nothing ever wrote, so it answered
nothing. Here each entry is one event of the log (internal ones included), its actor taken from
the metadata the command stamped on it; only successful commands record events, so every
entry's result is SUCCESS.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from domain.event_types import ALL_TYPES, TypeFilter
from projections.pagination import Page, check_limit, decode_cursor, page_of

SYSTEM_ACTOR: Final = "system"


@dataclass(frozen=True, slots=True)
class AuditQuery:
    resource_type: str | None = None
    resource_id: str | None = None
    actions: TypeFilter = ALL_TYPES
    user_id: str | None = None
    occurred_from: datetime | None = None
    occurred_to: datetime | None = None


@dataclass(frozen=True, slots=True)
class AuditEntry:
    position: int
    envelope: dict[str, Any]

    @property
    def metadata(self) -> dict[str, Any]:
        return dict(self.envelope.get("metadata") or {})

    @property
    def actor_type(self) -> str:
        key = self.metadata.get("apiKeyId")
        return "SYSTEM" if key in (None, SYSTEM_ACTOR) else "API_KEY"

    @property
    def actor_id(self) -> str:
        return str(self.metadata.get("apiKeyId") or SYSTEM_ACTOR)


class AuditLogView:
    def __init__(self, pool: Any) -> None:
        self._pool = pool

    def list(self, query: AuditQuery, limit: int | None, cursor: str | None) -> Page[AuditEntry]:
        limit = check_limit(limit)
        before = decode_cursor(cursor)
        actions = query.actions
        with self._pool.connection() as conn:
            rows = conn.execute(
                "SELECT position, envelope::text AS envelope FROM rm_event_feed.events"
                " WHERE (%(before)s::bigint IS NULL OR position < %(before)s)"
                " AND (%(rtype)s::text IS NULL OR lower(aggregate_type) = lower(%(rtype)s))"
                " AND (%(rid)s::text IS NULL OR aggregate_id = %(rid)s)"
                " AND (%(everything)s OR type = ANY(%(exact)s::text[])"
                " OR EXISTS (SELECT 1 FROM unnest(%(prefixes)s::text[]) p"
                "  WHERE starts_with(type, p)))"
                " AND (%(user)s::text IS NULL OR user_ids @> ARRAY[%(user)s::text])"
                " AND (%(from)s::timestamptz IS NULL OR occurred_at >= %(from)s)"
                " AND (%(to)s::timestamptz IS NULL OR occurred_at <= %(to)s)"
                " ORDER BY position DESC LIMIT %(limit)s",
                {
                    "before": before,
                    "rtype": query.resource_type,
                    "rid": query.resource_id,
                    "everything": actions.everything,
                    "exact": sorted(actions.exact),
                    "prefixes": list(actions.prefixes),
                    "user": query.user_id,
                    "from": query.occurred_from,
                    "to": query.occurred_to,
                    "limit": limit + 1,
                },
            ).fetchall()
        entries = [AuditEntry(r["position"], json.loads(r["envelope"])) for r in rows]
        return page_of(entries, limit, lambda e: e.position)
