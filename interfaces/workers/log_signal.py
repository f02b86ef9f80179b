"""Wakes the runner's loops when new events are committed, so followers do not poll the log.

One thread LISTENs on the event store's NOTIFY channel and bumps a generation counter; loops
wait on it with a bounded timeout, so a missed notification costs at most one timeout.

With `gather_s`, under load the counter moves at most once per `gather_s`: once the loops have
been woken `gather_above` times in the last second, the notifications heard within `gather_s`
of the last wake-up are one wake-up at its end. Under a steady stream of commands that turns one
page of one event per commit, for every follower, into one page per `gather_s` holding all of
them, so each follower's fixed cost of a page (its transaction, its tracking row, its commit) is
paid once per batch rather than once per command, at a bounded cost in freshness. Below that
rate every commit wakes the loops at once: a client that writes and then reads a read model
(a saga's few commits, then a balance) finds it as fresh as without gathering.
"""

from __future__ import annotations

import collections
import logging
import threading
import time
from typing import Final

import psycopg

RECONNECT_WAIT_S: Final = 1.0
LISTEN_POLL_S: Final = 0.5
# The span over which wake-ups are counted against `gather_above`.
RATE_WINDOW_S: Final = 1.0

log = logging.getLogger(__name__)


class LogSignal:
    def __init__(
        self, database_url: str, channel: str, gather_s: float = 0.0, gather_above: int = 0
    ) -> None:
        self._url = database_url
        self._channel = channel
        self._gather_s = gather_s
        self._gather_above = gather_above
        self._woken_at = 0.0
        self._wakes: collections.deque[float] = collections.deque()  # within RATE_WINDOW_S
        self._condition = threading.Condition()
        self._generation = 0
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._listen, name="log-signal", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        self.notify()
        self._thread.join(timeout=5)

    @property
    def generation(self) -> int:
        with self._condition:
            return self._generation

    def notify(self) -> None:
        with self._condition:
            self._generation += 1
            self._condition.notify_all()

    def wait(self, seen: int, timeout_s: float) -> int:
        """Blocks until the generation moves past `seen` or the timeout passes."""
        with self._condition:
            self._condition.wait_for(lambda: self._generation != seen, timeout=timeout_s)
            return self._generation

    def _listen(self) -> None:
        while not self._stopping.is_set():
            try:
                with psycopg.connect(self._url, autocommit=True, connect_timeout=10) as conn:
                    conn.execute(f'LISTEN "{self._channel}"')
                    while not self._stopping.is_set():
                        if self._heard(conn):
                            self._gather(conn)
                            self.notify()
            except psycopg.Error as error:
                log.warning("log signal lost its connection, reconnecting: %s", error)
                self._stopping.wait(RECONNECT_WAIT_S)

    def _heard(self, conn: psycopg.Connection[object]) -> bool:
        """Whether a notification arrived within LISTEN_POLL_S."""
        heard = False
        for _ in conn.notifies(timeout=LISTEN_POLL_S, stop_after=1):
            heard = True
        return heard

    def _gather(self, conn: psycopg.Connection[object]) -> None:
        """Under load, within `gather_s` of the last wake-up, hears out the rest of the window
        first: every notification in it is answered by the one wake-up at its end."""
        now = time.monotonic()
        wakes = self._wakes
        while wakes and wakes[0] <= now - RATE_WINDOW_S:
            wakes.popleft()
        rest = self._woken_at + self._gather_s - now
        if rest > 0 and len(wakes) >= self._gather_above:
            for _ in conn.notifies(timeout=rest):
                pass
        self._woken_at = time.monotonic()
        wakes.append(self._woken_at)
