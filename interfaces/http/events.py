"""The event feed over HTTP: `GET /events` (SSE, read scope) and `GET /events/log` (the log with
its hash chain, support scope).

Filters are the same for both: `types` (repeat it or separate with commas; `order.*` and `*`
allowed), `resources` (aggregate types such as `Order`, `Balance`), `userId`. A stream resumes
after `Last-Event-ID`, else after `?after=` (a position), else after the last event at or before
`?since=` (a time, as OFFER-HUB's streams took it); without any it starts at the feed's current
end.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Final

from anyio import to_thread
from litestar import Controller, Request, Response, get
from litestar.openapi.spec import Example
from litestar.params import FromQuery, HeaderParameter, QueryParameter
from litestar.response import Stream

from domain import identifiers
from domain.api_keys import READ, SUPPORT
from domain.errors import ValidationError
from domain.event_types import TypeFilter
from interfaces.http.edge.admission import scope
from interfaces.http.edge.dependencies import Provided, Respond
from interfaces.http.edge.edge_state import edge_state
from interfaces.http.edge.responses import Envelope
from interfaces.http.event_stream import StreamStart
from interfaces.http.live_feed import LiveFeed
from interfaces.http.schemas.events import LogEntryBody, log_entry_body
from interfaces.http.schemas.orders import parse_time
from interfaces.http.schemas.wire import Cursor, Limit, UserIdQuery, queried
from projections.event_feed.view import FeedFilter, FeedView

RESOURCES_MAX: Final = 20
_RESOURCE: Final = re.compile(r"[A-Za-z][A-Za-z_]{0,49}")
_POSITION: Final = re.compile(r"\d{1,18}")
EVENT_STREAM: Final = "text/event-stream"
STREAM_HEADERS: Final = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}

AggregateIdQuery = Annotated[str | None, QueryParameter(name="aggregateId")]
LastEventId = Annotated[
    str | None,
    HeaderParameter(
        name="Last-Event-ID",
        description="Resume after this event id (a log position), as browsers reconnect.",
        schema_extra={"pattern": r"^[0-9]{1,18}$"},
        examples=[Example(value="42")],
    ),
]
AfterQuery = Annotated[
    str | None,
    queried(
        description="Start after this log position.", pattern=r"^[0-9]{1,18}$", examples=["42"]
    ),
]
SinceQuery = Annotated[
    str | None,
    queried(
        description="Start after the last event at or before this time (ISO 8601 with a zone).",
        format="date-time",
        examples=["2026-03-01T12:00:00Z"],
    ),
]


def feed_filter(
    types: list[str] | None,
    resources: list[str] | None,
    user_id: str | None,
    aggregate_id: str | None = None,
) -> FeedFilter:
    kinds = [r.strip() for raw in resources or () for r in raw.split(",") if r.strip()]
    if len(kinds) > RESOURCES_MAX or not all(_RESOURCE.fullmatch(k) for k in kinds):
        raise ValidationError(
            f"resources are up to {RESOURCES_MAX} resource types such as 'Order' or 'Balance'",
            field="resources",
        )
    if user_id is not None:
        identifiers.parse_public_id(identifiers.USER, user_id)
    if aggregate_id is not None and not 1 <= len(aggregate_id) <= 100:
        raise ValidationError("aggregateId must be 1 to 100 characters", field="aggregateId")
    return FeedFilter(
        types=TypeFilter.parse(types or ()),
        resources=tuple(kinds),
        user_id=user_id,
        aggregate_id=aggregate_id,
    )


def stream_start(last_event_id: str | None, after: str | None) -> StreamStart | None:
    """`Last-Event-ID` wins over `?after=`: a browser reconnects to the same URL with it. None
    when neither is given."""
    for name, value in (("Last-Event-ID", last_event_id), ("after", after)):
        if value is None:
            continue
        if not _POSITION.fullmatch(value.strip()):
            raise ValidationError(f"{name} must be a log position (a whole number)", field=name)
        return StreamStart(int(value.strip()))
    return None


class EventsController(Controller):
    path = "/events"
    tags = ["events"]

    @get("/", opt=scope(READ), media_type=EVENT_STREAM, operation_id="streamEvents")
    async def stream(
        self,
        request: Request[Any, Any, Any],
        types: FromQuery[list[str] | None] = None,
        resources: FromQuery[list[str] | None] = None,
        user_id: UserIdQuery = None,
        after: AfterQuery = None,
        since: SinceQuery = None,
        last_event_id: LastEventId = None,
    ) -> Stream:
        """Server-sent events: `id:` the log position, `event:` the type, `data:` the envelope;
        the first event also carries `retry:` (ms). Resume with `Last-Event-ID` (or `?after=`,
        or `?since=` a time) with nothing missed or repeated; a comment line is sent every
        SSE_HEARTBEAT_S seconds."""
        wanted = feed_filter(types, resources, user_id)
        live: LiveFeed = request.app.state.live_feed
        start = stream_start(last_event_id, after)
        if start is None:
            moment = parse_time(since, "since")
            start = StreamStart(
                None if moment is None else await to_thread.run_sync(live.feed.position_at, moment)
            )
        state = edge_state(request.scope)
        assert state is not None
        assert state.principal is not None
        opened = await live.open(state.principal.key_id, start, wanted)
        return Stream(opened.frames(), media_type=EVENT_STREAM, headers=STREAM_HEADERS)

    @get("/log", opt=scope(SUPPORT), sync_to_thread=True, operation_id="readEventLog")
    def log(
        self,
        feed_view: Provided[FeedView],
        respond: Respond,
        after: FromQuery[int | None] = None,
        types: FromQuery[list[str] | None] = None,
        resources: FromQuery[list[str] | None] = None,
        user_id: UserIdQuery = None,
        aggregate_id: AggregateIdQuery = None,
        limit: Limit = None,
        cursor: Cursor = None,
    ) -> Response[Envelope[list[LogEntryBody]]]:
        """Every event (internal ones too) after position `after`, oldest first, each with its
        hash, the hash before it and the chain version `chain` that links them: hash =
        sha256(previousHash bytes || canonical envelope without `postings`) in version 1, ||
        RFC 8785 (JCS) of the envelope in version 2 (docs/audit.md); money events' envelopes
        carry their postings `{debit, credit, amount}`."""
        if after is not None and after < 0:
            raise ValidationError("after must be a position (0 or more)", field="after")
        wanted = feed_filter(types, resources, user_id, aggregate_id)
        page = feed_view.log(after, wanted, limit, cursor)
        return respond.page(page, log_entry_body)
