"""Deleting a set of Ledgerline's keys from Redis by pattern, a page at a time (SCAN, never
KEYS, so a large Redis is not blocked). After a restore, cached idempotent responses and queued
messages describe commands and sagas the restored log no longer holds."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Final

import redis

SCAN_PAGE_SIZE: Final = 500


def delete_matching(client: redis.Redis, patterns: Iterable[str]) -> int:
    """Deletes every key matching one of `patterns` (Redis glob patterns); returns how many."""
    deleted = 0
    for pattern in patterns:
        batch: list[bytes] = []
        for key in client.scan_iter(match=pattern, count=SCAN_PAGE_SIZE):
            batch.append(key)
            if len(batch) >= SCAN_PAGE_SIZE:
                deleted += int(client.delete(*batch))
                batch.clear()
        if batch:
            deleted += int(client.delete(*batch))
    return deleted
