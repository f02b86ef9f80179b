"""The runner's log signal: a commit after a quiet spell wakes the loops, a burst of commits
under load is one wake-up per gathering window, not one per commit, and below the load that
gathers every commit wakes the loops at once."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
import pytest

from interfaces.workers.log_signal import LogSignal
from tests.support.waiting import wait_until

pytestmark = pytest.mark.integration

CHANNEL = "test_log_signal"
BURST = 40
# Commits this far apart arrive one by one (not several in one packet).
BURST_EVERY_S = 0.01


def notify(database_url: str, times: int, every_s: float = 0.0) -> None:
    """`times` commits, each notifying the channel (as each appending transaction does)."""
    with psycopg.connect(database_url, autocommit=True) as conn:
        for index in range(times):
            conn.execute(f"NOTIFY {CHANNEL}, '{index}'")
            time.sleep(every_s)


@contextmanager
def listening(database_url: str, gather_s: float, gather_above: int = 0) -> Iterator[LogSignal]:
    signal = LogSignal(database_url, channel=CHANNEL, gather_s=gather_s, gather_above=gather_above)
    signal.start()
    try:
        # LISTEN is issued on the signal's own thread: wait until a notification is heard.
        wait_until(lambda: (notify(database_url, 1), signal.generation > 0)[1], timeout_s=10)
        time.sleep(gather_s + 0.5)  # past the window of that first wake-up
        yield signal
    finally:
        signal.stop()


def test_a_burst_of_commits_under_load_wakes_the_loops_once_per_window(database_url: str) -> None:
    with listening(database_url, gather_s=1.0) as signal:
        before = signal.generation
        notify(database_url, BURST, BURST_EVERY_S)
        wait_until(lambda: signal.generation > before, timeout_s=10)
        time.sleep(1.5)  # the window after the first wake-up has closed
        assert 1 <= signal.generation - before <= 2


def test_without_a_window_every_commit_wakes_the_loops(database_url: str) -> None:
    with listening(database_url, gather_s=0.0) as signal:
        before = signal.generation
        notify(database_url, BURST, BURST_EVERY_S)
        wait_until(lambda: signal.generation - before >= BURST // 4, timeout_s=10)


def test_a_wait_returns_at_the_first_commit_after_a_quiet_spell(database_url: str) -> None:
    with listening(database_url, gather_s=3.0) as signal:
        seen = signal.generation
        notify(database_url, 1)
        # Heard before its 3 s window would have ended: the first commit is never gathered.
        assert signal.wait(seen, timeout_s=2.5) != seen


def test_below_the_load_that_gathers_every_commit_wakes_the_loops_at_once(
    database_url: str,
) -> None:
    """A few commits in a row (a saga's steps) each wake the loops: a client reading a read
    model right after them finds it as fresh as without gathering."""
    with listening(database_url, gather_s=3.0, gather_above=20) as signal:
        for _ in range(5):
            seen = signal.generation
            notify(database_url, 1)
            assert signal.wait(seen, timeout_s=2.5) != seen  # well before its 3 s window
