"""Trustless Work's request limit: a token bucket per API key (50 requests per 60 s by default).

The bucket starts full and refills continuously, so bursts up to the limit pass and a steady
client gets `requests_max / window_s` per second. A refused request learns how many whole seconds
until one token is back, which becomes its `Retry-After`.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass
class _Bucket:
    tokens: float
    updated_s: float


class RateLimiter:
    def __init__(
        self,
        requests_max: int,
        window_s: float,
        monotonic_s: Callable[[], float] = time.monotonic,
    ):
        if requests_max < 1 or window_s <= 0:
            raise ValueError("a rate limit needs at least one request per positive window")
        self._capacity = float(requests_max)
        self._refill_per_s = requests_max / window_s
        self._monotonic_s = monotonic_s
        self._buckets: dict[str, _Bucket] = {}
        self._lock = threading.Lock()

    def acquire(self, client: str) -> int | None:
        """Takes one token; returns None when allowed, else the seconds to wait (Retry-After)."""
        now = self._monotonic_s()
        with self._lock:
            bucket = self._buckets.setdefault(client, _Bucket(self._capacity, now))
            elapsed = max(now - bucket.updated_s, 0.0)
            bucket.tokens = min(self._capacity, bucket.tokens + elapsed * self._refill_per_s)
            bucket.updated_s = now
            if bucket.tokens >= 1.0:
                bucket.tokens -= 1.0
                return None
            return max(1, math.ceil((1.0 - bucket.tokens) / self._refill_per_s))
