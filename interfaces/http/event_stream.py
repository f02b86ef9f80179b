"""One SSE connection: frames of the published feed from a position, then live, until it ends.

A stream subscribes to its process's feed reader (interfaces/http/feed_fanout.py) and first
sends what lies between its start and the reader's position: from the reader's recent window
when it reaches back that far, else read from the log page by page. Then it sends what the
reader hands it, skipping anything at or below the last position sent. So a stream resumed from
any position sees every later event once, in order, on any API instance. A stream the reader
cuts loose (it fell SUBSCRIBER_BUFFER_MAX events behind) goes back to catching up from the log
and subscribes again. Each frame is `id: <position>` / `event: <type>` / `data: <canonical
envelope>`; the first also carries the reconnection hint (`retry:`), folded into it because a
frame of its own is an empty event to most clients. A comment line every SSE_HEARTBEAT_S keeps
proxies from closing an idle stream and renews the connection's slot.
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
import redis

from infrastructure.observability import metrics
from infrastructure.outages import is_outage
from interfaces.http.edge.errors import TooManyStreamsError
from interfaces.http.feed_fanout import Subscription, frame
from projections.event_feed.view import FeedFilter

if TYPE_CHECKING:
    from interfaces.http.live_feed import LiveFeed

T = TypeVar("T")

# After a failed read of the log (the database is down) a stream tries again this much later.
RETRY_S: Final = 0.5
# A slot lapses after this many missed heartbeats (a crashed instance frees its slots).
SLOT_LEASE_HEARTBEATS: Final = 3
RECONNECT_HINT_MS: Final = 3000
# A stream opening while its process's feed reader rests waits this long for it to wake (one
# read of the log's head) before catching up from the log on its own.
READER_WAKE_WAIT_S: Final = 1.0
HEARTBEAT: Final = b": heartbeat\n\n"

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class StreamStart:
    """Where a stream begins: after `position`, or at the feed's current end when None."""

    position: int | None


class EventStream:
    def __init__(self, live: LiveFeed, key_id: str, start: StreamStart, wanted: FeedFilter) -> None:
        self._live = live
        self._settings = live.settings
        self._slots = live.slots
        self._fanout = live.fanout
        self._group = f"sse:{key_id}"
        self._holder = uuid.uuid4().hex
        self._start = start
        self._wanted = wanted
        self._hint = b""
        self._beat_at = 0.0

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
        self._hint = f"retry: {RECONNECT_HINT_MS}\n".encode()  # sent with the first event
        heartbeat_s = float(self._settings.sse_heartbeat_s)
        self._beat_at = time.monotonic() + heartbeat_s
        try:
            after = self._start.position
            if after is None:
                after = await self._fanout.current()
            while not self._live.closing:
                subscription = await self._fanout.joined(
                    self._wanted, min(self._until_beat(), READER_WAKE_WAIT_S)
                )
                try:
                    async for chunk in self._catch_up(after, subscription):
                        if isinstance(chunk, int):
                            after = chunk
                        else:
                            yield chunk
                    if subscription is None:
                        await self._live.wait_for_reader(self._until_beat())
                        continue
                    async for chunk in self._follow(after, subscription):
                        if isinstance(chunk, int):
                            after = chunk
                        else:
                            yield chunk
                finally:
                    if subscription is not None:
                        self._fanout.unsubscribe(subscription)
        finally:
            metrics.SSE_STREAMS.dec()
            await self._release()

    async def _catch_up(
        self, after: int, subscription: Subscription | None
    ) -> AsyncIterator[bytes | int]:
        """Frames of (after, the reader's position when subscribing]: from the window, else
        from the log; yields each new `after` (an int) after the frames it covers."""
        upto = subscription.joined_at if subscription is not None else None
        if upto is not None:
            recent = self._fanout.recent(after, upto, self._wanted)
            if recent is not None:
                if recent:
                    yield self._framed(b"".join(e.frame for e in recent))
                yield max(after, upto)
                return
        while not self._live.closing and (upto is None or after < upto):
            if subscription is not None and subscription.cut_loose:
                return
            async for chunk in self._beat():
                yield chunk
            try:
                read = await self._fanout.read_log(after, upto)
            except Exception as error:
                if not is_outage(error):
                    raise
                # The client stays connected and keeps its place; the next read retries.
                log.warning("event stream could not read the log: %s", error)
                await anyio.sleep(RETRY_S)
                continue
            wanted = [frame(e.row) for e in read.events if e.wanted_by(self._wanted)]
            if wanted:
                yield self._framed(b"".join(wanted))
            after = read.scanned_to
            yield after
            if upto is None and not read.full:
                return  # the reader has not started: caught up with the log as it is now

    async def _follow(self, after: int, subscription: Subscription) -> AsyncIterator[bytes | int]:
        """Frames the reader hands over, until it cuts the subscription loose or we close."""
        while not self._live.closing and not subscription.cut_loose:
            async for chunk in self._beat():
                yield chunk
            events = await subscription.take(self._until_beat())
            fresh = [e for e in events if e.position > after]
            if fresh:
                yield self._framed(b"".join(e.frame for e in fresh))
                after = fresh[-1].position
                yield after

    def _framed(self, frames: bytes) -> bytes:
        """`frames`, with the reconnection hint before the stream's first event."""
        framed = self._hint + frames
        self._hint = b""
        return framed

    def _until_beat(self) -> float:
        return max(self._beat_at - time.monotonic(), 0.0)

    async def _beat(self) -> AsyncIterator[bytes]:
        if time.monotonic() >= self._beat_at:
            yield HEARTBEAT
            await self._renew_slot()
            self._beat_at = time.monotonic() + float(self._settings.sse_heartbeat_s)

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
        return await self._fanout.in_thread(function, *args)
