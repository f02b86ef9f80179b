"""Our own stores going away under a running stack: PostgreSQL stopped, Redis stopped, a pool
with no connection to give. Every answer is a 503 SERVICE_UNAVAILABLE with Retry-After (never a
500), readiness goes red, and when the store comes back the API, the runner and the workers
carry on by themselves — no restart, no saga parked for having waited.

Each test runs its own PostgreSQL and Redis, so stopping them disturbs nothing else.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from infrastructure.embedded.postgres import EmbeddedPostgres
from infrastructure.embedded.redis import EmbeddedRedis
from infrastructure.observability.actor_telemetry import RETRIED
from infrastructure.observability.metrics import SAGA_STEPS
from interfaces.workers.saga_messages import PAY_WITHDRAWAL
from sandbox.faults.fault_rules import FaultRule
from sandbox.server import SandboxServer
from tests.support.money import active_user, data_or_none, funded_user, withdraw
from tests.support.scratch import scratch_dir
from tests.support.stack import Stack, running_stack
from tests.support.waiting import wait_until

pytestmark = pytest.mark.e2e

RECOVERY_TIMEOUT_S = 60.0


@dataclass
class Stores:
    postgres: EmbeddedPostgres
    redis: EmbeddedRedis


@pytest.fixture
def stores() -> Iterator[Stores]:
    with scratch_dir("outages") as directory:
        postgres = EmbeddedPostgres(directory / "pg", durable=False)
        redis = EmbeddedRedis(directory / "redis", durable=False)
        postgres.start()
        redis.start()
        try:
            yield Stores(postgres, redis)
        finally:
            redis.stop()
            postgres.stop()


@pytest.fixture
def outage_stack(stores: Stores, sandbox: SandboxServer) -> Iterator[Stack]:
    with running_stack(stores.postgres.url, stores.redis.url, sandbox) as stack:
        yield stack


def assert_unavailable(response: httpx.Response) -> None:
    assert response.status_code == 503, response.text
    assert response.json()["error"]["code"] == "SERVICE_UNAVAILABLE", response.text
    assert int(response.headers["Retry-After"]) >= 1


def readiness(stack: Stack) -> tuple[int, Any]:
    response = stack.client().get("/health/ready")
    return response.status_code, response.json()["data"]


def test_while_postgres_is_down_every_route_answers_503_and_the_api_recovers_by_itself(
    outage_stack: Stack, stores: Stores
) -> None:
    stack = outage_stack
    client = stack.client()
    user_id = client.post("/users", json={"externalUserId": f"pg-{uuid.uuid4().hex}"}).json()[
        "data"
    ]["id"]
    credit = {"amount": "12.50", "reason": "outage"}
    key = {"Idempotency-Key": f"credit-{uuid.uuid4().hex}"}

    stores.postgres.stop()

    assert_unavailable(client.post(f"/users/{user_id}/balance/credit", json=credit, headers=key))
    assert_unavailable(client.post(f"/users/{user_id}/balance/debit", json=credit))
    assert_unavailable(withdraw(stack, user_id, "10", "G" + "A" * 55))
    assert_unavailable(
        client.post(
            "/orders", json={"buyerId": user_id, "sellerId": user_id, "amount": "5", "title": "x"}
        )
    )
    for path in ("/ledger", "/balance", ""):
        assert_unavailable(client.get(f"/users/{user_id}{path}"))
    assert_unavailable(client.get("/orders"))
    status, body = readiness(stack)
    assert status == 503
    assert body["dependencies"]["database"]["status"] == "down"

    stores.postgres.start()

    credited = wait_until(
        lambda: (lambda r: r if r.status_code == 200 else None)(
            client.post(f"/users/{user_id}/balance/credit", json=credit, headers=key)
        ),
        timeout_s=RECOVERY_TIMEOUT_S,
        message="the API to answer again once PostgreSQL is back",
    )
    assert credited.json()["data"]["newBalance"]["available"] == "12.50"
    wait_until(lambda: readiness(stack)[0] == 200, timeout_s=RECOVERY_TIMEOUT_S, message="ready")
    # The runner caught up too: the credit is in the read model.
    wait_until(
        lambda: (
            (data_or_none(client.get(f"/users/{user_id}/balance")) or {}).get("available")
            == "12.50"
        ),
        timeout_s=RECOVERY_TIMEOUT_S,
        message="the balance read model to show the credit",
    )


def test_while_redis_is_down_commands_still_apply_readiness_is_red_and_streams_answer_503(
    outage_stack: Stack, stores: Stores
) -> None:
    stack = outage_stack
    client = stack.client()
    user_id = client.post("/users", json={"externalUserId": f"redis-{uuid.uuid4().hex}"}).json()[
        "data"
    ]["id"]

    api_key = stack.key("read")
    assert stack.client(api_key).get("/me").status_code == 200  # remembered by the process
    key_id = stack.client(api_key).get("/me").json()["data"]["apiKeyId"]

    stores.redis.stop()

    # Keys authenticate from the log while nobody can say whether one was revoked; a revocation
    # nobody could hear is refused, unapplied.
    assert stack.client(api_key).get("/me").status_code == 200
    assert_unavailable(client.delete(f"/auth/api-keys/{key_id}"))
    assert stack.client(api_key).get("/me").status_code == 200
    # Redis holds rate limits and cached replays, not money: the ledger keeps working.
    key = {"Idempotency-Key": f"credit-{uuid.uuid4().hex}"}
    credit = {"amount": "3", "reason": "redis outage"}
    first = client.post(f"/users/{user_id}/balance/credit", json=credit, headers=key)
    assert first.status_code == 200, first.text
    replay = client.post(f"/users/{user_id}/balance/credit", json=credit, headers=key)
    assert replay.headers.get("Idempotency-Replay") == "true"
    assert replay.json()["data"] == first.json()["data"]
    status, body = readiness(stack)
    assert status == 503
    assert body["dependencies"]["redis"]["status"] == "down"
    with client.stream("GET", "/events") as stream:
        assert stream.status_code == 503
        stream.read()
        assert stream.headers["Retry-After"]

    stores.redis.start()

    wait_until(lambda: readiness(stack)[0] == 200, timeout_s=RECOVERY_TIMEOUT_S, message="ready")
    assert client.delete(f"/auth/api-keys/{key_id}").status_code == 200
    assert stack.client(api_key).get("/me").status_code == 401


def test_a_pool_with_no_connection_to_give_answers_503(outage_stack: Stack) -> None:
    stack = outage_stack
    client = stack.client()
    user_id = client.post("/users", json={"externalUserId": f"pool-{uuid.uuid4().hex}"}).json()[
        "data"
    ]["id"]
    balance = f"/users/{user_id}/balance"
    wait_until(lambda: client.get(balance).status_code == 200, message="the read model")
    pool = stack.services.resources.pool
    with ExitStack() as held:
        for _ in range(pool.max_size):
            held.enter_context(pool.connection())
        assert_unavailable(client.get(balance))
    wait_until(lambda: client.get(balance).status_code == 200, message="the pool to serve again")


def test_a_saga_step_that_meets_a_database_outage_waits_for_it_and_is_not_parked(
    stores: Stores, sandbox: SandboxServer
) -> None:
    # A budget of one retry: the outage below outlasts it many times over.
    with running_stack(
        stores.postgres.url, stores.redis.url, sandbox, SAGA_RETRIES_MAX="1"
    ) as stack:
        user_id, _ = funded_user(stack, "40", "outage")
        _, destination = active_user(stack, "outage-dest")
        # Horizon answers the withdrawal's submission slowly: the step is in flight when
        # PostgreSQL goes, and meets the outage when it records what happened.
        sandbox.faults.inject(
            FaultRule(route="horizon POST /transactions", mode="slow", delay_ms=2000, count=1)
        )
        retried = steps_retried()
        accepted = withdraw(stack, user_id, "25", destination)
        assert accepted.status_code == 202, accepted.text
        withdrawal_id = accepted.json()["data"]["id"]
        wait_until(lambda: sandbox.faults.fired(mode="slow"), message="the submission in flight")

        stores.postgres.stop()
        wait_until(
            lambda: steps_retried() >= retried + 3,
            timeout_s=RECOVERY_TIMEOUT_S,
            message="the step to be retried past its budget while PostgreSQL is down",
        )
        stores.postgres.start()

        client = stack.client()
        settled = wait_until(
            lambda: (lambda w: w if w and w["status"] == "WITHDRAWAL_COMPLETED" else None)(
                data_or_none(client.get(f"/withdrawals/{withdrawal_id}"))
            ),
            timeout_s=RECOVERY_TIMEOUT_S,
            message="the withdrawal to complete once PostgreSQL is back",
        )
        assert not settled["parked"]
        parked = client.get("/admin/sagas", params={"status": "PARKED"}).json()["data"]
        assert parked == []


def steps_retried() -> float:
    """Withdrawal steps retried so far, in this process (the stack's workers are threads)."""
    return float(SAGA_STEPS.labels(PAY_WITHDRAWAL, RETRIED)._value.get())
