"""The API key generation in Redis: one value every API process reads in its per-request round
trip (infrastructure/redis/rate_limit.py) and a revocation replaces (application/key_cache.py).

Each move writes a random value, never an increment: a Redis that restarted empty answers
"absent", a change like any other, and can never come back to a value a process remembers.
"""

from __future__ import annotations

import uuid
from typing import Final

import redis

from application.outages import service_unavailable

GENERATION_KEY: Final = "ledgerline:api-keys:generation"
# What the round trip answers while no revocation ever moved the generation.
GENERATION_ABSENT: Final = ""


class RedisKeyGeneration:
    def __init__(self, client: redis.Redis) -> None:
        self._client = client

    def move(self) -> None:
        try:
            self._client.set(GENERATION_KEY, uuid.uuid4().hex)
        except redis.RedisError as error:
            raise service_unavailable("Redis (where API key revocations are announced)") from error
