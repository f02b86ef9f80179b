"""The key cache: what one API process remembers of the API keys it authenticated, so that a
request with a known key reads nothing from the log.

The log stays the truth. A remembered key is trusted for a request only when the *key
generation* (a value every revocation moves, read in the request's one Redis round trip with
its rate limit) is the one it was remembered under; otherwise it is read from the log again.
So a revocation is effective on every process from its next request on: `ApiKeys.revoke` moves
the generation before its commit (a revocation Redis cannot hear is refused, 503, unapplied)
and again after it (a process that read the key between the two remembers the later value).
When Redis is unreachable the generation is unknown and every request reads the log, as
without a cache. `KEY_CACHE_TTL_S` is a safety net only (a lost second move); the size is
bounded, the least recently used key leaving first.

Only what a key's events say is remembered (`KeyFacts`): expiry is checked on every request
against the clock, and a key's scopes never change (a different scope set is a new key).
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Final
from uuid import UUID

from domain.api_keys import ApiKey

KEY_CACHE_ENTRIES_MAX: Final = 10_000
KEY_CACHE_TTL_S: Final = 30.0


@dataclass(frozen=True, slots=True)
class KeyFacts:
    """One read of a key's aggregate: all authentication needs of it."""

    public_id: str
    name: str
    scopes: frozenset[str]
    secret_sha256: str
    expires_at: datetime | None
    revoked: bool
    rate_limit_per_minute: int | None

    @classmethod
    def of(cls, key: ApiKey) -> KeyFacts:
        return cls(
            key.public_id,
            key.name,
            frozenset(key.scopes),
            key.secret_sha256,
            key.expires_at,
            key.revoked,
            key.rate_limit_per_minute,
        )

    def usable(self, now: datetime) -> bool:
        expired = self.expires_at is not None and now >= self.expires_at
        return not self.revoked and not expired


@dataclass(frozen=True, slots=True)
class Remembered:
    """A key's facts and the generation they were read under (None: not known then)."""

    facts: KeyFacts
    generation: str | None
    read_at_s: float


class KeyCache:
    def __init__(
        self,
        read: Callable[[UUID], KeyFacts | None],
        *,
        entries_max: int = KEY_CACHE_ENTRIES_MAX,
        ttl_s: float = KEY_CACHE_TTL_S,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._read = read
        self._entries_max = entries_max
        self._ttl_s = ttl_s
        self._monotonic = monotonic
        self._entries: OrderedDict[UUID, Remembered] = OrderedDict()
        self._lock = threading.Lock()
        # The generation the last Redis round trip of this process answered.
        self._generation: str | None = None

    def lookup(self, key_uuid: UUID) -> Remembered | None:
        """The key as remembered (read from the log when not, or no longer), None when the log
        has no such key. Still to be `confirm`ed against the request's generation."""
        now_s = self._monotonic()
        with self._lock:
            remembered = self._entries.get(key_uuid)
            if remembered is not None and now_s - remembered.read_at_s < self._ttl_s:
                self._entries.move_to_end(key_uuid)
                return remembered
            generation = self._generation  # observed before the read: never newer than it
        return self._fetch(key_uuid, generation)

    def peek(self, key_uuid: UUID) -> Remembered | None:
        """`lookup` from memory alone: None when the key is not remembered (or no longer), so
        finding it would read the log."""
        now_s = self._monotonic()
        with self._lock:
            remembered = self._entries.get(key_uuid)
            if remembered is None or now_s - remembered.read_at_s >= self._ttl_s:
                return None
            self._entries.move_to_end(key_uuid)
            return remembered

    @staticmethod
    def confirms_from_memory(remembered: Remembered, generation: str | None) -> bool:
        """Whether `confirm` would answer without reading the log."""
        return remembered.facts.revoked or (
            generation is not None and remembered.generation == generation
        )

    def confirm(
        self, key_uuid: UUID, remembered: Remembered, generation: str | None
    ) -> KeyFacts | None:
        """The key's facts as the request may trust them: `remembered` when read under
        `generation` (the request's), else read from the log again. A revocation is final, so
        remembered revoked facts need no confirmation."""
        if remembered.facts.revoked:
            return remembered.facts
        if generation is None:  # Redis did not answer: nothing tells a revocation, read
            return self._read(key_uuid)
        with self._lock:
            self._generation = generation
        if remembered.generation == generation:
            return remembered.facts
        again = self._fetch(key_uuid, generation)
        return None if again is None else again.facts

    def forget(self, key_uuid: UUID) -> None:
        """Drops the key here at once (this process revoked it)."""
        with self._lock:
            self._entries.pop(key_uuid, None)

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)

    def _fetch(self, key_uuid: UUID, generation: str | None) -> Remembered | None:
        facts = self._read(key_uuid)
        if facts is None:
            return None  # unknown keys are not remembered: they cost the caller, not memory
        remembered = Remembered(facts, generation, self._monotonic())
        with self._lock:
            self._entries[key_uuid] = remembered
            self._entries.move_to_end(key_uuid)
            while len(self._entries) > self._entries_max:
                self._entries.popitem(last=False)
        return remembered
