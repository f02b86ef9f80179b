"""Leases on a bounded number of slots, shared by every process through Redis: SSE connections per
API key, webhook deliveries in flight per endpoint.

A group is a sorted set of holders scored by when their lease expires. Taking a slot first drops
expired leases, then admits the holder only while the group has room — atomically, in one
script. A holder refreshes its lease while it is alive, so a crashed process frees its slots
within one lease instead of leaking them for good.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, Final

import redis

# KEYS[1] group; ARGV: holder, limit, now_ms, expires_ms, group_ttl_ms.
_ACQUIRE: Final = """
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[3])
if not redis.call('ZSCORE', KEYS[1], ARGV[1])
   and redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[2]) then
  return 0
end
redis.call('ZADD', KEYS[1], ARGV[4], ARGV[1])
redis.call('PEXPIRE', KEYS[1], ARGV[5])
return 1
"""


class Slots:
    def __init__(
        self, client: redis.Redis, namespace: str, clock: Callable[[], float] = time.time
    ) -> None:
        self._client = client
        self._namespace = namespace
        self._clock = clock
        self._acquire: Any = client.register_script(_ACQUIRE)

    def acquire(self, group: str, holder: str, limit: int, lease_s: float) -> bool:
        """Takes (or renews) a slot in `group` for `holder`; False when the group is full."""
        now_ms = int(self._clock() * 1000)
        lease_ms = int(lease_s * 1000)
        taken = self._acquire(
            keys=[self._key(group)], args=[holder, limit, now_ms, now_ms + lease_ms, lease_ms]
        )
        return bool(taken)

    def refresh(self, group: str, holder: str, lease_s: float) -> None:
        """Extends `holder`'s lease; a holder whose lease already lapsed is not re-admitted."""
        key = self._key(group)
        expires_ms = int((self._clock() + lease_s) * 1000)
        pipeline = self._client.pipeline()
        pipeline.zadd(key, {holder: expires_ms}, xx=True)
        pipeline.pexpire(key, int(lease_s * 1000))
        pipeline.execute()

    def release(self, group: str, holder: str) -> None:
        self._client.zrem(self._key(group), holder)

    def held(self, group: str) -> int:
        """Slots currently leased in `group` (expired leases not counted)."""
        now_ms = int(self._clock() * 1000)
        return int(self._client.zcount(self._key(group), f"({now_ms}", "+inf"))

    def _key(self, group: str) -> str:
        return f"{self._namespace}:slots:{group}"
