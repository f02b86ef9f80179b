"""Trustless Work misbehaving at each escrow step: a step that keeps failing is retried within the
saga's bounds, then parked; once the provider recovers, a retry from the admin endpoint completes
it — and every step still happened exactly once on chain. An answer lost after the transaction
was applied (apply-then-504) needs no operator at all."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from sandbox.faults.fault_rules import TW_SEND_TRANSACTION
from tests.support.money import wait_balance
from tests.support.orders import (
    Parties,
    command,
    create_order,
    escrow_calls,
    funded_order,
    order,
    parties,
    wait_order,
)
from tests.support.stack import Stack
from tests.support.waiting import wait_until

pytestmark = pytest.mark.e2e
PARK_TIMEOUT_S = 60.0

# Each step's build route on Trustless Work.
ROUTES = {
    "deploy": "trustless-work POST /deployer/*",
    "fund": "trustless-work POST /escrow/*/fund-escrow",
    "complete:0": "trustless-work POST /escrow/*/change-milestone-status",
    "approve:0": "trustless-work POST /escrow/*/approve-milestone",
    "release": "trustless-work POST /escrow/*/release-funds",
    "dispute": "trustless-work POST /escrow/*/dispute-escrow",
    "resolve": "trustless-work POST /escrow/*/resolve-dispute",
}
MODES = {
    "5xx": {"mode": "http_error", "status": 503},
    "429": {"mode": "rate_limit", "retry_after_s": 1},
}


class FaultySteps:
    """A persistent fault on each named step's route, lifted one step at a time."""

    def __init__(self, stack: Stack, fault: dict[str, Any], steps: list[str]) -> None:
        assert stack.sandbox is not None
        self._stack = stack
        self._faults = stack.sandbox.faults
        self._ids = {
            step: self._faults.inject({"route": ROUTES[step], "count": None, **fault})
            for step in steps
        }

    def expect_parked_then_retry(self, order_id: str, step: str) -> None:
        """The saga parks at `step` after exactly its bounded attempts; the provider recovers
        and an operator retries it."""
        parked = wait_until(
            lambda: (lambda o: o if o["saga"]["parked"] else None)(order(self._stack, order_id)),
            timeout_s=PARK_TIMEOUT_S,
            message=f"{order_id} to park at {step}",
        )
        assert parked["saga"]["step"] == step
        # The sagas list is a read model: it shows the park once the runner has applied it.
        wait_until(
            lambda: any(
                s["id"] == order_id and s["status"] == "PARKED"
                for s in self._stack.client().get("/admin/sagas").json()["data"]
            ),
            timeout_s=PARK_TIMEOUT_S,
            message=f"{order_id} to be listed as PARKED",
        )
        fired = {a["id"]: a["fired"] for a in self._faults.active()}[self._ids[step]]
        assert fired == self._stack.services.settings.saga_retries_max + 1
        self._faults.remove(self._ids.pop(step))
        retried = self._stack.client().post(f"/admin/sagas/{order_id}/retry")
        assert retried.status_code == 200, retried.text

    def lift_all(self) -> None:
        for fault_id in self._ids.values():
            self._faults.remove(fault_id)


@contextmanager
def faulty(stack: Stack, fault: dict[str, Any], steps: list[str]) -> Iterator[FaultySteps]:
    steps_with_faults = FaultySteps(stack, fault, steps)
    try:
        yield steps_with_faults
    finally:
        steps_with_faults.lift_all()


@pytest.mark.parametrize("kind", MODES)
def test_a_release_parks_at_each_failing_step_and_completes_after_retries(
    stack: Stack, kind: str
) -> None:
    who = parties(stack, "20")
    order_id = create_order(stack, who, "20")["id"]
    command(stack, f"/orders/{order_id}/reserve", expect=200)
    steps = ["deploy", "fund", "complete:0", "approve:0", "release"]
    with faulty(stack, MODES[kind], steps) as faults:
        command(stack, f"/orders/{order_id}/escrow")
        faults.expect_parked_then_retry(order_id, "deploy")
        wait_order(stack, order_id, status="ESCROW_FUNDING")
        command(stack, f"/orders/{order_id}/escrow/fund")
        faults.expect_parked_then_retry(order_id, "fund")
        wait_order(stack, order_id, status="IN_PROGRESS")
        command(stack, f"/orders/{order_id}/resolution/release")
        for step in steps[2:]:
            faults.expect_parked_then_retry(order_id, step)
    closed = wait_order(stack, order_id, status="CLOSED")
    assert escrow_calls(stack, closed["escrow"]["trustlessContractId"]) == {
        "deploy": 1,
        "fund_escrow": 1,
        "change_milestone_status": 1,
        "approve_milestone": 1,
        "release_funds": 1,
    }
    wait_balance(stack, who.seller, "18.94")


