"""The log's commits as heard by one API process: the event store's NOTIFY (sent inside each
appending transaction, so delivered at its commit, on every instance) wakes the feed fan-out on
the event loop and the read-your-writes and `Prefer: wait` waits in handler threads.

It is the runner's LogSignal (one LISTEN connection, a generation counter), plus a wake-up for
asyncio. A wake-up is only a hint to read again: a notification lost with the connection costs
a waiter at most its bounded timeout, never an event.
"""

from __future__ import annotations

import asyncio
import contextlib

from interfaces.workers.log_signal import LogSignal


class CommitSignal(LogSignal):
    def __init__(self, database_url: str, channel: str) -> None:
        super().__init__(database_url, channel)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._moved: asyncio.Event | None = None
        self.started = False

    def start(self) -> None:
        """Starts listening; called on the event loop that awaits `changed`."""
        self._loop = asyncio.get_running_loop()
        self._moved = asyncio.Event()
        super().start()
        self.started = True

    def stop(self) -> None:
        if self.started:
            super().stop()
            self.started = False

    def notify(self) -> None:
        super().notify()
        loop = self._loop
        if loop is not None:
            with contextlib.suppress(RuntimeError):  # the loop closed first: nobody waits
                loop.call_soon_threadsafe(self._wake)

    def _wake(self) -> None:
        if self._moved is not None:
            moved, self._moved = self._moved, asyncio.Event()
            moved.set()

    async def changed(self, seen: int, timeout_s: float) -> None:
        """On the event loop: returns once the generation moves past `seen`, or on timeout."""
        if self.generation != seen:
            return
        if self._moved is None:  # not started (no lifespan): wait out the timeout
            await asyncio.sleep(max(timeout_s, 0.0))
            return
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(self._moved.wait(), timeout=max(timeout_s, 0.0))
