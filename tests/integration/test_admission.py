"""Where the edge admits a request: on the event loop when memory and the one Redis round trip
suffice, in one of its threads for whatever would block the loop (a key to read from the log or
its use to record, a key generation that moved, an Idempotency-Key claimed beforehand)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from infrastructure.redis.key_generation import RedisKeyGeneration
from interfaces.http.edge import admission
from tests.support.stack import Stack, running_stack

pytestmark = pytest.mark.integration


@pytest.fixture
def stack(database_url: str, redis_url: str) -> Iterator[Stack]:
    with running_stack(database_url, redis_url, with_runner=False) as running:
        yield running


@pytest.fixture
def threaded(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The names of the admission steps handed to an edge thread, in order."""
    steps: list[str] = []
    in_thread = admission.in_edge_thread

    async def noting(function: Callable[..., Any], *args: Any) -> Any:
        steps.append(function.__name__)
        return await in_thread(function, *args)

    monkeypatch.setattr(admission, "in_edge_thread", noting)
    return steps


def test_a_remembered_key_is_admitted_on_the_loop_and_read_again_in_a_thread_when_it_must_be(
    stack: Stack, threaded: list[str]
) -> None:
    client = stack.client(stack.key("read"))
    threaded.clear()
    assert client.get("/me").status_code == 200  # its first use is recorded: a write
    assert threaded == ["admit"]
    threaded.clear()
    for _ in range(3):
        assert client.get("/me").status_code == 200
    assert threaded == []  # remembered, under the same key generation: no thread at all

    RedisKeyGeneration(stack.services.resources.redis).move()  # as a revocation elsewhere does
    assert client.get("/me").status_code == 200
    assert threaded == ["_conclude"]  # confirmed against the log, off the loop
    threaded.clear()
    assert client.get("/me").status_code == 200
    assert threaded == []  # remembered again, under the new generation

    key_id = client.get("/me").json()["data"]["apiKeyId"]
    assert stack.client().delete(f"/auth/api-keys/{key_id}").status_code == 200
    threaded.clear()
    refused = client.get("/me")
    assert refused.status_code == 401  # this process revoked it, so forgot it: read again
    assert refused.json()["error"]["code"] == "INVALID_API_KEY"
    assert threaded == ["admit"]


def test_a_claim_written_before_its_command_is_taken_in_a_thread_and_still_replays(
    stack: Stack, threaded: list[str]
) -> None:
    client = stack.client()  # the master key: nothing to read or record
    headers = {"Idempotency-Key": "admission-create-user-1"}
    body = {"externalUserId": "admission-user-1"}
    threaded.clear()
    first = client.post("/users", json=body, headers=headers)
    assert first.status_code == 201, first.text
    # POST /users claims its key in a transaction of its own, before the command runs.
    assert "_conclude" in threaded
    again = client.post("/users", json=body, headers=headers)
    assert again.status_code == 201
    assert again.headers.get("Idempotency-Replay") == "true"
    assert again.json() == first.json()
