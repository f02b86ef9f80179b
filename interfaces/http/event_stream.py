"""One SSE connection: frames of the event feed from a position, then live, until it ends.

Catch-up and live are the same loop over the same table: read rows after the last position
sent, send them, wait for a wake-up (or the poll interval), repeat. So a stream resumed from any
position sees every later event once, in order, on any API instance. Each frame is
`id: <position>` / `event: <type>` / `data: <canonical envelope>`; the first also carries the
reconnection hint (`retry:`), folded into it because a frame of its own is an empty event to
most clients. A comment line every SSE_HEARTBEAT_S keeps proxies from closing an idle stream and
renews the connection's slot.
"""

from __future__ import annotations

import contextlib
import logging
import time
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final, TypeVar

import anyio
import psycopg
import redis

from infrastructure.observability import metrics
from interfaces.http.edge.errors import TooManyStreamsError
from projections.event_feed.view import FeedFilter, StreamRead, StreamRow

if TYPE_CHECKING:
    from interfaces.http.live_feed import LiveFeed

T = TypeVar("T")

PAGE_SIZE: Final = 200
# Streams re-read the feed at least this often even without a wake-up from Redis.
POLL_S: Final = 2.0
# A slot lapses after this many missed heartbeats (a crashed instance frees its slots).
SLOT_LEASE_HEARTBEATS: Final = 3
RECONNECT_HINT_MS: Final = 3000
HEARTBEAT: Final = b": heartbeat\n\n"

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class StreamStart:
    """Where a stream begins: after `position`, or at the feed's current end when None."""

    position: int | None


def frame(row: StreamRow) -> bytes:
    return f"id: {row.position}\nevent: {row.type}\ndata: {row.envelope}\n\n".encode()


class EventStream:
    def __init__(self, live: LiveFeed, key_id: str, start: StreamStart, wanted: FeedFilter) -> None:
        self._live = live
        self._settings = live.settings
        self._slots = live.slots
        self._feed = live.feed
        self._group = f"sse:{key_id}"
        self._holder = uuid.uuid4().hex
        self._start = start
        self._wanted = wanted

    @property
    def _lease_s(self) -> float:
        return float(self._settings.sse_heartbeat_s * SLOT_LEASE_HEARTBEATS)

    async def claim_slot(self) -> None:
        limit = self._settings.sse_connections_per_key_max
        taken = await anyio.to_thread.run_sync(
            self._slots.acquire, self._group, self._holder, limit, self._lease_s
        )
        if not taken:
            raise TooManyStreamsError(
                f"this API key already has {limit} event streams open", limit=limit
            )

    async def frames(self) -> AsyncIterator[bytes]:
        metrics.SSE_STREAMS_OPENED.inc()
        metrics.SSE_STREAMS.inc()
        try:
            hint = f"retry: {RECONNECT_HINT_MS}\n".encode()  # sent with the first event
            after = self._start.position
            if after is None:
                after = await self._in_thread(self._feed.position)
            heartbeat_s = float(self._settings.sse_heartbeat_s)
            beat_at = time.monotonic() + heartbeat_s
            while not self._live.closing:
                if time.monotonic() >= beat_at:
                    yield HEARTBEAT
                    await self._renew_slot()
                    beat_at = time.monotonic() + heartbeat_s
                seen = self._live.generation  # before reading: a wake-up during it is not lost
                try:
                    read: StreamRead = await self._in_thread(
                        self._feed.published_after, after, self._wanted, PAGE_SIZE
                    )
                except psycopg.Error as error:
                    # The client stays connected and keeps its place; the next read retries.
                    log.warning("event stream could not read the feed: %s", error)
                    await self._live.wait(self._live.generation, POLL_S)
                    continue
                if read.rows:
                    yield hint + b"".join(frame(row) for row in read.rows)
                    hint = b""
                after = read.scanned_to
                if len(read.rows) == PAGE_SIZE:
                    continue  # still catching up
                await self._live.wait(seen, min(beat_at - time.monotonic(), POLL_S))
        finally:
            metrics.SSE_STREAMS.dec()
            await self._release()

    async def _renew_slot(self) -> None:
        # Redis unreachable: keep streaming; the lease may lapse, which only frees a slot.
        with contextlib.suppress(redis.RedisError):
            await self._in_thread(self._slots.refresh, self._group, self._holder, self._lease_s)

    async def _release(self) -> None:
        # Shielded: a disconnect cancels the stream, and the slot must still be given back
        # (if Redis is unreachable, the lease lapses on its own).
        with anyio.CancelScope(shield=True):
            with contextlib.suppress(redis.RedisError):
                await anyio.to_thread.run_sync(self._slots.release, self._group, self._holder)

    async def _in_thread(self, function: Callable[..., T], *args: Any) -> T:
        return await anyio.to_thread.run_sync(function, *args, limiter=self._live.reads)
