"""The webhook dispatcher: follows the log with its own tracking (schema `rm_webhook_dispatch`)
and enqueues one delivery per (active endpoint, published event it wants).

It keeps its own copy of the endpoints, updated in the same transaction as its position, so an
event is matched against the endpoints as they were at that event's position: an endpoint gets
the events after its registration, none before. Like the outbox relay it is never rebuilt
(that would re-send everything); an enqueue repeated after a crash is posted once, since a
delivery's id is stable and the courier checks the delivery log first.
"""

from __future__ import annotations

from typing import Any, ClassVar

from dramatiq.brokers.redis import RedisBroker
from psycopg import Cursor

from application.webhook_deliveries import Delivery
from domain import identifiers
from domain.event_types import TypeFilter
from domain.webhooks import WebhookEndpoint
from interfaces.workers.webhook_messages import (
    ReplayJob,
    delivery_id,
    delivery_message,
    replay_message,
)
from projections.event_feed.audit_chain import canonical
from projections.event_feed.catalogue import CATALOGUE, envelope
from projections.projection import Projection, handles


def _id(event: Any) -> str:
    return identifiers.public_id(identifiers.WEBHOOK_ENDPOINT, event.originator_id)


class WebhookDispatcher(Projection):
    name = "webhook_dispatch"
    version = 1
    ddl: ClassVar[tuple[str, ...]] = (
        """CREATE TABLE endpoints (
            endpoint_id  text    PRIMARY KEY,
            event_types  text[]  NOT NULL,
            active       boolean NOT NULL
        )""",
    )

    def __init__(self, broker: RedisBroker) -> None:
        self._broker = broker
        # Active endpoints as read through one page's cursor; endpoint events clear it.
        self._active: tuple[Any, list[tuple[str, TypeFilter]]] | None = None

    @property
    def event_classes(self) -> tuple[type, ...]:
        return tuple(CATALOGUE)

    def apply(self, cursor: Cursor[Any], event: Any, position: int) -> None:
        super().apply(cursor, event, position)  # endpoint changes
        entry = CATALOGUE[type(event)]
        if not entry.public:
            return
        wanting = [e for e, wanted in self._endpoints(cursor) if wanted.matches(entry.type)]
        if not wanting:
            return
        body = canonical(envelope(position, event))
        event_id = identifiers.event_id(event.originator_id, event.originator_version)
        for endpoint_id in wanting:
            job = Delivery(
                endpoint_id, delivery_id(endpoint_id, event_id), position, event_id, body
            )
            self._broker.enqueue(delivery_message(job))

    @handles(WebhookEndpoint.Registered)
    def _registered(self, cursor: Cursor[Any], event: Any, position: int) -> None:
        cursor.execute(
            "INSERT INTO endpoints (endpoint_id, event_types, active) VALUES (%s, %s, true)",
            (_id(event), list(event.event_types)),
        )
        self._active = None

    @handles(WebhookEndpoint.Disabled)
    def _disabled(self, cursor: Cursor[Any], event: Any, position: int) -> None:
        cursor.execute("UPDATE endpoints SET active = false WHERE endpoint_id = %s", (_id(event),))
        self._active = None

    @handles(WebhookEndpoint.ReplayRequested)
    def _replay(self, cursor: Cursor[Any], event: Any, position: int) -> None:
        endpoint_id = _id(event)
        cursor.execute("UPDATE endpoints SET active = true WHERE endpoint_id = %s", (endpoint_id,))
        self._active = None
        # Everything before this event is replayed; what follows flows as usual.
        replay_id = identifiers.event_id(event.originator_id, event.originator_version)
        after = max(event.from_position - 1, 0)
        self._broker.enqueue(replay_message(ReplayJob(endpoint_id, replay_id, after, position - 1)))

    @handles(WebhookEndpoint.Deleted)
    def _deleted(self, cursor: Cursor[Any], event: Any, position: int) -> None:
        cursor.execute("DELETE FROM endpoints WHERE endpoint_id = %s", (_id(event),))
        self._active = None

    def _endpoints(self, cursor: Cursor[Any]) -> list[tuple[str, TypeFilter]]:
        cached = self._active
        if cached is not None and cached[0] is cursor:
            return cached[1]
        rows = cursor.execute(
            "SELECT endpoint_id, event_types FROM endpoints WHERE active ORDER BY endpoint_id"
        ).fetchall()
        found = [(r["endpoint_id"], TypeFilter.parse(r["event_types"])) for r in rows]
        self._active = (cursor, found)
        return found
