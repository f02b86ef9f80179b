"""The ceilings of money through HTTP: a command past one is 422 LIMIT_EXCEEDED naming the limit,
nothing is recorded, and every read model keeps up with the log."""

from __future__ import annotations

import uuid

import pytest

from tests.support.stack import Stack

pytestmark = pytest.mark.e2e

CHAIN_MAX = "922337203685.4775807"  # 2**63 - 1 stroops


def test_config_states_the_ceilings_it_enforces(stack: Stack) -> None:
    limits = stack.client(key=None).get("/config").json()["data"]["limits"]
    assert limits["amount"] == {"min": "0.0000001", "max": CHAIN_MAX}
    assert limits["userBalance"] == {"min": "0.00", "max": CHAIN_MAX}
    assert limits["escrowBalance"] == {"min": "0.00", "max": CHAIN_MAX}


def test_two_largest_credits_book_the_first_refuse_the_second_and_stall_nothing(
    isolated_stack: Stack,
) -> None:
    """The fault campaign's poison: two credits of the largest amount once pushed the
    adjustments account past bigint and froze every statement. On its own database, because
    the first credit alone takes `external:adjustments` to the edge of what it may hold."""
    stack = isolated_stack
    client = stack.client()
    user = client.post("/users", json={"externalUserId": f"rich-{uuid.uuid4().hex}"})
    user_id = user.json()["data"]["id"]
    credit = {"amount": CHAIN_MAX, "reason": "largest credit"}

    first = client.post(f"/users/{user_id}/balance/credit", json=credit)
    assert first.status_code == 200, first.text
    second = client.post(f"/users/{user_id}/balance/credit", json=credit)
    assert second.status_code == 422, second.text
    error = second.json()["error"]
    assert error["code"] == "LIMIT_EXCEEDED"
    assert error["details"]["limit"] == "userBalance"
    assert error["details"]["max"] == CHAIN_MAX
    assert CHAIN_MAX in error["message"]

    stack.caught_up()
    balance = client.get(f"/users/{user_id}/balance").json()["data"]
    assert (balance["available"], balance["total"]) == (CHAIN_MAX, CHAIN_MAX)
    lines = client.get(f"/users/{user_id}/ledger").json()["data"]
    assert [line["balanceAfter"] for line in lines] == [CHAIN_MAX]
    later = client.post("/users", json={"externalUserId": f"after-{uuid.uuid4().hex}"})
    assert later.status_code == 201
    stack.caught_up()
    assert client.get(f"/users/{later.json()['data']['id']}").status_code == 200


def test_an_amount_past_one_payment_is_limit_exceeded(stack: Stack) -> None:
    client = stack.client()
    user = client.post("/users", json={"externalUserId": f"big-{uuid.uuid4().hex}"})
    response = client.post(
        f"/users/{user.json()['data']['id']}/balance/credit",
        json={"amount": "922337203685.4775808", "reason": "one stroop too many"},
    )
    assert response.status_code == 422, response.text
    assert response.json()["error"]["details"] == {
        "limit": "amount",
        "max": CHAIN_MAX,
        "value": "922337203685.4775808",
    }
