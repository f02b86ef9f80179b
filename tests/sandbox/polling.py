"""Bounded waiting for tests: poll a condition until it holds or a deadline passes."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")

POLL_INTERVAL_S = 0.02


def wait_until(condition: Callable[[], T], timeout_s: float = 5.0, what: str = "condition") -> T:
    """Returns the first truthy value of `condition()`; fails the test after `timeout_s`."""
    deadline = time.monotonic() + timeout_s
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} did not hold within {timeout_s} s")
        time.sleep(POLL_INTERVAL_S)
