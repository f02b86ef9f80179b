"""The live side of SSE in one API process: one Redis subscription that wakes every stream here
when the event feed moves, the limit on concurrent feed reads, and the switch that ends all
streams when the server shuts down.

Streams never receive events from Redis, only wake-ups; they read the feed table, so every
instance serves the same events in the same order. Owned by the app: started on startup, closed
when the server begins shutting down (interfaces/http/edge/server.py) and again on shutdown.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Final

import anyio

from infrastructure.redis.feed_channel import FeedListener
from infrastructure.redis.slots import Slots
from interfaces.http.event_stream import EventStream, StreamStart
from interfaces.settings import Settings
from projections.event_feed.view import FeedFilter, FeedView

# Feed reads running at once in this process, so streams never take every worker thread or
# every pooled connection from commands.
FEED_READS_MAX: Final = 4

log = logging.getLogger(__name__)


class LiveFeed:
    def __init__(self, feed: FeedView, slots: Slots, settings: Settings, redis_url: str) -> None:
        self.feed = feed
        self.slots = slots
        self.settings = settings
        self._redis_url = redis_url
        self.generation = 0
        self.closing = False
        self.reads = anyio.CapacityLimiter(FEED_READS_MAX)
        self._changed: asyncio.Event | None = None
        self._listener: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self._changed = asyncio.Event()
        listener = FeedListener(self._redis_url, self.settings.broker_namespace, self.signal)
        self._listener = asyncio.create_task(listener.run(), name="event-feed-listener")

    def close(self) -> None:
        """Ends every stream of this process at its next wake-up (now, for idle ones)."""
        self.closing = True
        self.signal()

    async def stop(self) -> None:
        self.close()
        if self._listener is not None:
            self._listener.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._listener
            self._listener = None

    def signal(self) -> None:
        """The feed moved (or may have): wake every waiting stream."""
        self.generation += 1
        if self._changed is not None:
            changed, self._changed = self._changed, asyncio.Event()
            changed.set()

    async def wait(self, seen: int, timeout_s: float) -> None:
        """Returns once the generation moves past `seen`, the feed is closing, or on timeout."""
        if self.generation != seen or self.closing:
            return
        if self._changed is None:  # not started (no lifespan): poll
            await asyncio.sleep(max(timeout_s, 0.0))
            return
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(self._changed.wait(), timeout=max(timeout_s, 0.0))

    async def open(self, key_id: str, start: StreamStart, wanted: FeedFilter) -> EventStream:
        """A stream for `key_id`, holding one of its connection slots (TOO_MANY_STREAMS when
        it has none left)."""
        stream = EventStream(self, key_id, start, wanted)
        await stream.claim_slot()
        return stream
