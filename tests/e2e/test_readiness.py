"""`/health/ready` reflects the dependencies, the read models' lag and the runner's leadership."""

from __future__ import annotations

import time
from typing import Any

import httpx
import pytest

from interfaces.bootstrap import build_services
from interfaces.workers.loops import default_loops, loop_names
from tests.support.stack import ApiServer, Stack, free_port
from tests.support.waiting import wait_until

pytestmark = pytest.mark.e2e
SETTLE_S = 0.3  # how long the head must stay put to count as settled


def readiness(base_url: str) -> tuple[int, Any]:
    response = httpx.get(f"{base_url}/health/ready", timeout=10)
    return response.status_code, response.json()["data"]


def test_readiness_names_every_runner_loop_and_sees_each_one_led(isolated_stack: Stack) -> None:
    stack = isolated_stack
    names = loop_names(stack.services.resources.projections)
    assert names == [loop.name for loop in default_loops(stack.services, stack.broker)]

    wait_until(
        lambda: all(readiness(stack.base_url)[1]["leadership"].values()),
        timeout_s=30,
        message="the runner to lead every loop",
    )
    status, body = readiness(stack.base_url)
    assert status == 200
    assert body["status"] == "ready"
    assert sorted(body["leadership"]) == sorted(names)


def test_a_loop_without_a_leader_is_reported_and_the_instance_still_serves(
    isolated_stack: Stack,
) -> None:
    stack = isolated_stack
    assert stack.runner is not None
    # Whatever the stack writes while starting (the platform wallet's saga, whose events may
    # come after the first look at the head) is applied first, so the lag asserted below is
    # the runner's absence alone.
    ledger = stack.services.resources.ledger

    def settled() -> bool:
        head = ledger.head_position()
        stack.caught_up()
        time.sleep(SETTLE_S)
        return head > 0 and ledger.head_position() == head

    wait_until(settled, timeout_s=30, message="the stack's start-up writes to be applied")
    stack.runner.stop()
    stack.runner = None

    status, body = readiness(stack.base_url)

    assert status == 200
    assert not any(body["leadership"].values())
    projections = body["projections"].values()
    assert all(p["lag"] == 0 and not p["needsRebuild"] for p in projections), projections


def test_an_unreachable_redis_makes_the_instance_not_ready(stack: Stack) -> None:
    nowhere = f"redis://127.0.0.1:{free_port()}"
    services = build_services(
        stack.services.settings, stack.services.resources.database_url, nowhere
    )
    server = ApiServer(services).start()
    try:
        status, body = readiness(server.base_url)
    finally:
        server.stop()
        services.close()

    assert status == 503
    assert body["status"] == "not_ready"
    assert body["dependencies"]["redis"]["status"] == "down"
    assert body["dependencies"]["database"]["status"] == "up"
