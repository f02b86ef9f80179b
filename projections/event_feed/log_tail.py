"""The published event feed read straight from the log, for live SSE: the same envelope text
the event_feed projection stores for a position (catalogue envelope, canonical JSON), built from
the stored event, so a stream never waits for the projection to apply a page.

Positions commit in order (the recorder's table lock), so a read of "positions after N" that
saw position P will never later meet a commit below P: a reader may resume after the last
position it scanned without skipping anything.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from application.ledger import Ledger, topic_of
from projections.event_feed.audit_chain import canonical
from projections.event_feed.catalogue import CATALOGUE, envelope
from projections.event_feed.view import FeedFilter, StreamRow

# Topics of every catalogued event: the projection reads exactly these, so do we.
FEED_TOPICS: Final = tuple(topic_of(c) for c in CATALOGUE)


@dataclass(frozen=True, slots=True)
class FeedEvent:
    """One published event with what stream filters look at."""

    row: StreamRow
    aggregate_type: str
    aggregate_id: str
    user_ids: frozenset[str]

    @property
    def position(self) -> int:
        return self.row.position

    def wanted_by(self, wanted: FeedFilter) -> bool:
        """The in-memory form of the feed's SQL filter (projections/event_feed/view.py)."""
        return (
            wanted.types.matches(self.row.type)
            and (
                not wanted.resources
                or self.aggregate_type.lower() in {r.lower() for r in wanted.resources}
            )
            and (wanted.user_id is None or wanted.user_id in self.user_ids)
            and (wanted.aggregate_id is None or wanted.aggregate_id == self.aggregate_id)
        )


@dataclass(frozen=True, slots=True)
class TailRead:
    events: list[FeedEvent]
    # Every published event at or below this position has been returned; resume after it.
    scanned_to: int
    # The read took its whole limit: there may be more right after `scanned_to`.
    full: bool


def read_published(ledger: Ledger, after: int, limit: int, stop: int | None = None) -> TailRead:
    """Published events after `after` (up to `stop`), reading at most `limit` log positions."""
    stored = ledger.read(after=after, limit=limit, topics=FEED_TOPICS, stop=stop)
    events = [feed_event(position, event) for position, event in stored]
    if len(stored) == limit:
        scanned_to = stored[-1][0]
    elif stop is not None:
        scanned_to = max(stop, after)
    else:
        scanned_to = stored[-1][0] if stored else after
    return TailRead([e for e in events if e is not None], scanned_to, len(stored) == limit)


def feed_event(position: int, event: object) -> FeedEvent | None:
    """The published form of the event at `position`; None for internal events."""
    entry = CATALOGUE[type(event)]
    if not entry.public:
        return None
    body = envelope(position, event)
    row = StreamRow(position, body["eventId"], entry.type, canonical(body))
    return FeedEvent(
        row, entry.aggregate_type, body["aggregateId"], frozenset(entry.user_ids(event))
    )


class LogTail:
    """The published feed as `ledger` reads it from the log."""

    def __init__(self, ledger: Ledger) -> None:
        self._ledger = ledger

    def head(self) -> int:
        return self._ledger.head_position()

    def read(self, after: int, limit: int, stop: int | None = None) -> TailRead:
        return read_published(self._ledger, after, limit, stop)
