"""A per-key sliding-window rate limit in Redis, shared by every API instance.

The window holds one sorted-set member per admitted request, scored by its time; a request is
admitted while fewer than `limit` members are younger than the window. If Redis is unreachable
the limiter admits (and logs): losing Redis must not take the ledger's API down with it.

The same round trip reads the API key generation (infrastructure/redis/key_generation.py), under
which each process trusts the keys it remembers, and optionally one more key (the idempotency
cache): one Redis call per request.
"""

from __future__ import annotations

import logging
import time
import uuid
from dataclasses import dataclass
from typing import Final

import redis

from infrastructure.redis.key_generation import GENERATION_ABSENT, GENERATION_KEY

WINDOW_S: Final = 60
KEY_PREFIX: Final = "ledgerline:rate:"

log = logging.getLogger(__name__)

_SLIDING_WINDOW = """
local key = KEYS[1]
local now_ms = tonumber(ARGV[1])
local window_ms = tonumber(ARGV[2])
local limit = tonumber(ARGV[3])
local generation = redis.call('GET', KEYS[2]) or ARGV[5]
local cached = false
if KEYS[3] then
  cached = redis.call('GET', KEYS[3])
end
redis.call('ZREMRANGEBYSCORE', key, '-inf', now_ms - window_ms)
local count = redis.call('ZCARD', key)
if count < limit then
  redis.call('ZADD', key, now_ms, ARGV[4])
  redis.call('PEXPIRE', key, window_ms)
  return {1, limit - count - 1, window_ms, generation, cached}
end
local oldest = redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')
return {0, 0, tonumber(oldest[2]) + window_ms - now_ms, generation, cached}
"""


@dataclass(frozen=True, slots=True)
class Decision:
    admitted: bool
    limit: int
    remaining: int
    reset_after_s: int
    # The value of the `also_get` key read in the same round trip (None: absent, or Redis down).
    also_got: bytes | None = None
    # The API key generation (None: Redis did not answer, so nobody knows it).
    key_generation: str | None = None

    def headers(self, now_s: float) -> dict[str, str]:
        headers = {
            "X-RateLimit-Limit": str(self.limit),
            "X-RateLimit-Remaining": str(self.remaining),
            "X-RateLimit-Reset": str(int(now_s) + self.reset_after_s),
        }
        if not self.admitted:
            headers["Retry-After"] = str(self.reset_after_s)
        return headers


class RedisRateLimiter:
    def __init__(self, client: redis.Redis) -> None:
        self._client = client
        self._script = client.register_script(_SLIDING_WINDOW)

    def hit(self, identity: str, limit: int, also_get: str | None = None) -> Decision:
        """Counts a request of `identity` and reads the API key generation; with `also_get`,
        also reads that key in the same round trip (the edge's idempotency cache: one Redis
        call per request, not three)."""
        now_ms = int(time.time() * 1000)
        keys = [KEY_PREFIX + identity, GENERATION_KEY]
        if also_get is not None:
            keys.append(also_get)
        try:
            admitted, remaining, reset_ms, generation, *got = self._script(
                keys=keys,
                args=[
                    now_ms,
                    WINDOW_S * 1000,
                    limit,
                    f"{now_ms}-{uuid.uuid4().hex[:8]}",
                    GENERATION_ABSENT,
                ],
            )
        except redis.RedisError as error:
            log.warning("rate limiter unavailable, admitting: %s", error)
            return Decision(True, limit, limit, WINDOW_S)
        reset_after_s = max(1, -(-int(reset_ms) // 1000))
        also_got = got[0] if got and got[0] else None
        key_generation = generation.decode() if isinstance(generation, bytes) else str(generation)
        return Decision(
            bool(admitted), limit, int(remaining), reset_after_s, also_got, key_generation
        )
