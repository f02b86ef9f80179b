"""The proof of reserves against the sandbox: after deposits and orders, what the chain holds
covers what the books hold for users, escrows and the platform, to the stroop; an earlier
position is answered as of then; Horizon or Trustless Work down is a 503 with Retry-After."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest

from sandbox.faults.fault_rules import FaultRule
from tests.support.money import funded_user, wait_balance
from tests.support.orders import command, funded_order, order_awaiting_funding, parties, wait_order
from tests.support.stack import Stack

pytestmark = pytest.mark.e2e


def reserves(stack: Stack, **params: Any) -> httpx.Response:
    head = stack.services.resources.ledger.head_position()
    return stack.client(stack.key("audit")).get(
        "/audit/reserves", params=params, headers={"X-Min-Position": str(head)}
    )


def by_class(answer: httpx.Response) -> dict[str, dict[str, Any]]:
    assert answer.status_code == 200, answer.text
    return {held["class"]: held for held in answer.json()["data"]["classes"]}


def test_after_deposits_and_orders_the_chain_covers_every_class_to_the_stroop(
    isolated_stack: Stack,
) -> None:
    stack = isolated_stack
    who = parties(stack, "300")
    released = funded_order(stack, who, "250")
    before_release = stack.services.resources.ledger.head_position()
    command(stack, f"/orders/{released['id']}/resolution/release")
    wait_order(stack, released["id"], status="CLOSED")
    funded_order(stack, who, "20")  # stays in its escrow
    # Buyer 300 - 250 - 20 = 30; seller 250 less 0.75 to Trustless Work and 12.50 to the
    # platform = 236.75.
    wait_balance(stack, who.seller, "236.75")

    answer = reserves(stack)
    report = answer.json()["data"]
    assert report["covered"] is True
    assert report["asset"].startswith("USDC:")
    assert report["position"] == stack.services.resources.ledger.head_position()
    classes = by_class(answer)
    users, escrows, platform = classes["users"], classes["escrows"], classes["platform"]
    assert (users["booked"], users["onChain"], users["surplus"]) == ("266.75", "266.75", "0.00")
    assert users["offChain"] == "0.00"
    assert users["holders"] == 2  # the buyer's wallet and the seller's
    assert {a["account"]: a["balance"] for a in users["accounts"]} == {
        "user:*:available": "266.75",
        "user:*:reserved": "0.00",
    }
    assert (escrows["booked"], escrows["onChain"], escrows["holders"]) == ("20.00", "20.00", 2)
    assert (platform["booked"], platform["onChain"], platform["holders"]) == ("12.50", "12.50", 1)
    assert all(held["covered"] for held in classes.values())

    # As of before the release the books held 250 in escrow; the contracts hold 20 now.
    then = by_class(reserves(stack, asOf=str(before_release)))
    assert (then["escrows"]["booked"], then["escrows"]["surplus"]) == ("250.00", "-230.00")
    assert then["escrows"]["covered"] is False


def test_horizon_or_trustless_work_down_is_a_503_with_retry_after(stack: Stack) -> None:
    funded_user(stack, "5", prefix="reserves")
    order_awaiting_funding(stack, parties(stack, "5"), "2")
    assert reserves(stack).status_code == 200
    for route in ("horizon GET /accounts/*", "trustless-work GET /escrow/*"):
        assert stack.sandbox is not None
        fault = stack.sandbox.faults.inject(
            FaultRule(route=route, mode="http_error", status=503, count=None)
        )
        try:
            down = reserves(stack)
        finally:
            stack.sandbox.faults.remove(fault)
        assert down.status_code == 503, down.text
        assert down.json()["error"]["code"] == "RESERVES_UNAVAILABLE"
        assert int(down.headers["Retry-After"]) > 0
    assert reserves(stack).status_code == 200


def test_an_as_of_past_the_books_is_refused(stack: Stack) -> None:
    far = reserves(stack, asOf=str(10**12))
    assert far.status_code == 400, far.text
    assert far.json()["error"]["code"] == "VALIDATION_ERROR"
    assert reserves(stack, asOf=f"not-a-position-{uuid.uuid4().hex[:4]}").status_code == 400
