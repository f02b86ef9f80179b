"""One reader of the published feed per API process, handing each new event to every stream.

The reader follows the log itself (projections/event_feed/log_tail.py), woken by the commit
signal, so a stream hears of an event within milliseconds of its commit and never waits for the
event_feed projection. Each page is read and encoded once, whatever the number of streams; each
subscription keeps only the events its filter wants. A recent window of events lets a stream
that resumes a little behind join without reading the database.

A subscriber never slows the reader or another subscriber: its buffer holds at most
SUBSCRIBER_BUFFER_MAX events, and past that it is cut loose (its buffer dropped) and its stream
falls back to catching up from the log from the last position it sent, then subscribes again.
Nothing is lost or repeated, because a stream resumes by position.

The reader reads only for streams: once none has been open for LINGER_S it rests, reading
nothing (an API process busy with commands alone spends nothing on SSE), and the next stream to
subscribe wakes it; it starts again from the log's head with an empty window, and the stream
catches up to there from the log as a resumed one does.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final, TypeVar

import anyio

from infrastructure.outages import is_outage
from interfaces.http.commit_signal import CommitSignal
from projections.event_feed.log_tail import FeedEvent, LogTail, TailRead
from projections.event_feed.view import FeedFilter, StreamRow

T = TypeVar("T")

# Log positions the reader takes in one read.
PAGE_SIZE: Final = 500
# Recent events kept for streams that join a little behind (memory: ~1-2 kB an event).
WINDOW_EVENTS_MAX: Final = 5_000
# Events waiting for one stream before it is cut loose to catch up from the log on its own.
SUBSCRIBER_BUFFER_MAX: Final = 2_000
# The reader re-reads at least this often, should a notification be lost with its connection.
IDLE_READ_S: Final = 2.0
# After a failed read (the database is down) the reader tries again this much later.
RETRY_S: Final = 0.5
# With no stream open for this long the reader rests (long enough that clients reconnecting
# after a blip still resume from the window).
LINGER_S: Final = 30.0

log = logging.getLogger(__name__)


def frame(row: StreamRow) -> bytes:
    return f"id: {row.position}\nevent: {row.type}\ndata: {row.envelope}\n\n".encode()


@dataclass(frozen=True, slots=True)
class Published:
    """An event as the reader hands it out, its SSE frame encoded once for every stream."""

    event: FeedEvent
    frame: bytes

    @property
    def position(self) -> int:
        return self.event.position


class Subscription:
    """What one stream receives from the reader: events after `joined_at` its filter wants."""

    def __init__(self, wanted: FeedFilter, joined_at: int, buffer_max: int) -> None:
        self.wanted = wanted
        self.joined_at = joined_at
        self.cut_loose = False
        self._buffer_max = buffer_max
        self._events: collections.deque[Published] = collections.deque()
        self._ready = asyncio.Event()

    def offer(self, events: list[Published]) -> bool:
        """Keeps the wanted ones; False when the buffer overflowed (the subscription ends)."""
        wanted = [e for e in events if e.event.wanted_by(self.wanted)]
        if len(self._events) + len(wanted) > self._buffer_max:
            self._events.clear()
            self.cut_loose = True
            self._ready.set()
            return False
        if wanted:
            self._events.extend(wanted)
            self._ready.set()
        return True

    def end(self) -> None:
        self._ready.set()

    async def take(self, timeout_s: float) -> list[Published]:
        """The events buffered so far, waiting up to `timeout_s` for one (empty on timeout,
        on close, or when cut loose)."""
        if not self._events and not self.cut_loose:
            self._ready.clear()
            try:
                await asyncio.wait_for(self._ready.wait(), timeout=max(timeout_s, 0.0))
            except TimeoutError:
                return []
        taken = list(self._events)
        self._events.clear()
        return taken


class FeedFanout:
    def __init__(
        self,
        tail: LogTail,
        signal: CommitSignal,
        reads: anyio.CapacityLimiter,
        *,
        page_size: int = PAGE_SIZE,
        window_max: int = WINDOW_EVENTS_MAX,
        buffer_max: int = SUBSCRIBER_BUFFER_MAX,
        linger_s: float = LINGER_S,
    ) -> None:
        self._tail = tail
        self._signal = signal
        self._reads = reads
        self._page_size = page_size
        self._buffer_max = buffer_max
        self._window: collections.deque[Published] = collections.deque(maxlen=window_max)
        # Every published event in (window_from, position] is in the window.
        self.window_from = 0
        self.position: int | None = None
        self._subscriptions: set[Subscription] = set()
        self._task: asyncio.Task[None] | None = None
        self._linger_s = linger_s
        # Since when no stream has been subscribed (the reader starts resting).
        self._alone_since = -math.inf
        self._wanted = asyncio.Event()  # a stream asked for the resting reader
        self._awake = asyncio.Event()  # the reader has taken its place at the head

    async def start(self) -> None:
        self._task = asyncio.create_task(self._follow(), name="event-feed-reader")

    async def stop(self) -> None:
        self.close()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    def close(self) -> None:
        for subscription in self._subscriptions:
            subscription.end()
        self._subscriptions.clear()

    async def current(self) -> int:
        """How far the reader has read (the log's head before its first read)."""
        if self.position is None:
            return await self.in_thread(self._tail.head)
        return self.position

    def subscribe(self, wanted: FeedFilter) -> Subscription | None:
        """A subscription receiving every wanted event after `joined_at` (None while the reader
        rests or has not read yet — it is woken — and streams then read the log themselves)."""
        if self.position is None:
            self._wanted.set()
            return None
        subscription = Subscription(wanted, self.position, self._buffer_max)
        self._subscriptions.add(subscription)
        return subscription

    async def joined(self, wanted: FeedFilter, timeout_s: float) -> Subscription | None:
        """`subscribe`, waiting up to `timeout_s` for a resting reader to wake."""
        subscription = self.subscribe(wanted)
        if subscription is None and timeout_s > 0:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._awake.wait(), timeout_s)
            subscription = self.subscribe(wanted)
        return subscription

    def unsubscribe(self, subscription: Subscription) -> None:
        self._subscriptions.discard(subscription)
        if not self._subscriptions:
            self._alone_since = time.monotonic()

    def recent(self, after: int, upto: int, wanted: FeedFilter) -> list[Published] | None:
        """Wanted events in (after, upto] from the window; None when it does not reach back."""
        if after < self.window_from:
            return None
        return [e for e in self._window if after < e.position <= upto and e.event.wanted_by(wanted)]

    async def read_log(self, after: int, stop: int | None) -> TailRead:
        """One page of the log after `after` (catch-up, or the reader's own read)."""
        return await self.in_thread(self._tail.read, after, self._page_size, stop)

    async def in_thread(self, function: Callable[..., T], *args: Any) -> T:
        return await anyio.to_thread.run_sync(function, *args, limiter=self._reads)

    async def _follow(self) -> None:
        while True:
            if not self._subscriptions and time.monotonic() - self._alone_since >= self._linger_s:
                await self._rest()
            seen = self._signal.generation  # before reading: a commit during it is not lost
            try:
                if self.position is None:
                    self.position = self.window_from = await self.in_thread(self._tail.head)
                    self._awake.set()
                while await self._read_page():
                    pass
            except Exception as error:
                if not is_outage(error):
                    log.exception("event feed reader failed; retrying")
                else:
                    log.warning("event feed reader could not read the log: %s", error)
                await asyncio.sleep(RETRY_S)
                continue
            await self._signal.changed(seen, IDLE_READ_S)

    async def _rest(self) -> None:
        """Forgets its place and window, and waits for a stream to ask for it."""
        self._awake.clear()
        self.position = None
        self._window.clear()
        self.window_from = 0
        await self._wanted.wait()  # set by a stream that found it resting, maybe before now
        self._wanted.clear()
        # Woken for a stream that has yet to subscribe: linger for it as for one that left.
        self._alone_since = time.monotonic()

    async def _read_page(self) -> bool:
        """Reads and hands out one page; True when there may be more right now."""
        assert self.position is not None
        read = await self.read_log(self.position, None)
        if read.scanned_to <= self.position:
            return False
        self._hand_out(read)
        return read.full

    def _hand_out(self, read: TailRead) -> None:
        published = [Published(event, frame(event.row)) for event in read.events]
        for event in published:
            if len(self._window) == self._window.maxlen:
                self.window_from = self._window[0].position
            self._window.append(event)
        self.position = read.scanned_to
        if published:
            for subscription in list(self._subscriptions):
                if not subscription.offer(published):
                    self.unsubscribe(subscription)
