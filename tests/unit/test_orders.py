"""The order's rules: states in order, money never beyond what the escrow holds."""

from __future__ import annotations

import pytest

from domain.chain import SignedEnvelope
from domain.errors import InvalidAmountError, InvalidStateError
from domain.escrow_fees import release_payout
from domain.order_states import SELLER, DisputeAlreadyOpenError, EscrowAlreadyExistsError
from tests.unit.test_escrow_steps import NOW, funded, order

pytestmark = pytest.mark.unit


def test_an_order_is_canceled_only_before_its_escrow_is_funded() -> None:
    o = funded(order())
    with pytest.raises(InvalidStateError):
        o.cancel("marketplace", None)
    fresh = order()
    fresh.mark_funds_reserved(0, 100)
    assert fresh.cancel("marketplace", "changed mind") is True  # the reservation goes back


def test_a_failed_funding_returns_the_escrow_to_created_and_funding_can_be_asked_again() -> None:
    o = order()
    o.mark_funds_reserved(0, 100)
    o.request_escrow()
    o.mark_deployed("C", "h")
    o.request_funding()
    o.record_envelope(_envelope("fund"))
    o.funding_failed("op_underfunded", "op_underfunded")
    assert (o.status, o.escrow_status, o.envelope("fund")) == ("ESCROW_FUNDING", "CREATED", None)
    o.request_funding()
    assert o.escrow_status == "FUNDING"


def test_an_escrow_is_requested_once() -> None:
    o = order()
    o.mark_funds_reserved(0, 100)
    o.request_escrow()
    with pytest.raises(EscrowAlreadyExistsError):
        o.request_escrow()


def test_every_milestone_must_be_completed_before_a_release_unless_the_deadline_passed() -> None:
    o = funded(order(40, 60))
    with pytest.raises(InvalidStateError, match="every milestone"):
        o.request_release("marketplace")
    o.request_release("system:auto_release", automatic=True)
    assert o.status == "RELEASE_REQUESTED"


def test_a_resolution_must_distribute_exactly_what_the_escrow_holds() -> None:
    o = funded(order())
    o.open_dispute("dsp_1", "BUYER", "OTHER")
    with pytest.raises(InvalidAmountError):
        o.request_resolution("SPLIT", 60, 30, "agent")
    with pytest.raises(DisputeAlreadyOpenError):
        o.open_dispute("dsp_2", "BUYER", "OTHER")


def test_a_payout_can_never_exceed_the_escrow() -> None:
    o = funded(order())
    with pytest.raises(InvalidStateError, match="exceeds"):
        o.fee_postings(release_payout(101, 500, SELLER))


def test_a_milestone_request_waits_its_turn_for_a_refund() -> None:
    o = funded(order(40, 60))
    o.request_milestone_completion("m0")
    with pytest.raises(InvalidStateError, match="in flight"):
        o.request_refund("marketplace", "late")
    o.mark_milestone_completed(0, "h")
    o.request_refund("marketplace", "late")
    assert o.status == "REFUND_REQUESTED"


def _envelope(step: str) -> SignedEnvelope:
    return SignedEnvelope(step, "AAAA", "ab" * 32, NOW)
