"""Idempotency-Key on commands: replays, reuse with another body, and concurrent duplicates."""

from __future__ import annotations

import threading
import uuid

import httpx
import pytest

from infrastructure.postgres.idempotency import CACHE_PREFIX
from tests.support.stack import Stack

pytestmark = pytest.mark.e2e


def new_user(stack: Stack) -> str:
    response = stack.client().post("/users", json={"externalUserId": f"idem-{uuid.uuid4().hex}"})
    return str(response.json()["data"]["id"])


def send_together(
    stack: Stack, user: str, key: str, body: dict[str, str], count: int
) -> list[httpx.Response]:
    """`count` clients post the same credit under one Idempotency-Key at the same moment."""
    barrier = threading.Barrier(count)
    responses: list[httpx.Response] = []
    lock = threading.Lock()

    def send() -> None:
        with httpx.Client(base_url=stack.base_url, timeout=30) as client:
            barrier.wait()
            response = client.post(
                f"/users/{user}/balance/credit",
                json=body,
                headers={
                    "Authorization": stack.client().headers["Authorization"],
                    "Idempotency-Key": key,
                },
            )
        with lock:
            responses.append(response)

    threads = [threading.Thread(target=send) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return responses


def test_a_retried_command_is_applied_once_and_replayed(stack: Stack) -> None:
    user = new_user(stack)
    client = stack.client(**{"Idempotency-Key": f"credit-{uuid.uuid4()}"})
    body = {"amount": "10", "reason": "retry me"}
    first = client.post(f"/users/{user}/balance/credit", json=body)
    again = client.post(f"/users/{user}/balance/credit", json=body)
    assert first.status_code == again.status_code == 200
    assert again.headers["Idempotency-Replay"] == "true"
    assert again.content == first.content
    assert stack.services.use_cases.balances.account(user).available_stroops == 10 * 10**7


def test_the_same_key_with_another_body_is_refused(stack: Stack) -> None:
    user = new_user(stack)
    client = stack.client(**{"Idempotency-Key": f"credit-{uuid.uuid4()}"})
    client.post(f"/users/{user}/balance/credit", json={"amount": "10", "reason": "a"})
    reused = client.post(f"/users/{user}/balance/credit", json={"amount": "11", "reason": "a"})
    assert reused.status_code == 409
    assert reused.json()["error"]["code"] == "IDEMPOTENCY_KEY_REUSED"


def test_keys_are_scoped_to_the_api_key_and_the_path(stack: Stack) -> None:
    user = new_user(stack)
    idem = {"Idempotency-Key": f"shared-{uuid.uuid4()}"}
    body = {"amount": "1", "reason": "scoped"}
    stack.client(**idem).post(f"/users/{user}/balance/credit", json=body)
    stack.client(stack.key("admin"), **idem).post(f"/users/{user}/balance/credit", json=body)
    stack.client(**idem).post(f"/users/{user}/balance/debit", json=body)
    assert stack.services.use_cases.balances.account(user).available_stroops == 1 * 10**7


def test_a_failed_command_is_not_remembered(stack: Stack) -> None:
    user = new_user(stack)
    client = stack.client(**{"Idempotency-Key": f"debit-{uuid.uuid4()}"})
    body = {"amount": "5", "reason": "too early"}
    assert client.post(f"/users/{user}/balance/debit", json=body).status_code == 422
    stack.client().post(f"/users/{user}/balance/credit", json={"amount": "5", "reason": "now"})
    assert client.post(f"/users/{user}/balance/debit", json=body).status_code == 200


def test_concurrent_duplicates_apply_once_and_the_rest_wait_or_replay(stack: Stack) -> None:
    user = new_user(stack)
    key = f"burst-{uuid.uuid4()}"
    responses = send_together(stack, user, key, {"amount": "3", "reason": "burst"}, 8)
    statuses = sorted(r.status_code for r in responses)
    assert set(statuses) <= {200, 409}
    assert statuses.count(200) >= 1
    for response in responses:
        if response.status_code == 409:
            assert response.json()["error"]["code"] == "IDEMPOTENCY_KEY_IN_PROGRESS"
    bodies = {r.content for r in responses if r.status_code == 200}
    assert len(bodies) == 1
    assert stack.services.use_cases.balances.account(user).available_stroops == 3 * 10**7
    replay = stack.client(**{"Idempotency-Key": key}).post(
        f"/users/{user}/balance/credit", json={"amount": "3", "reason": "burst"}
    )
    assert replay.status_code == 200
    assert replay.content in bodies


def forget_cached_responses(stack: Stack) -> None:
    """Redis is only a cache of finished responses: losing it must change no answer."""
    cache = stack.services.resources.redis
    for key in cache.scan_iter(match=f"{CACHE_PREFIX}*"):
        cache.delete(key)


def test_a_retry_after_the_cache_is_lost_replays_from_the_record_written_with_the_events(
    stack: Stack,
) -> None:
    user = new_user(stack)
    client = stack.client(**{"Idempotency-Key": f"credit-{uuid.uuid4()}"})
    body = {"amount": "4", "reason": "cache lost"}
    first = client.post(f"/users/{user}/balance/credit", json=body)
    forget_cached_responses(stack)
    again = client.post(f"/users/{user}/balance/credit", json=body)
    assert first.status_code == again.status_code == 200
    assert again.headers["Idempotency-Replay"] == "true"
    assert again.content == first.content
    assert stack.services.use_cases.balances.account(user).available_stroops == 4 * 10**7
    forget_cached_responses(stack)
    other = client.post(f"/users/{user}/balance/credit", json={**body, "amount": "5"})
    assert other.status_code == 409
    assert other.json()["error"]["code"] == "IDEMPOTENCY_KEY_REUSED"


def test_a_retried_debit_hears_its_first_answer_even_when_the_money_is_gone(stack: Stack) -> None:
    user = new_user(stack)
    stack.client().post(f"/users/{user}/balance/credit", json={"amount": "6", "reason": "fund"})
    client = stack.client(**{"Idempotency-Key": f"debit-{uuid.uuid4()}"})
    body = {"amount": "6", "reason": "spend it all"}
    first = client.post(f"/users/{user}/balance/debit", json=body)
    forget_cached_responses(stack)
    # Decided again, the debit would be refused (the first spent the money): the record of
    # the first answers instead.
    again = client.post(f"/users/{user}/balance/debit", json=body)
    assert first.status_code == again.status_code == 200
    assert again.content == first.content
    assert again.headers["Idempotency-Replay"] == "true"
    assert stack.services.use_cases.balances.account(user).available_stroops == 0


def test_duplicates_racing_to_record_one_key_record_it_once_and_all_hear_the_same_answer(
    stack: Stack,
) -> None:
    user = new_user(stack)
    key = f"race-{uuid.uuid4()}"
    count = 8
    responses = send_together(stack, user, key, {"amount": "2", "reason": "race"}, count)
    # No claim is taken before the command: every duplicate decides, one records, and the
    # others, refused by its record at commit, replay it.
    assert [r.status_code for r in responses] == [200] * count
    assert len({r.content for r in responses}) == 1
    assert sum(r.headers.get("Idempotency-Replay") == "true" for r in responses) == count - 1
    assert stack.services.use_cases.balances.account(user).available_stroops == 2 * 10**7
