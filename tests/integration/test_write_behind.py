"""Write-behind of cached values: queued writes land in Redis in order, many per round trip,
and a Redis that does not answer costs the writer its writes, never the caller an error."""

from __future__ import annotations

import uuid

import pytest
import redis

from infrastructure.redis.write_behind import WriteBehind
from tests.support.stack import free_port

pytestmark = pytest.mark.integration


def test_queued_writes_land_in_order_with_their_expiry(redis_url: str) -> None:
    client = redis.Redis.from_url(redis_url)
    writer = WriteBehind(client, "test")
    prefix = f"test:write-behind:{uuid.uuid4().hex}:"
    for i in range(1200):  # more than one round trip's worth
        writer.set(f"{prefix}{i % 7}", str(i).encode(), 60)
    assert writer.flush(10.0)
    # The last write to each key wins, as if they had been sent one by one.
    assert [client.get(f"{prefix}{k}") for k in range(7)] == [
        str(max(i for i in range(1200) if i % 7 == k)).encode() for k in range(7)
    ]
    assert 0 < client.ttl(f"{prefix}0") <= 60
    writer.close()
    writer.set(f"{prefix}late", b"x", 60)  # after close: ignored, not raised
    assert client.get(f"{prefix}late") is None


def test_a_redis_that_does_not_answer_drops_the_writes_without_raising() -> None:
    unreachable = redis.Redis(port=free_port(), socket_connect_timeout=0.2, socket_timeout=0.2)
    writer = WriteBehind(unreachable, "test")
    writer.set("test:write-behind:lost", b"x", 60)
    assert writer.flush(10.0)
    assert writer.dropped == 1
    writer.close()
