"""A booted process settles its heap: what it holds for good leaves the collector's scans, and
garbage made afterwards is still collected."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Iterator

import pytest

from interfaces.cli.environment import YOUNG_COLLECTION_ALLOCATIONS, settle_heap

pytestmark = pytest.mark.unit


class Node:
    def __init__(self) -> None:
        self.other: Node | None = None


@pytest.fixture
def settled() -> Iterator[None]:
    threshold = gc.get_threshold()
    try:
        settle_heap()
        yield
    finally:
        gc.unfreeze()
        gc.set_threshold(*threshold)


def test_what_the_process_held_at_boot_is_frozen_out_of_collections(settled: None) -> None:
    kept = Node()  # made before the settle below: held for good
    settle_heap()
    assert gc.get_freeze_count() > 0
    assert not any(o is kept for o in gc.get_objects())


def test_young_collections_wait_for_more_allocations(settled: None) -> None:
    young, older, oldest = gc.get_threshold()
    assert young == YOUNG_COLLECTION_ALLOCATIONS
    assert (older, oldest) == (10, 10)  # the older generations keep their defaults


def test_a_cycle_made_after_settling_is_collected_without_being_asked(settled: None) -> None:
    first, second = Node(), Node()
    first.other, second.other = second, first
    gone = weakref.ref(first)
    del first, second
    held = [[] for _ in range(3 * YOUNG_COLLECTION_ALLOCATIONS)]  # enough for a collection
    assert gone() is None
    assert len(held) == 3 * YOUNG_COLLECTION_ALLOCATIONS
