"""The event feed: every stored event as its wire envelope, keyed by position, chained by hash.

SSE, outgoing webhooks, `/events/log`, `/audit/logs` and audit exports all read this one table,
so every channel shows the same envelope for the same position. The envelope is stored as its
canonical text (see audit_chain.py), exactly the bytes that are streamed and signed; `hash` links
each row to the one before it over the envelope's chained subset, internal events included, with
the chain version the log names for that position (the last `audit.chain_versioned` row at or
before it, 1 before any).
"""

from __future__ import annotations

from typing import Any, ClassVar, Final

from psycopg import Cursor

from domain.audit_chain import recorded_version
from projections.copy_text import Lines
from projections.event_feed.audit_chain import GENESIS_HASH, canonical_of, link_of
from projections.event_feed.catalogue import CATALOGUE, envelope
from projections.event_feed.catalogue.audit_chain import (
    MARKERS_PARAMS,
    MARKERS_SQL,
    chain_at,
    markers_of,
)
from projections.projection import Projection

_COPY_EVENTS: Final = (
    "COPY events (position, event_id, type, aggregate_type, aggregate_id, version, occurred_at,"
    " user_ids, public, envelope, hash) FROM STDIN"
)


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
    )
    indexes: ClassVar[tuple[str, ...]] = (
        "CREATE INDEX events_type_idx ON events (type, position)",
        "CREATE INDEX events_aggregate_idx ON events (aggregate_id, position)",
        "CREATE INDEX events_user_ids_idx ON events USING gin (user_ids)",
        "CREATE INDEX events_occurred_at_idx ON events (occurred_at)",
    )

    def __init__(self) -> None:
        # The hash and chain version of the last row written through a cursor, so events
        # applied one by one through it (a failed page retried event by event) chain on without
        # reading them back. Keyed by the cursor (one per page and transaction), so a
        # rolled-back page or a rebuild beside the live schema never inherits another's hash.
        self._last: tuple[Any, str, int] | None = None

    @property
    def event_classes(self) -> tuple[type, ...]:
        return tuple(CATALOGUE)

    batched = True

    def apply(self, cursor: Cursor[Any], event: Any, position: int) -> None:
        self.apply_page(cursor, [(position, event)])

    def apply_page(self, cursor: Cursor[Any], events: list[tuple[int, Any]]) -> None:
        """The page's rows built and chained in memory — only the first reads its
        predecessor's hash — and written with one COPY."""
        if not events:
            return
        previous, version = self._previous_link(cursor, events[0][0])
        with cursor.copy(_COPY_EVENTS) as copy:
            lines = Lines(copy)
            for position, event in events:
                entry = CATALOGUE[type(event)]
                body = envelope(position, event)
                version = recorded_version(event) or version
                text, plain = canonical_of(body)
                previous = link_of(previous, body, version, text, plain)
                lines.write(
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
                        previous,
                    )
                )
            lines.close()
        self._last = (cursor, previous, version)

    def _previous_link(self, cursor: Cursor[Any], position: int) -> tuple[str, int]:
        """The hash of the row before `position` and the chain version in force there."""
        last = self._last
        if last is not None and last[0] is cursor:
            return last[1], last[2]
        row = cursor.execute(
            "SELECT hash FROM events WHERE position < %s ORDER BY position DESC LIMIT 1",
            (position,),
        ).fetchone()
        markers = markers_of(
            cursor.execute(MARKERS_SQL.format(table="events"), MARKERS_PARAMS).fetchall()
        )
        if row is None:
            previous = GENESIS_HASH
        else:
            previous = str(row["hash"] if isinstance(row, dict) else row[0])
        return previous, chain_at(markers, position - 1)
