"""The sandbox's "now": wall-clock time plus an offset that tests and operators can advance.

Ledger close times come from here and never go backwards, so time bounds (`tx_too_late`), escrow
timestamps and ingest-lag deadlines all read one clock. Advancing it is how a test reaches a
transaction's `max_time` without sleeping.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable


class LedgerClock:
    """Reads an injectable time source and adds a monotonically growing offset."""

    def __init__(self, time_source_s: Callable[[], float] = time.time, offset_s: float = 0.0):
        self._time_source_s = time_source_s
        self._offset_s = offset_s
        self._lock = threading.Lock()

    @property
    def offset_s(self) -> float:
        return self._offset_s

    def now_s(self) -> float:
        with self._lock:
            return self._time_source_s() + self._offset_s

    def advance(self, seconds: float) -> float:
        """Moves time forward (never back) and returns the new now."""
        if seconds < 0:
            raise ValueError("the ledger clock only moves forward")
        with self._lock:
            self._offset_s += seconds
            return self._time_source_s() + self._offset_s

    def close_time_s(self, previous_close_s: int) -> int:
        """The close time of the next ledger: now, but never earlier than the previous close."""
        return max(int(self.now_s()), previous_close_s)
