"""SSE in one API process: one reader hands every new event to every stream, in position order,
once; a stream resumed from an old position catches up from the log and joins without a gap or
a duplicate; a subscriber that stops reading is cut loose without holding up the others, and
catches up from the log when it reads again."""

from __future__ import annotations

import asyncio
import contextlib
import re
from collections.abc import AsyncIterator
from types import SimpleNamespace
from typing import Any

import anyio
import pytest

from interfaces.http.event_stream import EventStream, StreamStart
from interfaces.http.feed_fanout import FeedFanout
from projections.event_feed.log_tail import FeedEvent, TailRead
from projections.event_feed.view import EVERYTHING, FeedFilter, StreamRow

pytestmark = pytest.mark.unit

WAIT_S = 10.0
ALICE = "usr_alice"
BOB = "usr_bob"


class FakeLog:
    """Published events at positions with gaps, as the log has them."""

    def __init__(self) -> None:
        self.events: list[FeedEvent] = []
        self.reads = 0
        self._next = 1

    def append(self, user: str = ALICE) -> int:
        self._next += 2  # positions have gaps
        position = self._next
        row = StreamRow(position, f"evt_{position}", "balance.credited", f'{{"id":"{position}"}}')
        self.events.append(FeedEvent(row, "Balance", f"bal_{user}", frozenset({user})))
        return position

    def head(self) -> int:
        return self.events[-1].position if self.events else 0

    def read(self, after: int, limit: int, stop: int | None = None) -> TailRead:
        self.reads += 1
        found = [
            e for e in self.events if e.position > after and (stop is None or e.position <= stop)
        ]
        page = found[:limit]
        if len(page) == limit:
            return TailRead(page, page[-1].position, True)
        end = stop if stop is not None else (page[-1].position if page else after)
        return TailRead(page, max(end, after), False)


class FakeSignal:
    """The commit signal, sent by the test at each append."""

    def __init__(self) -> None:
        self.generation = 0
        self._moved = asyncio.Event()

    def commit(self) -> None:
        self.generation += 1
        self._moved.set()
        self._moved = asyncio.Event()

    async def changed(self, seen: int, timeout_s: float) -> None:
        if self.generation == seen:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._moved.wait(), timeout_s)


class FreeSlots:
    def acquire(self, *_: Any) -> bool:
        return True

    def refresh(self, *_: Any) -> None:
        return None

    def release(self, *_: Any) -> None:
        return None


def live_feed(fanout: FeedFanout) -> Any:
    settings = SimpleNamespace(sse_heartbeat_s=30, sse_connections_per_key_max=1000)
    return SimpleNamespace(settings=settings, slots=FreeSlots(), fanout=fanout, closing=False)


def positions_in(chunk: bytes) -> list[int]:
    return [int(p) for p in re.findall(rb"^id: (\d+)$", chunk, re.MULTILINE)]


class Reader:
    """One stream's client: collects the positions of the frames it receives."""

    def __init__(self, live: Any, start: int | None, wanted: FeedFilter = EVERYTHING) -> None:
        self.stream = EventStream(live, "key", StreamStart(start), wanted)
        self.seen: list[int] = []
        self._frames: AsyncIterator[bytes] = self.stream.frames()

    async def read_until(self, position: int) -> None:
        with anyio.fail_after(WAIT_S):
            while not self.seen or self.seen[-1] < position:
                self.seen += positions_in(await self._frames.__anext__())

    async def close(self) -> None:
        await self._frames.aclose()  # type: ignore[attr-defined]


async def started(
    log: FakeLog, signal: FakeSignal, *, awake: bool = True, **options: Any
) -> FeedFanout:
    """A process's reader; `awake`, it is kept awake by a stream that is open throughout (a
    reader rests until its first stream subscribes)."""
    fanout = FeedFanout(log, signal, anyio.CapacityLimiter(4), **options)  # type: ignore[arg-type]
    await fanout.start()
    if awake:
        assert await fanout.joined(EVERYTHING, WAIT_S) is not None
    return fanout


def commit(log: FakeLog, signal: FakeSignal, count: int, user: str = ALICE) -> list[int]:
    positions = [log.append(user) for _ in range(count)]
    signal.commit()
    return positions


