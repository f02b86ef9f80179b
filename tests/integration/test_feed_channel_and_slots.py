"""Redis-backed pieces of the event feed: announcements reach every listener, and slot leases
bound holders, free on release, and lapse when their holder stops renewing them."""

from __future__ import annotations

import asyncio
import uuid

import pytest
import redis

from infrastructure.redis.feed_channel import FeedAnnouncer, FeedListener
from infrastructure.redis.slots import Slots
from tests.support.waiting import wait_until

pytestmark = pytest.mark.integration


async def heard_at_least(heard: list[int], count: int, timeout_s: float = 5.0) -> None:
    async with asyncio.timeout(timeout_s):
        while min(heard) < count:
            await asyncio.sleep(0.01)


def test_an_announcement_wakes_every_listener(redis_url: str) -> None:
    namespace = f"test-{uuid.uuid4().hex}"
    client = redis.Redis.from_url(redis_url)

    async def scenario() -> list[int]:
        heard = [0, 0]
        listeners = [
            FeedListener(redis_url, namespace, lambda i=i: heard.__setitem__(i, heard[i] + 1))
            for i in range(2)
        ]
        tasks = [asyncio.create_task(listener.run()) for listener in listeners]
        try:
            # Each listener signals once when subscribed, then once per announcement.
            await heard_at_least(heard, 1)
            FeedAnnouncer(client, namespace).announce(42)
            FeedAnnouncer(client, "another-namespace").announce(43)
            await heard_at_least(heard, 2)
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
        return heard

    try:
        assert asyncio.run(scenario()) == [2, 2]
    finally:
        client.close()


def test_slots_admit_up_to_the_limit_and_free_on_release_or_when_a_lease_lapses(
    redis_url: str,
) -> None:
    client = redis.Redis.from_url(redis_url)
    slots, group = Slots(client, f"test-{uuid.uuid4().hex}"), "sse:key_1"
    try:
        assert slots.acquire(group, "a", 2, lease_s=30)
        assert slots.acquire(group, "b", 2, lease_s=0.3)
        assert not slots.acquire(group, "c", 2, lease_s=30)
        assert slots.acquire(group, "a", 2, lease_s=30)  # a holder renewing is not refused
        slots.release(group, "a")
        assert slots.acquire(group, "c", 2, lease_s=30)
        assert slots.held(group) == 2
        # "b" stops renewing: once its lease lapses, its slot is someone else's.
        wait_until(lambda: slots.acquire(group, "d", 2, lease_s=30), timeout_s=5, message="lapse")
        assert slots.held(group) == 2
    finally:
        client.close()
