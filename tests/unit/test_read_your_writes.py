"""Read-your-writes waits are for log positions only, and only so many requests wait at once
(for a position, or for a saga under `Prefer: wait`)."""

from __future__ import annotations

import asyncio
import threading
from contextlib import ExitStack
from typing import Any, cast

import pytest

from domain.errors import ValidationError
from interfaces.http.edge import read_your_writes as read_your_writes_module
from interfaces.http.edge.errors import PositionNotReachedError
from interfaces.http.edge.handler_threads import HANDLER_THREADS, use_handler_threads
from interfaces.http.edge.prefer import PREFER_WAIT_MAX_S, PREFER_WAITS_MAX, wait_slot
from interfaces.http.edge.read_your_writes import (
    MIN_POSITION_WAIT_S,
    MIN_POSITION_WAITS_MAX,
    POSITION_MAX,
    ReadYourWrites,
    min_position,
)
from interfaces.http.edge.responses import Waiting
from interfaces.workers.log_signal import LogSignal

pytestmark = pytest.mark.unit


class HeldStore:
    """A read model stuck behind the log until `release` is set."""

    def __init__(self, position: int = 10) -> None:
        self.applied = position
        self.release = threading.Event()
        self.waiting = threading.Semaphore(0)

    def position(self) -> int:
        return self.applied

    def has_applied(self, position: int) -> bool:
        return self.applied >= position

    def wait_for(self, position: int, timeout_s: float) -> bool:
        self.waiting.release()
        self.release.wait(timeout_s)
        return self.applied >= position


class Asking:
    def __init__(self, position: str | None) -> None:
        self.headers = {} if position is None else {"x-min-position": position}


def asking(position: str | None) -> Any:
    return Asking(position)


HEAD = 100


def reading(stores: dict[str, HeldStore], **options: Any) -> ReadYourWrites:
    return ReadYourWrites(cast(Any, stores), lambda: HEAD, **options)


@pytest.mark.parametrize("raw", ["0", "1", "42", str(POSITION_MAX)])
def test_a_log_position_is_read_as_it_is(raw: str) -> None:
    assert min_position(raw) == int(raw)


@pytest.mark.parametrize(
    "raw", ["", "-1", "+1", "1.0", "1e3", " 1", "abc", "²", "١٢", str(POSITION_MAX + 1), "9" * 23]
)
def test_anything_but_a_log_position_is_refused_naming_the_header(raw: str) -> None:
    with pytest.raises(ValidationError) as refused:
        min_position(raw)
    assert refused.value.details == {"field": "X-Min-Position"}


def test_without_the_header_nothing_waits() -> None:
    store = HeldStore()
    reading({"m": store}).wait(asking(None), "m")
    assert not store.waiting.acquire(blocking=False)


def test_a_position_already_applied_needs_no_wait_and_takes_no_slot() -> None:
    store = HeldStore(position=10)
    reading({"m": store}, waits_max=0).wait(asking("10"), "m")
    assert not store.waiting.acquire(blocking=False)


def test_a_position_beyond_the_log_is_refused_at_once() -> None:
    store = HeldStore(position=10)
    with pytest.raises(ValidationError) as refused:
        reading({"m": store}).wait(asking(str(HEAD + 1)), "m")
    assert refused.value.details["field"] == "X-Min-Position"
    assert not store.waiting.acquire(blocking=False)


def test_past_the_bound_a_read_is_refused_at_once_as_an_unmet_wait_is() -> None:
    store = HeldStore(position=10)
    read_your_writes = reading({"m": store}, waits_max=2)
    outcomes: list[bool] = []

    def wait() -> None:
        read_your_writes.wait(asking("11"), "m")
        outcomes.append(True)

    waiters = [threading.Thread(target=wait) for _ in range(2)]
    for waiter in waiters:
        waiter.start()
    for _ in waiters:
        assert store.waiting.acquire(timeout=10)  # both hold a slot now
    with pytest.raises(PositionNotReachedError):  # the third does not wait
        read_your_writes.wait(asking("11"), "m")
    assert not store.waiting.acquire(blocking=False)
    store.applied = 11
    store.release.set()
    for waiter in waiters:
        waiter.join(timeout=10)
    assert outcomes == [True, True]
    read_your_writes.wait(asking("11"), "m")  # slots come back


def test_the_app_runs_handlers_in_its_own_threads_and_waits_hold_a_quarter_at_most() -> None:
    async def handler_thread() -> str:
        use_handler_threads()
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(None, lambda: threading.current_thread().name)

    assert asyncio.run(handler_thread()).startswith("handler")
    assert 1 <= MIN_POSITION_WAITS_MAX <= HANDLER_THREADS // 4


def test_only_so_many_requests_wait_for_a_saga_at_once() -> None:
    with ExitStack() as held:
        assert all(held.enter_context(wait_slot()) for _ in range(PREFER_WAITS_MAX))
        with wait_slot() as one_more:
            assert one_more is False
    with wait_slot() as again:
        assert again is True


class MovingStore:
    """A read model the test moves, as the runner would after a commit."""

    def __init__(self, position: int = 10) -> None:
        self.applied = position
        self.looked = threading.Event()

    def position(self) -> int:
        return self.applied

    def has_applied(self, position: int) -> bool:
        self.looked.set()
        return self.applied >= position

    def wait_for(self, position: int, timeout_s: float) -> bool:
        raise AssertionError("with the commit signal, waits never poll the store's own way")


def test_a_wait_woken_by_a_commit_returns_as_soon_as_the_read_model_reached_the_position() -> None:
    store, signal = MovingStore(position=10), LogSignal("postgresql://unused", "unused")
    read_your_writes = reading({"m": store}, signal=signal)
    outcomes: list[str] = []

    def wait() -> None:
        read_your_writes.wait(asking("11"), "m")
        outcomes.append("answered")

    waiter = threading.Thread(target=wait)
    waiter.start()
    assert store.looked.wait(10)
    store.applied = 11
    signal.notify()
    waiter.join(timeout=MIN_POSITION_WAIT_S / 2)  # well before the bound
    assert outcomes == ["answered"]


def test_a_position_never_reached_is_still_a_503_after_the_bound(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(read_your_writes_module, "MIN_POSITION_WAIT_S", 0.1)
    store, signal = MovingStore(position=10), LogSignal("postgresql://unused", "unused")
    with pytest.raises(PositionNotReachedError):
        reading({"m": store}, signal=signal).wait(asking("11"), "m")


def test_a_prefer_wait_reloads_at_each_commit_until_the_saga_settles() -> None:
    signal = LogSignal("postgresql://unused", "unused")
    settled_at = threading.Event()
    reloads: list[int] = []

    def reload(result: int) -> int:
        reloads.append(result)
        return 1 if settled_at.is_set() else 0

    outcome: list[tuple[int, bool]] = []
    waiting = Waiting(seconds=PREFER_WAIT_MAX_S, reload=reload, settled=lambda r: r == 1)
    waiter = threading.Thread(target=lambda: outcome.append(waiting.wait(0, signal)))
    waiter.start()
    settled_at.set()
    signal.notify()
    waiter.join(timeout=PREFER_WAIT_MAX_S / 2)
    assert outcome == [(1, True)]
