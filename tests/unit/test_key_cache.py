"""The key cache: a remembered key costs no read while the key generation stands still; any
move of the generation, a lost Redis, its TTL or its size bound sends it back to the log."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from uuid import UUID

import pytest

from application.key_cache import KeyCache, KeyFacts

pytestmark = pytest.mark.unit

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
FACTS = KeyFacts("key_a", "a", frozenset({"read"}), "0" * 64, None, False, None)


class Log:
    """What the log says of each key, and how often it was asked."""

    def __init__(self) -> None:
        self.keys: dict[UUID, KeyFacts] = {}
        self.reads = 0

    def read(self, key_uuid: UUID) -> KeyFacts | None:
        self.reads += 1
        return self.keys.get(key_uuid)


class Clock:
    def __init__(self) -> None:
        self.now_s = 0.0

    def __call__(self) -> float:
        return self.now_s


def cache_of(log: Log, clock: Clock | None = None, **limits: float) -> KeyCache:
    return KeyCache(log.read, monotonic=clock or Clock(), **limits)  # type: ignore[arg-type]


def trusted(cache: KeyCache, key_uuid: UUID, generation: str | None) -> KeyFacts | None:
    remembered = cache.lookup(key_uuid)
    return None if remembered is None else cache.confirm(key_uuid, remembered, generation)


def test_a_remembered_key_is_not_read_again_while_the_generation_stands_still() -> None:
    log, key = Log(), uuid.uuid4()
    log.keys[key] = FACTS
    cache = cache_of(log)
    assert trusted(cache, key, "g1") == FACTS
    reads = log.reads
    for _ in range(5):
        assert trusted(cache, key, "g1") == FACTS
    assert log.reads == reads


def test_a_moved_generation_sends_the_key_back_to_the_log_and_a_revocation_shows() -> None:
    log, key = Log(), uuid.uuid4()
    log.keys[key] = FACTS
    cache = cache_of(log)
    assert trusted(cache, key, "g1") == FACTS
    log.keys[key] = replace(FACTS, revoked=True)  # revoked by another process
    assert trusted(cache, key, "g1") == FACTS  # nobody moved the generation: still trusted
    revoked = trusted(cache, key, "g2")
    assert revoked is not None and revoked.revoked
    reads = log.reads
    assert trusted(cache, key, "g3") == revoked  # a revocation is final: nothing to confirm
    assert log.reads == reads


def test_without_a_generation_every_request_reads_the_log() -> None:
    log, key = Log(), uuid.uuid4()
    log.keys[key] = FACTS
    cache = cache_of(log)
    trusted(cache, key, "g1")
    reads = log.reads
    assert trusted(cache, key, None) == FACTS
    assert trusted(cache, key, None) == FACTS
    assert log.reads == reads + 2


def test_a_key_read_before_the_generation_was_known_is_confirmed_by_a_second_read() -> None:
    log, key = Log(), uuid.uuid4()
    log.keys[key] = FACTS
    cache = cache_of(log)
    assert trusted(cache, key, "g1") == FACTS  # first request of the process: tag unknown
    assert log.reads == 2
    other = uuid.uuid4()
    log.keys[other] = replace(FACTS, public_id="key_b")
    assert trusted(cache, other, "g1") is not None  # read under the generation it then knew
    assert log.reads == 3


def test_an_unknown_key_is_not_remembered() -> None:
    log = Log()
    cache = cache_of(log)
    assert cache.lookup(uuid.uuid4()) is None
    assert len(cache) == 0


def test_the_ttl_bounds_how_long_a_key_is_trusted_whatever_the_generation() -> None:
    log, key, clock = Log(), uuid.uuid4(), Clock()
    log.keys[key] = FACTS
    cache = cache_of(log, clock, ttl_s=30.0)
    trusted(cache, key, "g1")
    reads = log.reads
    clock.now_s = 29.0
    trusted(cache, key, "g1")
    assert log.reads == reads
    clock.now_s = 31.0
    trusted(cache, key, "g1")
    assert log.reads == reads + 1


def test_the_least_recently_used_key_leaves_first_when_the_cache_is_full() -> None:
    log = Log()
    keys = [uuid.uuid4() for _ in range(3)]
    for key in keys:
        log.keys[key] = FACTS
    cache = cache_of(log, entries_max=2)
    for key in keys:
        trusted(cache, key, "g1")
    assert len(cache) == 2
    reads = log.reads
    trusted(cache, keys[2], "g1")
    trusted(cache, keys[1], "g1")
    assert log.reads == reads
    trusted(cache, keys[0], "g1")
    assert log.reads == reads + 1


def test_an_expired_key_is_told_by_its_facts_on_every_request() -> None:
    facts = replace(FACTS, expires_at=NOW + timedelta(seconds=1))
    assert facts.usable(NOW)
    assert not facts.usable(NOW + timedelta(seconds=1))


def test_forgetting_a_key_reads_it_again_at_once() -> None:
    log, key = Log(), uuid.uuid4()
    log.keys[key] = FACTS
    cache = cache_of(log)
    trusted(cache, key, "g1")
    cache.forget(key)
    reads = log.reads
    trusted(cache, key, "g1")
    assert log.reads == reads + 1


def test_peeking_answers_from_memory_only_and_says_when_a_read_is_needed() -> None:
    log, key, clock = Log(), uuid.uuid4(), Clock()
    log.keys[key] = FACTS
    cache = cache_of(log, clock, ttl_s=30.0)
    assert cache.peek(key) is None  # never read: finding it is a read
    assert log.reads == 0
    trusted(cache, key, "g1")
    reads = log.reads
    remembered = cache.peek(key)
    assert remembered is not None and remembered.facts == FACTS
    assert cache.confirms_from_memory(remembered, "g1")
    assert not cache.confirms_from_memory(remembered, "g2")  # a moved generation: read again
    assert not cache.confirms_from_memory(remembered, None)  # Redis silent: read again
    assert log.reads == reads
    clock.now_s = 31.0
    assert cache.peek(key) is None  # past its TTL, as `lookup` would read it again


def test_a_remembered_revocation_confirms_from_memory_whatever_the_generation() -> None:
    log, key = Log(), uuid.uuid4()
    log.keys[key] = replace(FACTS, revoked=True)
    cache = cache_of(log)
    trusted(cache, key, "g1")
    remembered = cache.peek(key)
    assert remembered is not None
    assert cache.confirms_from_memory(remembered, "g9")
    assert cache.confirms_from_memory(remembered, None)
