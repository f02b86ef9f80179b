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
from typing import Any, Final

import redis
import redis.asyncio
from redis.commands.core import AsyncScript

from infrastructure.redis.key_generation import GENERATION_ABSENT, GENERATION_KEY

WINDOW_S: Final = 60
KEY_PREFIX: Final = "ledgerline:rate:"
# Connections one event loop's limiter holds at most: as many admissions await Redis at once,
# and the rest wait their turn (a round trip takes well under a millisecond).
LOOP_CONNECTIONS_MAX: Final = 32

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
        keys, args = _call(identity, limit, also_get)
        try:
            reply = self._script(keys=keys, args=args)
        except redis.RedisError as error:
            return _admitted_blind(limit, error)
        return _decision(reply, limit)


class LoopRateLimiter:
    """The same limit, counted in the same sorted sets, for a caller on an event loop: the
    round trip is awaited on the loop instead of blocking a thread. The API's edge admits most
    requests this way (interfaces/http/edge/admission.py): a call costs its process about a
    quarter of the CPU of the blocking client called from a thread (45–53 against 188–200 µs
    with 16 callers at once, measured here), which pays a hand-off to the thread and back and
    a wake-up of the thread when the reply arrives.

    Its client belongs to the loop it is opened on (`open`, then `close` on that loop)."""

    def __init__(self, url: str, timeout_s: float) -> None:
        self._url = url
        self._timeout_s = timeout_s
        self._client: redis.asyncio.Redis | None = None
        self._script: AsyncScript | None = None

    @property
    def is_open(self) -> bool:
        return self._script is not None

    def open(self) -> None:
        pool = redis.asyncio.BlockingConnectionPool.from_url(
            self._url,
            max_connections=LOOP_CONNECTIONS_MAX,
            timeout=self._timeout_s,  # waiting for a free connection counts as Redis's silence
            socket_timeout=self._timeout_s,
            socket_connect_timeout=self._timeout_s,
        )
        self._client = redis.asyncio.Redis.from_pool(pool)
        self._script = self._client.register_script(_SLIDING_WINDOW)

    async def close(self) -> None:
        client, self._client, self._script = self._client, None, None
        if client is not None:
            await client.aclose()

    async def hit(self, identity: str, limit: int, also_get: str | None = None) -> Decision:
        """`RedisRateLimiter.hit`, awaited."""
        if self._script is None:
            raise RuntimeError("the loop's rate limiter is not open")
        keys, args = _call(identity, limit, also_get)
        try:
            reply = await self._script(keys=keys, args=args)
        except redis.RedisError as error:
            return _admitted_blind(limit, error)
        return _decision(reply, limit)


def _call(identity: str, limit: int, also_get: str | None) -> tuple[list[str], list[Any]]:
    """The script's keys and arguments for one request of `identity`."""
    now_ms = int(time.time() * 1000)
    keys = [KEY_PREFIX + identity, GENERATION_KEY]
    if also_get is not None:
        keys.append(also_get)
    member = f"{now_ms}-{uuid.uuid4().hex[:8]}"
    return keys, [now_ms, WINDOW_S * 1000, limit, member, GENERATION_ABSENT]


def _decision(reply: list[Any], limit: int) -> Decision:
    admitted, remaining, reset_ms, generation, *got = reply
    reset_after_s = max(1, -(-int(reset_ms) // 1000))
    also_got = got[0] if got and got[0] else None
    key_generation = generation.decode() if isinstance(generation, bytes) else str(generation)
    return Decision(bool(admitted), limit, int(remaining), reset_after_s, also_got, key_generation)


def _admitted_blind(limit: int, error: Exception) -> Decision:
    """Redis did not answer: admitted, and nobody knows the key generation."""
    log.warning("rate limiter unavailable, admitting: %s", error)
    return Decision(True, limit, limit, WINDOW_S)
