"""The live side of SSE in one API process: the commit signal, the one feed reader that hands
every new event to every stream here, the limit on concurrent log reads, and the switch that
ends all streams when the server shuts down.

Streams receive events from the reader, which reads them from the log itself, so every instance
serves the same events in the same order; nothing travels through Redis. Owned by the app:
started on startup, closed when the server begins shutting down (interfaces/http/edge/server.py)
and again on shutdown.
"""

from __future__ import annotations

from typing import Final

import anyio

from application.ledger import Ledger
from infrastructure.redis.slots import Slots
from interfaces.http.commit_signal import CommitSignal
from interfaces.http.event_stream import EventStream, StreamStart
from interfaces.http.feed_fanout import FeedFanout
from interfaces.settings import Settings
from projections.event_feed.log_tail import LogTail
from projections.event_feed.view import FeedFilter, FeedView

# Log reads running at once in this process (the reader's and streams' catch-ups), so streams
# never take every worker thread or every pooled connection from commands.
FEED_READS_MAX: Final = 4
# A stream that opened before the reader's first read looks again this often.
READER_START_WAIT_S: Final = 0.05


class LiveFeed:
    def __init__(
        self,
        feed: FeedView,
        slots: Slots,
        settings: Settings,
        ledger: Ledger,
        signal: CommitSignal,
    ) -> None:
        self.feed = feed
        self.slots = slots
        self.settings = settings
        self.signal = signal
        self.closing = False
        self.reads = anyio.CapacityLimiter(FEED_READS_MAX)
        self.fanout = FeedFanout(LogTail(ledger), signal, self.reads)

    async def start(self) -> None:
        if not self.signal.started:
            self.signal.start()
        await self.fanout.start()

    def close(self) -> None:
        """Ends every stream of this process at its next wake-up (now, for idle ones)."""
        self.closing = True
        self.fanout.close()

    async def stop(self) -> None:
        self.close()
        await self.fanout.stop()
        await anyio.to_thread.run_sync(self.signal.stop)

    async def wait_for_reader(self, timeout_s: float) -> None:
        """A short pause for a stream waiting for the reader's first read (or for close)."""
        await anyio.sleep(min(timeout_s, READER_START_WAIT_S))

    async def open(self, key_id: str, start: StreamStart, wanted: FeedFilter) -> EventStream:
        """A stream for `key_id`, holding one of its connection slots (TOO_MANY_STREAMS when
        it has none left)."""
        stream = EventStream(self, key_id, start, wanted)
        await stream.claim_slot()
        return stream