def test_many_streams_each_get_every_event_once_in_order_from_one_read_per_page() -> None:
    async def story() -> None:
        log, signal = FakeLog(), FakeSignal()
        fanout = await started(log, signal)
        live = live_feed(fanout)
        readers = [Reader(live, start=0) for _ in range(50)]
        expected: list[int] = []
        for _ in range(5):
            expected += commit(log, signal, 7)
            for reader in readers:
                await reader.read_until(expected[-1])
        reads_with_fifty_streams = log.reads
        for reader in readers:
            assert reader.seen == expected
            await reader.close()
        # Streams joined from the reader's window: the log was read by the reader alone,
        # about once per commit, not once per stream.
        assert reads_with_fifty_streams <= 3 * 5 + 2
        await fanout.stop()

    asyncio.run(story())


def test_a_stream_resumed_far_behind_catches_up_from_the_log_without_gap_or_duplicate() -> None:
    async def story() -> None:
        log, signal = FakeLog(), FakeSignal()
        old = [log.append() for _ in range(40)]
        # A window of 5 and pages of 7: the resumed stream must read most of it from the log.
        fanout = await started(log, signal, window_max=5, page_size=7)
        reader = Reader(live_feed(fanout), start=old[9])
        await reader.read_until(old[20])
        later = commit(log, signal, 12)  # arrives while the stream is still catching up
        await reader.read_until(later[-1])
        assert reader.seen == old[10:] + later
        await reader.close()
        await fanout.stop()

    asyncio.run(story())


def test_a_stream_sees_only_the_events_its_filter_wants_in_catch_up_and_live() -> None:
    async def story() -> None:
        log, signal = FakeLog(), FakeSignal()
        theirs = [log.append(ALICE), log.append(BOB), log.append(ALICE)]
        fanout = await started(log, signal, window_max=1)
        reader = Reader(live_feed(fanout), start=0, wanted=FeedFilter(user_id=ALICE))
        await reader.read_until(theirs[2])
        live_bob = commit(log, signal, 2, user=BOB)
        live_alice = commit(log, signal, 2, user=ALICE)
        await reader.read_until(live_alice[-1])
        assert reader.seen == [theirs[0], theirs[2], *live_alice]
        assert not set(reader.seen) & set(live_bob)
        await reader.close()
        await fanout.stop()

    asyncio.run(story())


def test_a_subscriber_that_stops_reading_is_cut_loose_without_stalling_others() -> None:
    async def story() -> None:
        log, signal = FakeLog(), FakeSignal()
        fanout = await started(log, signal, buffer_max=5, window_max=3, page_size=4)
        live = live_feed(fanout)
        slow, brisk = Reader(live, start=0), Reader(live, start=0)
        first = commit(log, signal, 2)
        await slow.read_until(first[-1])
        await brisk.read_until(first[-1])
        expected = list(first)
        for _ in range(10):  # the slow one reads nothing meanwhile
            expected += commit(log, signal, 3)
            await brisk.read_until(expected[-1])
        assert brisk.seen == expected
        # The slow one was cut loose, and when it reads again it gets everything once.
        await slow.read_until(expected[-1])
        assert slow.seen == expected
        await slow.close()
        await brisk.close()
        await fanout.stop()

    asyncio.run(story())


def test_the_reader_reads_nothing_while_no_stream_is_open_and_wakes_for_the_next_one() -> None:
    async def story() -> None:
        log, signal = FakeLog(), FakeSignal()
        fanout = await started(log, signal, awake=False, linger_s=0.2)
        before = commit(log, signal, 5)
        await asyncio.sleep(0.1)
        assert log.reads == 0  # commands alone cost the process no SSE reads
        first = Reader(live_feed(fanout), start=0)
        during = commit(log, signal, 3)
        await first.read_until(during[-1])
        assert first.seen == before + during
        await first.close()
        await asyncio.sleep(0.5)  # past the linger: the reader rests again
        reads_at_rest = log.reads
        resting = commit(log, signal, 4)
        await asyncio.sleep(0.1)
        assert log.reads == reads_at_rest
        # The next stream, resuming from where the first left off, misses nothing.
        second = Reader(live_feed(fanout), start=during[-1])
        after = commit(log, signal, 2)
        await second.read_until(after[-1])
        assert second.seen == resting + after
        await second.close()
        await fanout.stop()

    asyncio.run(story())
