"""Write-behind for values Redis only caches: set from a thread of their own, many per round
trip, so the request that produced one never waits for Redis nor pays a round trip for it.

What is written here must be a cache of something PostgreSQL holds (a completed idempotent
response: infrastructure/postgres/idempotency.py): a write that is late, lost with the process,
dropped because the queue is full or refused because Redis is down only costs a later reader
its PostgreSQL lookup. Writes are applied in the order they were queued.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from typing import Final

import redis

# Writes queued at most; past it a write is dropped (Redis is down or far behind).
WRITES_QUEUED_MAX: Final = 10_000
# Writes sent in one pipeline.
WRITES_PER_ROUND_TRIP_MAX: Final = 500
# After a first write is queued the writer waits this long for more to share its round trip
# (a cached response a few milliseconds late only sends a retry in that moment to PostgreSQL).
GATHER_S: Final = 0.02
# After a failed round trip the writer drops what it took and pauses this long.
FAILURE_PAUSE_S: Final = 1.0
# `close` waits at most this long for the writes already queued.
CLOSE_WAIT_S: Final = 2.0

log = logging.getLogger(__name__)


class WriteBehind:
    def __init__(self, client: redis.Redis, name: str) -> None:
        self._client = client
        self._name = name
        self._queue: deque[tuple[str, bytes, int]] = deque()
        self._condition = threading.Condition()
        self._writing = 0  # writes taken by the writer and not yet sent
        self._closed = False
        self._thread: threading.Thread | None = None
        self.dropped = 0

    def set(self, key: str, value: bytes, ttl_s: int) -> None:
        """Queues `SET key value EX ttl_s`; returns at once."""
        with self._condition:
            if self._closed:
                return
            if len(self._queue) >= WRITES_QUEUED_MAX:
                self.dropped += 1
                return
            self._queue.append((key, value, ttl_s))
            if self._thread is None:  # started on first use: after any fork of the process
                self._thread = threading.Thread(
                    target=self._run, name=f"{self._name}-write-behind", daemon=True
                )
                self._thread.start()
            if len(self._queue) == 1:  # the writer waits for a first write, not each one
                self._condition.notify()

    def flush(self, timeout_s: float) -> bool:
        """Waits until every write queued so far was sent (or dropped); False on timeout."""
        deadline = time.monotonic() + timeout_s
        with self._condition:
            while self._queue or self._writing:
                left_s = deadline - time.monotonic()
                if left_s <= 0:
                    return False
                self._condition.wait(left_s)
        return True

    def close(self) -> None:
        self.flush(CLOSE_WAIT_S)
        with self._condition:
            self._closed = True
            self._condition.notify_all()
        if self._thread is not None:
            self._thread.join(timeout=CLOSE_WAIT_S)

    def _run(self) -> None:
        while True:
            with self._condition:
                self._condition.wait_for(lambda: self._queue or self._closed)
                if not self._queue:
                    return
                if not self._closed:
                    self._condition.wait(GATHER_S)  # let more writes join this round trip
                count = min(len(self._queue), WRITES_PER_ROUND_TRIP_MAX)
                taken = [self._queue.popleft() for _ in range(count)]
                self._writing = len(taken)
            failed = not self._send(taken)
            with self._condition:
                self._writing = 0
                self._condition.notify_all()
            if failed:
                time.sleep(FAILURE_PAUSE_S)

    def _send(self, writes: list[tuple[str, bytes, int]]) -> bool:
        try:
            pipeline = self._client.pipeline(transaction=False)
            for key, value, ttl_s in writes:
                pipeline.set(key, value, ex=ttl_s)
            pipeline.execute()
        except redis.RedisError as error:
            self.dropped += len(writes)
            log.warning("cache unavailable, %d writes dropped: %s", len(writes), error)
            return False
        return True
