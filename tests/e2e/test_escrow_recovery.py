"""A saga step interrupted between its phases — after its envelope is signed and recorded, or
after Trustless Work put it on chain but before the outcome was recorded — completes on the next
attempt with no second transaction. The interruptions are made deterministically here, step by
step, with the real saga, sandbox and database; `test_escrow_crashes` does the same with
SIGKILLed worker processes at random moments."""

from __future__ import annotations

from collections.abc import Iterator
from uuid import UUID

import pytest

from application.chain_steps import StepPending
from application.context import CommandContext
from application.escrow_saga import EscrowSaga
from domain import identifiers
from sandbox.server import SandboxServer
from tests.support.money import wait_balance
from tests.support.orders import Parties, command, create_order, escrow_calls, order, parties
from tests.support.stack import Stack, running_stack

pytestmark = pytest.mark.e2e
CONTEXT = CommandContext(request_id="recovery-test")
CRASH_POINTS = ("after_prepare", "after_submit")
# A redelivery whose call to a slow sandbox timed out (outcome unknown) is redelivered again, as
# the broker would; the on-chain effect is still counted exactly once below.
REDELIVERIES_MAX = 5


@pytest.fixture(scope="module")
def manual_stack(
    database_factory: object, redis_url: str, sandbox: SandboxServer
) -> Iterator[tuple[Stack, list[Parties]]]:
    """A stack whose saga workers stop once the parties' wallets are active: from then on the
    test performs (and interrupts) every escrow step itself."""
    database = database_factory()  # type: ignore[operator]
    with running_stack(database, redis_url, sandbox) as running:
        pool = [parties(running, "50") for _ in range(2 * len(CRASH_POINTS))]
        assert running.workers is not None
        running.workers.stop()
        running.workers = None
        yield running, pool


def drive(stack: Stack, order_id: str, crash_point: str) -> list[str]:
    """Runs the order's saga until it waits, interrupting every step once at `crash_point`
    before letting a fresh attempt finish it; returns the steps taken."""
    saga = stack.services.use_cases.escrows
    order_uuid = identifiers.parse_public_id(identifiers.ORDER, order_id)
    steps = []
    while (prepared := saga.prepare(order_uuid, CONTEXT)) is not None:
        steps.append(prepared.step.name)
        if crash_point == "after_submit":
            saga.submit(prepared)  # on chain; the worker dies before recording the outcome
        redeliver(saga, order_uuid)
    return steps


def redeliver(saga: EscrowSaga, order_uuid: UUID) -> None:
    for attempt in range(REDELIVERIES_MAX):
        try:
            saga.advance(order_uuid, CONTEXT)
            return
        except StepPending:
            if attempt == REDELIVERIES_MAX - 1:
                raise


@pytest.mark.parametrize("crash_point", CRASH_POINTS)
def test_every_release_step_survives_an_interruption(
    manual_stack: tuple[Stack, list[Parties]], crash_point: str
) -> None:
    stack, pool = manual_stack
    who = pool.pop()
    order_id = create_order(stack, who, "50")["id"]
    command(stack, f"/orders/{order_id}/reserve", expect=200)
    command(stack, f"/orders/{order_id}/escrow")
    assert drive(stack, order_id, crash_point) == ["deploy"]
    command(stack, f"/orders/{order_id}/escrow/fund")
    assert drive(stack, order_id, crash_point) == ["fund"]
    command(stack, f"/orders/{order_id}/resolution/release")
    assert drive(stack, order_id, crash_point) == ["complete:0", "approve:0", "release"]

    closed = order(stack, order_id)
    assert (closed["status"], closed["finalStatus"]) == ("CLOSED", "RELEASED")
    assert escrow_calls(stack, closed["escrow"]["trustlessContractId"]) == {
        "deploy": 1,
        "fund_escrow": 1,
        "change_milestone_status": 1,
        "approve_milestone": 1,
        "release_funds": 1,
    }
    wait_balance(stack, who.seller, "47.35")


@pytest.mark.parametrize("crash_point", CRASH_POINTS)
def test_dispute_and_resolution_steps_survive_an_interruption(
    manual_stack: tuple[Stack, list[Parties]], crash_point: str
) -> None:
    stack, pool = manual_stack
    who = pool.pop()
    milestones = [
        {"milestoneRef": "a", "title": "A", "amount": "10"},
        {"milestoneRef": "b", "title": "B", "amount": "20"},
    ]
    order_id = create_order(stack, who, "30", milestones=milestones)["id"]
    command(stack, f"/orders/{order_id}/reserve", expect=200)
    command(stack, f"/orders/{order_id}/escrow")
    drive(stack, order_id, crash_point)
    command(stack, f"/orders/{order_id}/escrow/fund")
    drive(stack, order_id, crash_point)
    dispute = command(
        stack,
        f"/orders/{order_id}/resolution/dispute",
        {"openedBy": "BUYER", "reason": "NOT_DELIVERED"},
        expect=201,
    )
    assert drive(stack, order_id, crash_point) == ["dispute:0", "dispute:1"]
    support = stack.client(stack.key("support"))
    support.post(f"/disputes/{dispute['id']}/assign", json={"assignedTo": "agent"})
    resolved = support.post(
        f"/disputes/{dispute['id']}/resolve",
        json={"decision": "SPLIT", "releaseAmount": "15", "refundAmount": "15"},
    )
    assert resolved.status_code == 202, resolved.text
    assert drive(stack, order_id, crash_point) == ["resolve:0", "resolve:1"]

    closed = order(stack, order_id)
    assert (closed["status"], closed["finalStatus"]) == ("CLOSED", "SPLIT")
    assert escrow_calls(stack, closed["escrow"]["trustlessContractId"]) == {
        "deploy": 1,
        "fund_escrow": 1,
        "dispute_milestone": 2,
        "resolve_milestone_dispute": 2,
    }
    # Milestone a (10) goes to the seller, b (20) splits 5 / 15; 5.3 % of each share is fees:
    # the seller nets 9.47 + 4.735, the buyer 14.205.
    wait_balance(stack, who.seller, "14.205")
    wait_balance(stack, who.buyer, "34.205")  # 20 never left the buyer
