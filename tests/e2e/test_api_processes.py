"""Several API processes on one database (as `WEB_CONCURRENCY` runs them on a host of more
than two cores): each decides its own batches, and the version check at commit keeps debits
racing across processes for the same money from ever overdrawing it."""

from __future__ import annotations

import threading
import uuid

import httpx
import pytest

from tests.support.instances import api_instance
from tests.support.stack import MASTER_KEY, Stack

pytestmark = pytest.mark.e2e

RACERS = 12  # half on each process
DEBIT = "10"


def new_user(stack: Stack, credit: str) -> str:
    client = stack.client()
    created = client.post("/users", json={"externalUserId": f"procs-{uuid.uuid4().hex}"})
    assert created.status_code == 201, created.text
    user_id = str(created.json()["data"]["id"])
    seeded = client.post(
        f"/users/{user_id}/balance/credit", json={"amount": credit, "reason": "seed"}
    )
    assert seeded.status_code == 200, seeded.text
    return user_id


def race_debits(base_urls: list[str], user_id: str) -> list[httpx.Response]:
    """RACERS debits of DEBIT at once, spread over the processes, each with its own key."""
    barrier = threading.Barrier(RACERS)
    answers: list[httpx.Response | BaseException] = [RuntimeError("no answer")] * RACERS

    def debit(index: int) -> None:
        headers = {"Authorization": f"Bearer {MASTER_KEY}", "Idempotency-Key": uuid.uuid4().hex}
        with httpx.Client(base_url=base_urls[index % len(base_urls)], timeout=60) as client:
            barrier.wait()
            try:
                answers[index] = client.post(
                    f"/users/{user_id}/balance/debit",
                    json={"amount": DEBIT, "reason": "race"},
                    headers=headers,
                )
            except httpx.HTTPError as error:
                answers[index] = error

    threads = [threading.Thread(target=debit, args=(i,)) for i in range(RACERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    responses = [a for a in answers if isinstance(a, httpx.Response)]
    assert len(responses) == RACERS, answers
    return responses


def outcome(responses: list[httpx.Response]) -> tuple[list[httpx.Response], list[httpx.Response]]:
    debited = [r for r in responses if r.status_code == 200]
    refused = [r for r in responses if r.status_code == 422]
    assert len(debited) + len(refused) == RACERS, [(r.status_code, r.text) for r in responses]
    assert {r.json()["error"]["code"] for r in refused} <= {"INSUFFICIENT_FUNDS"}
    return debited, refused


def statement_total(stack: Stack, user_id: str) -> tuple[str, list[str]]:
    """The balance read model's available amount and the statement's debit amounts."""
    stack.caught_up()
    client = stack.client()
    balance = client.get(f"/users/{user_id}/balance").json()["data"]
    lines = client.get(f"/users/{user_id}/ledger", params={"limit": 100}).json()["data"]
    return balance["available"], [line["amount"] for line in lines if line["direction"] == "debit"]


def test_debits_racing_for_the_same_money_on_two_api_processes_never_overdraw(
    stack: Stack,
) -> None:
    with api_instance(stack) as other:
        base_urls = [stack.base_url, other.base_url]

        # Money for one debit: exactly one succeeds, on whichever process decided first.
        once = new_user(stack, DEBIT)
        debited, refused = outcome(race_debits(base_urls, once))
        assert (len(debited), len(refused)) == (1, RACERS - 1)
        assert debited[0].json()["data"]["balance"]["available"] == "0.00"

        # Money for five: five succeed, each answering the balance its own debit left.
        five = new_user(stack, "50")
        debited, refused = outcome(race_debits(base_urls, five))
        assert (len(debited), len(refused)) == (5, RACERS - 5)
        left = sorted(r.json()["data"]["balance"]["available"] for r in debited)
        assert left == ["0.00", "10.00", "20.00", "30.00", "40.00"]

    # The log folds to the read models: the balance and the statement say what was answered.
    assert statement_total(stack, once) == ("0.00", [DEBIT + ".00"])
    assert statement_total(stack, five) == ("0.00", [DEBIT + ".00"] * 5)
    aggregate = stack.services.use_cases.balances.account(five)
    assert (aggregate.available_stroops, aggregate.reserved_stroops) == (0, 0)
