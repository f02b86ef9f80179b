"""Wire types for the log as auditors read it: `/events/log` and `/audit/logs`."""

from __future__ import annotations

import json
from typing import Any, Literal

from interfaces.http.schemas.wire import Body, EventId, Timestamp
from projections.event_feed.audit_log import AuditEntry
from projections.event_feed.view import LogRow


class LogEntryBody(Body):
    position: int
    type: str
    public: bool
    hash: str
    previous_hash: str
    # The chain version `hash` was linked with (docs/audit.md).
    chain: int
    envelope: dict[str, Any]


def log_entry_body(row: LogRow) -> LogEntryBody:
    return LogEntryBody(
        position=row.position,
        type=row.type,
        public=row.public,
        hash=row.hash,
        previous_hash=row.previous_hash,
        chain=row.chain,
        envelope=json.loads(row.envelope),
    )


class AuditEntryBody(Body):
    id: EventId
    position: int
    occurred_at: Timestamp
    action: str
    resource_type: str
    resource_id: str
    payload_before: dict[str, Any] | None
    payload_after: dict[str, Any]
    actor_type: str
    actor_id: str
    result: Literal["SUCCESS"]
    correlation_id: str | None
    request_id: str | None


def audit_entry_body(entry: AuditEntry) -> AuditEntryBody:
    body = entry.envelope
    return AuditEntryBody(
        id=body["eventId"],
        position=entry.position,
        occurred_at=body["occurredAt"],
        action=body["type"],
        resource_type=body["aggregateType"],
        resource_id=body["aggregateId"],
        payload_before=None,
        payload_after=body["data"],
        actor_type=entry.actor_type,
        actor_id=entry.actor_id,
        result="SUCCESS",
        correlation_id=entry.metadata.get("correlationId"),
        request_id=entry.metadata.get("requestId"),
    )
