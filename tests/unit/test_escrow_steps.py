"""The escrow saga's next step is planned from the order alone."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest

from domain.escrow_fees import release_payout
from domain.escrow_steps import next_step
from domain.milestones import Milestone
from domain.order_states import BUYER, PLATFORM, SELLER
from domain.orders import Order

pytestmark = pytest.mark.unit
NOW = datetime(2026, 11, 22, tzinfo=UTC)


def order(*milestone_amounts: int, amount: int = 100) -> Order:
    milestones = [Milestone(f"m{i}", f"M{i}", a) for i, a in enumerate(milestone_amounts)]
    return Order.open(
        id=uuid.uuid4(),
        buyer_id="usr_b",
        seller_id="usr_s",
        amount_stroops=sum(milestone_amounts) or amount,
        currency="USDC",
        title="t",
        description=None,
        client_order_ref=None,
        marketplace_metadata=None,
        platform_fee_bps=500,
        auto_release=None,
        milestones=milestones,
    )


def funded(o: Order) -> Order:
    o.mark_funds_reserved(0, o.amount_stroops)
    o.request_escrow()
    o.mark_deployed("CCONTRACT", "h-deploy")
    o.request_funding()
    o.mark_funded("h-fund", NOW)
    return o


def names(o: Order) -> str | None:
    step = next_step(o)
    return step.name if step else None


def test_the_platform_deploys_and_the_buyer_funds() -> None:
    o = order()
    assert next_step(o) is None
    o.mark_funds_reserved(0, 100)
    o.request_escrow()
    assert (names(o), next_step(o).signer) == ("deploy", PLATFORM)  # type: ignore[union-attr]
    o.mark_deployed("C", "h")
    assert next_step(o) is None  # waiting for the marketplace to fund
    o.request_funding()
    assert (names(o), next_step(o).signer) == ("fund", BUYER)  # type: ignore[union-attr]


def test_a_single_release_escrow_is_completed_approved_then_released() -> None:
    o = funded(order())
    assert next_step(o) is None
    o.request_release("marketplace")
    assert names(o) == "complete:0"
    o.mark_milestone_completed(0, "h1")
    assert names(o) == "approve:0"
    o.mark_milestone_approved(0, "h2")
    step = next_step(o)
    assert (step.name, step.signer) == ("release", BUYER)  # type: ignore[union-attr]
    o.mark_settled(release_payout(100, 500, SELLER), {SELLER: 95}, "h3", NOW)
    assert (o.status, o.final_status, next_step(o)) == ("CLOSED", "RELEASED", None)


def test_a_milestone_release_is_one_milestone_at_a_time() -> None:
    o = funded(order(40, 60))
    o.request_milestone_completion("m1")
    assert names(o) == "complete:1"
    o.mark_milestone_completed(1, "h")
    o.request_milestone_release("m1")
    assert (names(o), o.status) == ("approve:1", "IN_PROGRESS")
    o.mark_milestone_approved(1, "h")
    assert names(o) == "release:1"


def test_a_refund_is_a_buyer_dispute_resolved_for_the_buyer() -> None:
    o = funded(order())
    o.request_refund("marketplace", "never delivered")
    step = next_step(o)
    assert (step.name, step.signer) == ("dispute", BUYER)  # type: ignore[union-attr]
    o.mark_escrow_disputed(None, "h")
    step = next_step(o)
    assert (step.name, step.signer, step.distributions) == (  # type: ignore[union-attr]
        "resolve",
        PLATFORM,
        ((BUYER, 100),),
    )


def test_the_opener_disputes_and_the_platform_waits_for_a_decision() -> None:
    o = funded(order(30, 70))
    o.open_dispute("dsp_1", SELLER, "OTHER")
    assert [names(o), next_step(o).signer] == ["dispute:0", SELLER]  # type: ignore[union-attr]
    o.mark_escrow_disputed(0, "h")
    o.mark_escrow_disputed(1, "h")
    assert next_step(o) is None
    o.request_resolution("SPLIT", 50, 50, "agent")
    assert next_step(o).distributions == ((SELLER, 30),)  # type: ignore[union-attr]


def test_nothing_is_planned_while_the_order_waits_or_once_it_is_closed() -> None:
    o = order()
    o.cancel("marketplace", None)
    assert (o.status, next_step(o)) == ("CLOSED", None)
