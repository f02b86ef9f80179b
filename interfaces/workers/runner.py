"""The loop engine of `ledgerline runner`: named singleton loops, each led by whoever holds its
advisory lock, so a second runner is a hot standby for every loop (the loops themselves are
catalogued in loops.py).

A loop's step does a bounded amount of work and says whether it did any; idle loops sleep until
the log signals new events or their interval passes. A failing step is logged and retried with
backoff; it never takes the other loops down. An outage of PostgreSQL or Redis is one warning
line, not a traceback, and its backoff stays short (OUTAGE_BACKOFF_MAX_S), so every loop is back
within seconds of the store.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Final

from application.log_context import bound
from infrastructure.observability import metrics
from infrastructure.outages import is_outage
from infrastructure.postgres.leadership import Leadership
from interfaces.workers.log_signal import LogSignal
from projections.log_reader import LogReader

STANDBY_POLL_S: Final = 1.0
IDLE_WAIT_S: Final = 1.0
ERROR_BACKOFF_S: Final = 0.2
ERROR_BACKOFF_MAX_S: Final = 10.0
# Asking a store that is down again costs one refused connection: back off less.
OUTAGE_BACKOFF_MAX_S: Final = 2.0
# On SIGTERM each loop finishes its step within this bound; its lock is released as it ends.
RUNNER_STOP_S: Final = 10.0
# Loops following the log are woken at most this often under load (log_signal.py): a follower
# then applies one page per window instead of one per command, and a row is visible within
# about this much more than its page's own cost (`projection_lag` in `make bench`).
WAKE_GATHER_S: Final = 0.04
# Load, for that purpose, is this many wake-ups in the last second; below it every commit wakes
# the loops at once (a saga's commits, then the client's read, stay as fresh as ever).
WAKE_GATHER_ABOVE_PER_S: Final = 20

log = logging.getLogger(__name__)

Step = Callable[[], bool]


@dataclass
class Loop:
    """A named singleton: `prepare` runs once per leadership term, `step` repeatedly."""

    name: str
    step: Step
    prepare: Callable[[], None] = field(default=lambda: None)
    idle_wait_s: float = IDLE_WAIT_S
    follows_log: bool = True
    # The process's shared reader of the log, when the step reads its pages from one.
    reader: LogReader | None = None


class Runner:
    def __init__(
        self,
        database_url: str,
        loops: list[Loop],
        *,
        log_channel: str,
        stopping: threading.Event | None = None,
    ) -> None:
        """`log_channel`: the event store's NOTIFY channel, which wakes loops following the log;
        `stopping`, when given, is the event `stop` sets (long steps may watch it too)."""
        self._database_url = database_url
        self._loops = loops
        self._stopping = stopping or threading.Event()
        self._signal = LogSignal(
            database_url,
            channel=log_channel,
            gather_s=WAKE_GATHER_S,
            gather_above=WAKE_GATHER_ABOVE_PER_S,
        )
        # Shared readers read again only when a notification (or a lost one's timeout) says so.
        for reader in {id(loop.reader): loop.reader for loop in loops if loop.reader}.values():
            reader.follow(lambda: self._signal.generation)
        self._threads = [
            threading.Thread(target=self._run, args=(loop,), name=loop.name, daemon=True)
            for loop in loops
        ]
        self.leading: dict[str, bool] = {loop.name: False for loop in loops}

    def start(self) -> None:
        self._signal.start()
        for thread in self._threads:
            thread.start()

    def stop(self, timeout_s: float = RUNNER_STOP_S) -> None:
        self._stopping.set()
        self._signal.notify()
        deadline = time.monotonic() + timeout_s
        for thread in self._threads:
            thread.join(timeout=max(deadline - time.monotonic(), 0.1))
        self._signal.stop()

    def wait(self) -> None:
        while not self._stopping.wait(1.0):
            pass

    def _run(self, loop: Loop) -> None:
        with bound(loop=loop.name):
            self._lead_or_stand_by(loop)

    def _lead_or_stand_by(self, loop: Loop) -> None:
        leadership = Leadership(self._database_url, loop.name)
        try:
            while not self._stopping.is_set():
                if not self._lead(leadership, loop):
                    self._stopping.wait(STANDBY_POLL_S)
                    continue
                self._follow(loop, leadership)
        finally:
            leadership.release()
            self._set_leading(loop.name, False)

    def _lead(self, leadership: Leadership, loop: Loop) -> bool:
        was_leading = leadership.is_leader
        try:
            leading = leadership.try_acquire()
        except Exception as error:  # the database is unreachable: stand by and retry
            log.warning("loop %s cannot reach the database: %s", loop.name, error)
            return False
        if leading and not was_leading:
            log.info("loop %s: leading", loop.name)
            try:
                loop.prepare()
            except Exception as error:
                if not is_outage(error):
                    log.exception("loop %s failed to prepare; releasing leadership", loop.name)
                else:
                    log.warning("loop %s cannot prepare, a store is down: %s", loop.name, error)
                leadership.release()
                return False
        self._set_leading(loop.name, leading)
        return leading

    def _follow(self, loop: Loop, leadership: Leadership) -> None:
        backoff_s = ERROR_BACKOFF_S
        while not self._stopping.is_set() and leadership.try_acquire():
            seen = self._signal.generation
            try:
                busy = loop.step()
                backoff_s = ERROR_BACKOFF_S
            except Exception as error:
                backoff_s = self._after_failure(loop, error, backoff_s)
                continue
            if busy:
                continue
            if loop.follows_log:
                self._signal.wait(seen, loop.idle_wait_s)
            else:
                self._stopping.wait(loop.idle_wait_s)
        self._set_leading(loop.name, False)

    def _after_failure(self, loop: Loop, error: Exception, backoff_s: float) -> float:
        """Waits out a failed step; returns the next backoff."""
        if is_outage(error):
            backoff_s = min(backoff_s, OUTAGE_BACKOFF_MAX_S)
            log.warning(
                "loop %s waits for a store (%s: %s); retrying in %.1fs",
                loop.name,
                type(error).__name__,
                str(error).strip().splitlines()[0] if str(error).strip() else "",
                backoff_s,
            )
            self._stopping.wait(backoff_s)
            return min(backoff_s * 2, OUTAGE_BACKOFF_MAX_S)
        log.exception("loop %s step failed; retrying in %.1fs", loop.name, backoff_s)
        self._stopping.wait(backoff_s)
        return min(backoff_s * 2, ERROR_BACKOFF_MAX_S)

    def _set_leading(self, name: str, leading: bool) -> None:
        self.leading[name] = leading
        metrics.RUNNER_LEADER.labels(name).set(1 if leading else 0)
