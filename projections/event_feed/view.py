"""Reads of the event feed in position order: webhook replays, log pages for auditors, exports
(live SSE reads the log itself, log_tail.py).

Positions have gaps, so every read pages by "greater than the last position seen". A replay
reads the feed's tracking position first and then rows up to it: rows and position commit
together, so everything at or below it is visible, and a reader that saw all of them may move
its cursor to that position without ever skipping a row that commits later.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from domain.audit_chain import FIRST_CHAIN_VERSION
from domain.event_types import ALL_TYPES, TypeFilter
from projections.event_feed.audit_chain import GENESIS_HASH
from projections.event_feed.catalogue.audit_chain import (
    MARKERS_PARAMS,
    MARKERS_SQL,
    chain_at,
    markers_of,
)
from projections.pagination import Page, check_limit, decode_cursor, page_of

EXPORT_PAGE_SIZE: Final = 1000

# Filters shared by every read; NULL or `everything` disables one. Our own constant text.
_WHERE: Final = (
    " AND (%(everything)s OR type = ANY(%(exact)s::text[])"
    " OR EXISTS (SELECT 1 FROM unnest(%(prefixes)s::text[]) p WHERE starts_with(type, p)))"
    " AND (%(resources)s::text[] IS NULL"
    " OR lower(aggregate_type) = ANY(%(resources)s::text[]))"
    " AND (%(user)s::text IS NULL OR user_ids @> ARRAY[%(user)s::text])"
    " AND (%(aggregate)s::text IS NULL OR aggregate_id = %(aggregate)s)"
)


@dataclass(frozen=True, slots=True)
class FeedFilter:
    types: TypeFilter = ALL_TYPES
    # Aggregate types as on the wire (`Order`, `Balance`), compared case-insensitively.
    resources: tuple[str, ...] = ()
    user_id: str | None = None
    aggregate_id: str | None = None

    def params(self) -> dict[str, Any]:
        return {
            "everything": self.types.everything,
            "exact": sorted(self.types.exact),
            "prefixes": list(self.types.prefixes),
            "resources": [r.lower() for r in self.resources] or None,
            "user": self.user_id,
            "aggregate": self.aggregate_id,
        }


EVERYTHING: Final = FeedFilter()


@dataclass(frozen=True, slots=True)
class StreamRow:
    position: int
    event_id: str
    type: str
    envelope: str  # canonical JSON text


@dataclass(frozen=True, slots=True)
class LogRow:
    position: int
    type: str
    public: bool
    envelope: str  # canonical JSON text
    hash: str
    previous_hash: str
    # The formula `hash` was linked with (docs/audit.md): 1, or 2 from the log's
    # `audit.chain_versioned` on.
    chain: int = FIRST_CHAIN_VERSION


@dataclass(frozen=True, slots=True)
class StreamRead:
    rows: list[StreamRow]
    # Every matching row at or below this position has been returned; resume after it.
    scanned_to: int


class FeedView:
    def __init__(self, pool: Any) -> None:
        self._pool = pool

    def position(self) -> int:
        """How far the feed has been built (its tracking position)."""
        with self._pool.connection() as conn:
            row = conn.execute("SELECT position FROM rm_event_feed.tracking").fetchone()
        return int(row["position"]) if row else 0

    def position_at(self, moment: datetime, *, earliest: bool = False) -> int:
        """The last position that happened at or before `moment` (0 when none), or with
        `earliest` the first at or after it (past the end when none)."""
        with self._pool.connection() as conn:
            if earliest:
                row = conn.execute(
                    "SELECT COALESCE(min(position), (SELECT position + 1 FROM"
                    " rm_event_feed.tracking)) AS p FROM rm_event_feed.events"
                    " WHERE occurred_at >= %s",
                    (moment,),
                ).fetchone()
            else:
                row = conn.execute(
                    "SELECT COALESCE(max(position), 0) AS p FROM rm_event_feed.events"
                    " WHERE occurred_at <= %s",
                    (moment,),
                ).fetchone()
        return int(row["p"] or 0)

    def published_after(self, after: int, wanted: FeedFilter, limit: int) -> StreamRead:
        """Public events after `after` that match `wanted`, in order (SSE and replays)."""
        return self._after(after, wanted, limit, stop=None)

    def published_between(
        self, after: int, stop: int, wanted: FeedFilter, limit: int
    ) -> StreamRead:
        """As `published_after`, but never past position `stop` (inclusive)."""
        return self._after(after, wanted, limit, stop=stop)

    def _after(self, after: int, wanted: FeedFilter, limit: int, stop: int | None) -> StreamRead:
        with self._pool.connection() as conn:
            tracked = conn.execute("SELECT position FROM rm_event_feed.tracking").fetchone()
            upto = int(tracked["position"]) if tracked else 0
            if stop is not None:
                upto = min(upto, stop)
            if upto <= after:
                return StreamRead([], after)
            rows = conn.execute(
                # _WHERE is our constant text
                "SELECT position, event_id, type, envelope::text AS envelope"  # noqa: S608
                " FROM rm_event_feed.events"
                " WHERE position > %(after)s AND position <= %(upto)s AND public"
                + _WHERE
                + " ORDER BY position LIMIT %(limit)s",
                {"after": after, "upto": upto, "limit": limit, **wanted.params()},
            ).fetchall()
        found = [StreamRow(**r) for r in rows]
        scanned_to = found[-1].position if len(found) == limit else upto
        return StreamRead(found, scanned_to)

    def log(
        self, after: int | None, wanted: FeedFilter, limit: int | None, cursor: str | None
    ) -> Page[LogRow]:
        """Every event (internal ones too) after a position, oldest first, with its hashes."""
        limit = check_limit(limit)
        start = decode_cursor(cursor) if cursor is not None else (after or 0)
        with self._pool.connection() as conn:
            rows = conn.execute(
                # _WHERE is our constant text
                "SELECT position, type, public, envelope::text AS envelope, hash,"  # noqa: S608
                " COALESCE((SELECT p.hash FROM rm_event_feed.events p"
                "   WHERE p.position < e.position ORDER BY p.position DESC LIMIT 1),"
                "   %(genesis)s) AS previous_hash"
                " FROM rm_event_feed.events e WHERE position > %(after)s"
                + _WHERE
                + " ORDER BY position LIMIT %(limit)s",
                {"after": start, "limit": limit + 1, "genesis": GENESIS_HASH, **wanted.params()},
            ).fetchall()
            markers = _markers(conn)
        found = [LogRow(**r, chain=chain_at(markers, r["position"])) for r in rows]
        return page_of(found, limit, lambda r: r.position)

    def export(self, first: int, last: int) -> Iterator[LogRow]:
        """Every row with a position in [first, last], oldest first, page by page."""
        with self._pool.connection() as conn:
            before = conn.execute(
                "SELECT hash FROM rm_event_feed.events WHERE position < %s"
                " ORDER BY position DESC LIMIT 1",
                (first,),
            ).fetchone()
            markers = _markers(conn)
        previous = before["hash"] if before else GENESIS_HASH
        after = first - 1
        while True:
            with self._pool.connection() as conn:
                rows = conn.execute(
                    "SELECT position, type, public, envelope::text AS envelope, hash"
                    " FROM rm_event_feed.events WHERE position > %s AND position <= %s"
                    " ORDER BY position LIMIT %s",
                    (after, last, EXPORT_PAGE_SIZE),
                ).fetchall()
            if not rows:
                return
            for row in rows:
                chain = chain_at(markers, row["position"])
                yield LogRow(previous_hash=previous, chain=chain, **row)
                previous = row["hash"]
            after = rows[-1]["position"]

    def chain_versions(self) -> list[tuple[int, int]]:
        """(position, version) of every `audit.chain_versioned` row, in position order."""
        with self._pool.connection() as conn:
            return _markers(conn)

    def hashes(self, after: int, last: int) -> list[tuple[int, str, str]]:
        """(position, canonical envelope, hash) of rows in (after, last], for verification."""
        with self._pool.connection() as conn:
            rows = conn.execute(
                "SELECT position, envelope::text AS envelope, hash FROM rm_event_feed.events"
                " WHERE position > %s AND position <= %s ORDER BY position",
                (after, last),
            ).fetchall()
        return [(r["position"], r["envelope"], r["hash"]) for r in rows]

    def head(self) -> tuple[int, str] | None:
        """(position, hash) of the chain's last link built, None while the feed is empty."""
        with self._pool.connection() as conn:
            row = conn.execute(
                "SELECT position, hash FROM rm_event_feed.events ORDER BY position DESC LIMIT 1"
            ).fetchone()
        return None if row is None else (int(row["position"]), str(row["hash"]))

    def hash_at(self, position: int) -> str | None:
        """The chain's stored link at `position`, None when the feed has no row there."""
        with self._pool.connection() as conn:
            row = conn.execute(
                "SELECT hash FROM rm_event_feed.events WHERE position = %s", (position,)
            ).fetchone()
        return None if row is None else str(row["hash"])

    def moved_between(self, after: int, last: int, excluded_aggregate: str, limit: int) -> int:
        """How many rows in (after, last] are of another aggregate type than
        `excluded_aggregate`, counting up to `limit` at most (a bounded read)."""
        with self._pool.connection() as conn:
            row = conn.execute(
                "SELECT count(*) AS n FROM (SELECT 1 FROM rm_event_feed.events"
                " WHERE position > %s AND position <= %s AND aggregate_type <> %s LIMIT %s) s",
                (after, last, excluded_aggregate, limit),
            ).fetchone()
        return int(row["n"])

    def envelope_of(self, event_id: str) -> dict[str, Any] | None:
        """The wire envelope of one event by its id, None when the feed has not got it."""
        with self._pool.connection() as conn:
            row = conn.execute(
                "SELECT envelope::text AS envelope FROM rm_event_feed.events WHERE event_id = %s",
                (event_id,),
            ).fetchone()
        return None if row is None else dict(json.loads(row["envelope"]))


def _markers(conn: Any) -> list[tuple[int, int]]:
    return markers_of(
        conn.execute(MARKERS_SQL.format(table="rm_event_feed.events"), MARKERS_PARAMS).fetchall()
    )
