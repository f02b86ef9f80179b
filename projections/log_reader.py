"""One reader of the log for every follower in a process: each page is selected and decoded once
and handed to every projection that asks for it.

The reader keeps a window of the most recent events of every topic, `(start, end]`. A follower
whose position lies in the window is served from memory; one behind it (just started, rebuilding,
or stopped by a failure) gets None and reads the log for itself, so a slow or failing follower
never holds the others back. Wake-ups are coalesced: the log is asked again only once the log
signal's generation has moved (a burst of NOTIFYs is one read), or after REFRESH_MAX_AGE_S in
case a notification was lost. The page is read without a head query: writers commit positions
in order under the log's table lock, so the last row read is the end of what is committed.
"""

from __future__ import annotations

import bisect
import threading
import time
from collections.abc import Callable
from typing import Any, Final

from application.ledger import Ledger

PAGE_SIZE: Final = 1000
# Followers this far behind the newest page read for themselves.
WINDOW_PAGES_MAX: Final = 10
# A lost notification delays a follower by at most this long.
REFRESH_MAX_AGE_S: Final = 1.0

Page = tuple[int, list[tuple[int, Any]]]


class LogReader:
    def __init__(self, ledger: Ledger, page_size: int = PAGE_SIZE) -> None:
        self._ledger = ledger
        self.page_size = page_size
        self._lock = threading.Lock()
        self._positions: list[int] = []
        self._events: list[tuple[int, Any]] = []
        self._start: int | None = None
        self._end = 0
        self._more = False
        self._read_generation: int | None = None
        self._read_at = 0.0
        self._generation: Callable[[], int] | None = None
        self.reads = 0

    def follow(self, generation: Callable[[], int]) -> None:
        """Reads again only when `generation` (the log signal's counter) has moved."""
        self._generation = generation

    def page(self, after: int) -> Page | None:
        """Events of every topic in `(after, end]`, at most a page of them, and `end` (== `after`
        when nothing new was committed); None when `after` lies behind the window."""
        with self._lock:
            if self._start is None or after > self._end:
                self._reset(after)
            if after < self._start:  # type: ignore[operator]  # set by _reset
                return None
            if after == self._end and self._stale():
                self._read_more()
            return self._slice(after)

    def _reset(self, start: int) -> None:
        self._start, self._end = start, start
        self._positions, self._events = [], []
        self._read_generation, self._more = None, False

    def _stale(self) -> bool:
        if self._more or self._read_generation is None or self._generation is None:
            return True
        moved = self._generation() != self._read_generation
        return moved or time.monotonic() - self._read_at >= REFRESH_MAX_AGE_S

    def _read_more(self) -> None:
        # The generation is taken before the read: a commit notified during it reads again.
        self._read_generation = self._generation() if self._generation else None
        self._read_at = time.monotonic()
        events = self._ledger.read(after=self._end, limit=self.page_size)
        self.reads += 1
        self._more = len(events) == self.page_size
        if not events:
            return
        self._events.extend(events)
        self._positions.extend(position for position, _ in events)
        self._end = events[-1][0]
        excess = len(self._events) - WINDOW_PAGES_MAX * self.page_size
        if excess > 0:
            self._start = self._positions[excess - 1]
            del self._events[:excess], self._positions[:excess]

    def _slice(self, after: int) -> Page:
        first = bisect.bisect_right(self._positions, after)
        chunk = self._events[first : first + self.page_size]
        end = chunk[-1][0] if len(chunk) == self.page_size else self._end
        return end, chunk
