"""The event feed: every stored event as its wire envelope, keyed by position, chained by hash.

SSE, outgoing webhooks, `/events/log`, `/audit/logs` and audit exports all read this one table,
so every channel shows the same envelope for the same position. The envelope is stored as its
canonical text (see audit_chain.py), exactly the bytes that are streamed and signed; `hash` links
each row to the one before it over the envelope's chained subset, internal events included.
"""

from __future__ import annotations

from typing import Any, ClassVar

from psycopg import Cursor

from projections.event_feed.audit_chain import GENESIS_HASH, canonical, link_of
from projections.event_feed.catalogue import CATALOGUE, envelope
from projections.projection import Projection


class EventFeedProjection(Projection):
    name = "event_feed"
    # 2: the envelope is stored as canonical text and every row carries its chain hash.
    # 3: money events' envelopes carry their postings (outside the chained subset, so every
    # hash is what it was).
    version = 3
    ddl: ClassVar[tuple[str, ...]] = (
        """CREATE TABLE events (
            position        bigint      PRIMARY KEY,
            event_id        text        NOT NULL UNIQUE,
            type            text        NOT NULL,
            aggregate_type  text        NOT NULL,
            aggregate_id    text        NOT NULL,
            version         bigint      NOT NULL,
            occurred_at     timestamptz NOT NULL,
            user_ids        text[]      NOT NULL,
            public          boolean     NOT NULL,
            envelope        json        NOT NULL,
            hash            text        NOT NULL
        )""",
        "CREATE INDEX events_type_idx ON events (type, position)",
        "CREATE INDEX events_aggregate_idx ON events (aggregate_id, position)",
        "CREATE INDEX events_user_ids_idx ON events USING gin (user_ids)",
        "CREATE INDEX events_occurred_at_idx ON events (occurred_at)",
    )

    def __init__(self) -> None:
        # The hash of the last row written through a cursor: a page's rows chain in memory and
        # only its first row reads its predecessor. Keyed by the cursor (one per page and
        # transaction), so a rolled-back page or a rebuild beside the live schema never
        # inherits another's hash.
        self._last: tuple[Any, str] | None = None

    @property
    def event_classes(self) -> tuple[type, ...]:
        return tuple(CATALOGUE)

    def apply(self, cursor: Cursor[Any], event: Any, position: int) -> None:
        entry = CATALOGUE[type(event)]
        body = envelope(position, event)
        text = canonical(body)
        chained = link_of(self._previous_hash(cursor, position), body)
        cursor.execute(
            "INSERT INTO events (position, event_id, type, aggregate_type, aggregate_id,"
            " version, occurred_at, user_ids, public, envelope, hash)"
            " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s::json, %s)",
            (
                position,
                body["eventId"],
                entry.type,
                entry.aggregate_type,
                body["aggregateId"],
                event.originator_version,
                event.timestamp,
                entry.user_ids(event),
                entry.public,
                text,
                chained,
            ),
        )
        self._last = (cursor, chained)

    def _previous_hash(self, cursor: Cursor[Any], position: int) -> str:
        last = self._last
        if last is not None and last[0] is cursor:
            return last[1]
        row = cursor.execute(
            "SELECT hash FROM events WHERE position < %s ORDER BY position DESC LIMIT 1",
            (position,),
        ).fetchone()
        if row is None:
            return GENESIS_HASH
        return str(row["hash"] if isinstance(row, dict) else row[0])