@pytest.mark.parametrize("kind", MODES)
def test_a_dispute_parks_at_each_failing_step_and_completes_after_retries(
    stack: Stack, kind: str
) -> None:
    who = parties(stack, "20")
    order_id = funded_order(stack, who, "20")["id"]
    with faulty(stack, MODES[kind], ["dispute", "resolve"]) as faults:
        dispute = command(
            stack,
            f"/orders/{order_id}/resolution/dispute",
            {"openedBy": "SELLER", "reason": "OTHER"},
            expect=201,
        )
        faults.expect_parked_then_retry(order_id, "dispute")
        wait_order(stack, order_id, status="DISPUTED")
        support = stack.client(stack.key("support"))
        support.post(f"/disputes/{dispute['id']}/assign", json={"assignedTo": "agent"})
        support.post(f"/disputes/{dispute['id']}/resolve", json={"decision": "FULL_REFUND"})
        faults.expect_parked_then_retry(order_id, "resolve")
    closed = wait_order(stack, order_id, status="CLOSED")
    assert closed["finalStatus"] == "REFUNDED"
    assert escrow_calls(stack, closed["escrow"]["trustlessContractId"]) == {
        "deploy": 1,
        "fund_escrow": 1,
        "dispute_escrow": 1,
        "resolve_dispute": 1,
    }
    wait_balance(stack, who.buyer, "18.94")


def test_answers_lost_after_applying_need_no_operator(stack: Stack) -> None:
    """Every submission is applied, then answered 504: each step finds its transaction on chain
    and records it, the deploy learning its contract from Trustless Work's index."""
    assert stack.sandbox is not None
    who = parties(stack, "20")
    order_id = create_order(stack, who, "20")["id"]
    command(stack, f"/orders/{order_id}/reserve", expect=200)
    fault = stack.sandbox.faults.inject(
        {"route": TW_SEND_TRANSACTION, "mode": "timeout_after_apply", "count": None}
    )
    try:
        command(stack, f"/orders/{order_id}/escrow")
        wait_order(stack, order_id, status="ESCROW_FUNDING")
        command(stack, f"/orders/{order_id}/escrow/fund")
        wait_order(stack, order_id, status="IN_PROGRESS")
        command(stack, f"/orders/{order_id}/resolution/release")
        closed = wait_order(stack, order_id, status="CLOSED")
        fired = len(stack.sandbox.faults.fired(TW_SEND_TRANSACTION, "timeout_after_apply"))
    finally:
        stack.sandbox.faults.remove(fault)
    assert fired >= 5
    assert not closed["saga"]["parked"]
    assert escrow_calls(stack, closed["escrow"]["trustlessContractId"]) == {
        "deploy": 1,
        "fund_escrow": 1,
        "change_milestone_status": 1,
        "approve_milestone": 1,
        "release_funds": 1,
    }
    wait_balance(stack, who.seller, "18.94")


def test_a_hanging_provider_times_out_parks_and_recovers(stack: Stack) -> None:
    """Trustless Work accepts the fund submission and never answers: each attempt gives up after
    TRUSTLESS_TIMEOUT_S, the saga parks, and after recovery the retry funds the escrow once."""
    assert stack.sandbox is not None
    who: Parties = parties(stack, "20")
    order_id = create_order(stack, who, "20")["id"]
    command(stack, f"/orders/{order_id}/reserve", expect=200)
    command(stack, f"/orders/{order_id}/escrow")
    wait_order(stack, order_id, status="ESCROW_FUNDING")
    fault = stack.sandbox.faults.inject(
        {"route": TW_SEND_TRANSACTION, "mode": "hang", "hang_s": 60, "count": None}
    )
    try:
        command(stack, f"/orders/{order_id}/escrow/fund")
        parked = wait_until(
            lambda: (lambda o: o if o["saga"]["parked"] else None)(order(stack, order_id)),
            timeout_s=PARK_TIMEOUT_S,
            message="the fund step to park",
        )
    finally:
        stack.sandbox.faults.remove(fault)
    assert parked["saga"]["step"] == "fund"
    assert "unknown" in parked["saga"]["parkReason"]
    stack.client().post(f"/admin/sagas/{order_id}/retry")
    funded = wait_order(stack, order_id, status="IN_PROGRESS")
    assert escrow_calls(stack, funded["escrow"]["trustlessContractId"]) == {
        "deploy": 1,
        "fund_escrow": 1,
    }
    wait_balance(stack, who.buyer, "0.00")
