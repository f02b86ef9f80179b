"""Redis-backed slot leases of the event feed: they bound holders, free on release, and lapse
when their holder stops renewing them."""

from __future__ import annotations

import uuid

import pytest
import redis

from infrastructure.redis.slots import Slots
from tests.support.waiting import wait_until

pytestmark = pytest.mark.integration


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
