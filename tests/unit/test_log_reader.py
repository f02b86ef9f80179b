"""The runner's shared reader of the log: a page is read once for every follower, a burst of
wake-ups is one read, and a follower behind the window is told to read for itself."""

from __future__ import annotations

from typing import Any

from projections.log_reader import WINDOW_PAGES_MAX, LogReader


class FakeLog:
    """The part of the Ledger the reader uses: positions with gaps, read after a position."""

    def __init__(self) -> None:
        self.events: list[tuple[int, Any]] = []
        self.reads = 0

    def append(self, *positions: int) -> None:
        self.events += [(p, f"event-{p}") for p in positions]

    def read(self, after: int, limit: int) -> list[tuple[int, Any]]:
        self.reads += 1
        return [e for e in self.events if e[0] > after][:limit]


def reader_of(log: FakeLog, page_size: int = 100) -> tuple[LogReader, list[int]]:
    generation = [0]
    reader = LogReader(log, page_size=page_size)  # type: ignore[arg-type]  # a fake ledger
    reader.follow(lambda: generation[0])
    return reader, generation


def test_followers_at_the_same_position_share_one_read_of_a_page() -> None:
    log = FakeLog()
    log.append(1, 2, 4)
    reader, _ = reader_of(log)
    pages = [reader.page(0) for _ in range(13)]
    assert log.reads == 1
    assert all(page == (4, [(1, "event-1"), (2, "event-2"), (4, "event-4")]) for page in pages)


def test_a_burst_of_notifications_is_one_read_and_no_notification_is_no_read() -> None:
    log = FakeLog()
    reader, generation = reader_of(log)
    assert reader.page(0) == (0, [])
    log.append(3, 5)
    assert reader.page(0) == (0, []), "nothing is read before the signal moves"
    generation[0] += 7  # seven NOTIFYs arrived while the followers slept
    assert [reader.page(0) for _ in range(3)] == [(5, [(3, "event-3"), (5, "event-5")])] * 3
    assert log.reads == 2


def test_a_follower_further_on_in_the_window_gets_only_what_it_has_not_applied() -> None:
    log = FakeLog()
    log.append(*range(1, 11))
    reader, _ = reader_of(log)
    assert reader.page(0) is not None
    assert reader.page(7) == (10, [(8, "event-8"), (9, "event-9"), (10, "event-10")])
    assert log.reads == 1


def test_a_full_page_ends_at_its_last_event_and_the_next_page_is_read_at_once() -> None:
    log = FakeLog()
    log.append(*range(1, 8))
    reader, _ = reader_of(log, page_size=3)
    assert reader.page(0) == (3, [(1, "event-1"), (2, "event-2"), (3, "event-3")])
    assert reader.page(3) == (6, [(4, "event-4"), (5, "event-5"), (6, "event-6")])
    assert reader.page(6) == (7, [(7, "event-7")])


def test_a_follower_behind_the_window_is_told_to_read_the_log_itself() -> None:
    log = FakeLog()
    log.append(*range(1, 3 * WINDOW_PAGES_MAX + 2))
    reader, _ = reader_of(log, page_size=2)
    position = 0
    while (page := reader.page(position)) is not None and page[0] > position:
        position = page[0]
    assert position == 3 * WINDOW_PAGES_MAX + 1
    assert reader.page(0) is None
    assert reader.page(position - 2) is not None
