"""`GET /audit/logs` (support scope): who did what to which resource, newest first.

Filters (OFFER-HUB's): `resourceType`, `resourceId`, `action` (an event type; `order.*`
allowed), `userId`, `from`, `to` (ISO 8601 times with a zone, inclusive).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from litestar import Controller, Response, get
from litestar.params import FromQuery, QueryParameter

from domain import identifiers
from domain.api_keys import SUPPORT
from domain.errors import ValidationError
from domain.event_types import TypeFilter
from interfaces.http.edge.admission import scope
from interfaces.http.edge.dependencies import Provided, Respond
from interfaces.http.edge.responses import Envelope
from interfaces.http.schemas.events import AuditEntryBody, audit_entry_body
from interfaces.http.schemas.wire import UserIdQuery
from projections.event_feed.audit_log import AuditLogView, AuditQuery


def moment(text: str | None, field: str) -> datetime | None:
    if text is None:
        return None
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise ValidationError(f"{field} must be an ISO 8601 time", field=field) from None
    if parsed.tzinfo is None:
        raise ValidationError(f"{field} must say its time zone (e.g. 'Z')", field=field)
    return parsed


class AuditController(Controller):
    path = "/audit"
    tags = ["audit"]

    @get("/logs", opt=scope(SUPPORT), sync_to_thread=True, operation_id="listAuditLogs")
    def logs(
        self,
        audit_log_view: Provided[AuditLogView],
        respond: Respond,
        resource_type: Annotated[str | None, QueryParameter(name="resourceType")] = None,
        resource_id: Annotated[str | None, QueryParameter(name="resourceId")] = None,
        action: FromQuery[list[str] | None] = None,
        user_id: UserIdQuery = None,
        occurred_from: Annotated[str | None, QueryParameter(name="from")] = None,
        occurred_to: Annotated[str | None, QueryParameter(name="to")] = None,
        limit: FromQuery[int | None] = None,
        cursor: FromQuery[str | None] = None,
    ) -> Response[Envelope[list[AuditEntryBody]]]:
        """Entries of the log (internal events too), each with its actor, newest first."""
        if user_id is not None:
            identifiers.parse_public_id(identifiers.USER, user_id)
        for name, value in (("resourceType", resource_type), ("resourceId", resource_id)):
            if value is not None and not 1 <= len(value) <= 100:
                raise ValidationError(f"{name} must be 1 to 100 characters", field=name)
        query = AuditQuery(
            resource_type=resource_type,
            resource_id=resource_id,
            actions=TypeFilter.parse(action or (), field="action"),
            user_id=user_id,
            occurred_from=moment(occurred_from, "from"),
            occurred_to=moment(occurred_to, "to"),
        )
        page = audit_log_view.list(query, limit, cursor)
        return respond.page(page, audit_entry_body)
