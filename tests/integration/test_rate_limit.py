"""The per-key rate limit is shared by every API instance (it lives in Redis)."""

from __future__ import annotations

import pytest

from interfaces.bootstrap import build_services, ensure_projections
from tests.support.stack import ApiServer, running_stack, settings_for_tests

pytestmark = pytest.mark.integration


def test_two_api_instances_share_one_budget_per_key(database_url: str, redis_url: str) -> None:
    with running_stack(database_url, redis_url, with_runner=False) as first:
        other_services = build_services(settings_for_tests(), database_url, redis_url)
        ensure_projections(other_services)
        second = ApiServer(other_services).start()
        try:
            key = first.key("read", rateLimitPerMinute=5)
            clients = [first.client(key), first.client(key)]
            clients[1].base_url = second.base_url  # type: ignore[misc]
            statuses = []
            for n in range(6):
                response = clients[n % 2].get("/me")
                statuses.append(response.status_code)
                assert response.headers["X-RateLimit-Limit"] == "5"
            assert statuses == [200] * 5 + [429]
            assert int(response.headers["Retry-After"]) >= 1
            assert response.headers["X-RateLimit-Remaining"] == "0"
            assert response.json()["error"]["code"] == "RATE_LIMITED"
        finally:
            second.stop()
            other_services.close()


def test_one_call_counts_the_request_and_reads_the_idempotency_cache(redis_url: str) -> None:
    import uuid

    import redis

    from infrastructure.redis.rate_limit import RedisRateLimiter

    client = redis.Redis.from_url(redis_url)
    limiter, cached = RedisRateLimiter(client), f"test:idem:{uuid.uuid4().hex}"
    identity = f"key:test-{uuid.uuid4().hex}"
    assert limiter.hit(identity, 2, also_get=cached).also_got is None
    client.set(cached, b"stored response", ex=60)
    second = limiter.hit(identity, 2, also_get=cached)
    assert (second.admitted, second.remaining, second.also_got) == (True, 0, b"stored response")
    refused = limiter.hit(identity, 2, also_get=cached)
    assert (refused.admitted, refused.also_got) == (False, b"stored response")
    client.close()


def test_the_same_call_answers_the_key_generation_which_every_move_changes(
    redis_url: str,
) -> None:
    import uuid

    import redis

    from infrastructure.redis.key_generation import RedisKeyGeneration
    from infrastructure.redis.rate_limit import RedisRateLimiter

    client = redis.Redis.from_url(redis_url)
    limiter, generation = RedisRateLimiter(client), RedisKeyGeneration(client)
    identity = f"key:test-{uuid.uuid4().hex}"
    before = limiter.hit(identity, 10).key_generation
    assert before is not None
    assert limiter.hit(identity, 10, also_get="test:idem:absent").key_generation == before
    generation.move()
    moved = limiter.hit(identity, 10).key_generation
    assert moved not in (None, before)
    generation.move()
    assert limiter.hit(identity, 10).key_generation not in (None, before, moved)
    client.close()


def test_on_an_event_loop_the_limit_counts_in_the_same_window_as_from_a_thread(
    redis_url: str,
) -> None:
    import asyncio
    import uuid

    import redis

    from infrastructure.redis.rate_limit import LoopRateLimiter, RedisRateLimiter

    client = redis.Redis.from_url(redis_url)
    blocking, cached = RedisRateLimiter(client), f"test:idem:{uuid.uuid4().hex}"
    identity = f"key:test-{uuid.uuid4().hex}"
    client.set(cached, b"stored response", ex=60)

    async def on_the_loop() -> list[tuple[bool, int, bytes | None, str | None]]:
        limiter = LoopRateLimiter(redis_url, timeout_s=5)
        limiter.open()
        try:
            decisions = [await limiter.hit(identity, 3, also_get=cached) for _ in range(2)]
        finally:
            await limiter.close()
        return [(d.admitted, d.remaining, d.also_got, d.key_generation) for d in decisions]

    first, second = asyncio.run(on_the_loop())
    assert first[:3] == (True, 2, b"stored response") and first[3] is not None
    assert second[:3] == (True, 1, b"stored response")
    third = blocking.hit(identity, 3)
    assert (third.admitted, third.remaining, third.key_generation) == (True, 0, first[3])
    assert not blocking.hit(identity, 3).admitted  # the fourth, whoever counts it
    client.close()


def test_on_an_event_loop_an_unreachable_redis_admits_and_tells_no_generation() -> None:
    import asyncio
    import socket

    from infrastructure.redis.rate_limit import LoopRateLimiter

    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]

    async def on_the_loop() -> tuple[bool, str | None]:
        limiter = LoopRateLimiter(f"redis://127.0.0.1:{port}/0", timeout_s=1)
        limiter.open()
        try:
            decision = await limiter.hit("key:test-unreachable", 3)
        finally:
            await limiter.close()
        return decision.admitted, decision.key_generation

    assert asyncio.run(on_the_loop()) == (True, None)
