"""Orders end to end: HTTP in, Trustless Work (the sandbox) on chain, and after every flow the
books equal to what the chain holds, to the stroop, with the reconciler agreeing."""

from __future__ import annotations

from typing import Any

import pytest

from domain.users import platform_user_id
from sandbox.faults.fault_rules import TW_SEND_TRANSACTION
from tests.support.money import chain_usdc, wait_balance
from tests.support.orders import (
    Parties,
    command,
    create_order,
    escrow_balance,
    funded_order,
    order,
    parties,
    stroops,
    wait_order,
)
from tests.support.stack import Stack

pytestmark = pytest.mark.e2e


def balance(stack: Stack, user_id: str) -> dict[str, Any]:
    return dict(stack.client().get(f"/users/{user_id}/balance").json()["data"])


def assert_books_match_chain(stack: Stack, who: Parties, contract_id: str | None) -> None:
    """Each party's available + reserved is its wallet's USDC; the escrow is empty on chain as
    in the books; the platform's wallet holds its account plus every platform fee; and the
    reconciler, asked now, reports no drift for any of them."""
    stack.caught_up()
    for user_id, address in ((who.buyer, who.buyer_address), (who.seller, who.seller_address)):
        assert stroops(balance(stack, user_id)["total"]) == chain_usdc(stack, address), user_id
    platform = balance(stack, platform_user_id())
    fees = stack.services.views.ledger_entries.balance_of("platform:fees")
    assert chain_usdc(stack, who.platform_address) == stroops(platform["total"]) + fees
    if contract_id is not None:
        assert escrow_balance(stack, contract_id) == 0
    report = command(stack, "/admin/reconcile", expect=200)
    # Other tests in this session adjust balances by hand (drift on purpose): look at ours.
    ours = {who.buyer, who.seller, platform_user_id()}
    assert [d for d in report["drifts"] if d["subject"] in ours or d["subject"][:4] == "ord_"] == []


def test_a_full_release_pays_the_seller_less_fees_to_the_stroop(stack: Stack) -> None:
    who = parties(stack, "300")
    funded = funded_order(stack, who, "250")
    order_id = funded["id"]
    assert funded["escrow"]["status"] == "FUNDED"
    contract = funded["escrow"]["trustlessContractId"]
    assert escrow_balance(stack, contract) == 2_500_000_000
    wait_balance(stack, who.buyer, "50.00")

    command(stack, f"/orders/{order_id}/resolution/release")
    closed = wait_order(stack, order_id, status="CLOSED")
    assert closed["finalStatus"] == "RELEASED"
    assert closed["escrow"]["status"] == "RELEASED"
    # 250 at 5 %: 0.75 to Trustless Work, 12.5 to the platform, 236.75 to the seller.
    wait_balance(stack, who.seller, "236.75")
    assert chain_usdc(stack, who.seller_address) == 2_367_500_000
    assert_books_match_chain(stack, who, contract)


def test_a_refund_returns_the_escrow_to_the_buyer_less_fees(stack: Stack) -> None:
    who = parties(stack, "100")
    funded = funded_order(stack, who, "100", platformFeeBps=250)
    order_id = funded["id"]
    command(stack, f"/orders/{order_id}/resolution/refund", {"reason": "never delivered"})
    closed = wait_order(stack, order_id, status="CLOSED")
    assert closed["finalStatus"] == "REFUNDED"
    # 100 at 2.5 %: 0.30 protocol fee and 2.50 platform fee come out of the buyer's refund.
    wait_balance(stack, who.buyer, "97.20")
    assert_books_match_chain(stack, who, funded["escrow"]["trustlessContractId"])


@pytest.mark.parametrize(
    ("decision", "amounts", "seller_gets", "buyer_gets"),
    [
        ("FULL_RELEASE", {}, "47.35", "0.00"),
        ("FULL_REFUND", {}, "0.00", "47.35"),
        ("SPLIT", {"releaseAmount": "30", "refundAmount": "20"}, "28.41", "18.94"),
    ],
)
def test_a_dispute_is_resolved_by_the_platform_as_decided(
    stack: Stack, decision: str, amounts: dict[str, str], seller_gets: str, buyer_gets: str
) -> None:
    who = parties(stack, "50")
    funded = funded_order(stack, who, "50")
    order_id = funded["id"]
    dispute = command(
        stack,
        f"/orders/{order_id}/resolution/dispute",
        {"openedBy": "BUYER", "reason": "QUALITY_ISSUE", "evidence": ["https://x.test/1"]},
        expect=201,
    )
    assert dispute["status"] == "OPEN"
    disputed = wait_order(stack, order_id, status="DISPUTED")
    assert disputed["escrow"]["status"] == "DISPUTED"
    support = stack.client(stack.key("support"))
    assigned = support.post(f"/disputes/{dispute['id']}/assign", json={"assignedTo": "agent-7"})
    assert assigned.status_code == 200, assigned.text
    assert assigned.json()["data"]["assignedTo"] == "agent-7"
    resolved = support.post(
        f"/disputes/{dispute['id']}/resolve",
        json={"decision": decision, "note": "reviewed", **amounts},
        headers={"Prefer": "wait=30"},
    )
    assert resolved.status_code == 200, resolved.text
    body = resolved.json()["data"]
    assert (body["status"], body["resolutionDecision"]) == ("RESOLVED", decision)
    closed = wait_order(stack, order_id, status="CLOSED")
    assert closed["finalStatus"] == {"FULL_RELEASE": "RELEASED", "FULL_REFUND": "REFUNDED"}.get(
        decision, "SPLIT"
    )
    # Fees (0.3 % + 5 %) come out of each share pro rata.
    wait_balance(stack, who.seller, seller_gets)
    wait_balance(stack, who.buyer, buyer_gets)
    assert_books_match_chain(stack, who, funded["escrow"]["trustlessContractId"])


def test_milestones_are_completed_approved_and_released_one_by_one(stack: Stack) -> None:
    who = parties(stack, "60")
    milestones = [
        {"milestoneRef": "design", "title": "Design", "amount": "20"},
        {"milestoneRef": "build", "title": "Build", "amount": "40"},
    ]
    funded = funded_order(stack, who, "60", milestones=milestones)
    order_id = funded["id"]
    assert funded["escrow"]["type"] == "multi-release"
    command(stack, f"/orders/{order_id}/milestones/design/complete")
    wait_order(stack, order_id)
    command(stack, f"/orders/{order_id}/milestones/design/approve")
    wait_order(stack, order_id)
    command(stack, f"/orders/{order_id}/milestones/design/release")
    partly = wait_order(stack, order_id, status="IN_PROGRESS")
    assert [m["released"] for m in partly["milestones"]] == [True, False]
    # 20 at 5.3 %: the seller gets 18.94; 40 stays in the escrow.
    wait_balance(stack, who.seller, "18.94")
    assert escrow_balance(stack, funded["escrow"]["trustlessContractId"]) == 400_000_000
    assert partly["escrow"]["balance"] == "40.00"

    command(stack, f"/orders/{order_id}/milestones/build/complete")
    wait_order(stack, order_id)
    command(stack, f"/orders/{order_id}/milestones/build/release")
    closed = wait_order(stack, order_id, status="CLOSED")
    assert closed["finalStatus"] == "RELEASED"
    wait_balance(stack, who.seller, "56.82")
    assert_books_match_chain(stack, who, funded["escrow"]["trustlessContractId"])


def test_canceling_before_funding_returns_the_reservation(stack: Stack) -> None:
    who = parties(stack, "20")
    created = create_order(stack, who, "15")
    command(stack, f"/orders/{created['id']}/reserve", expect=200)
    wait_balance(stack, who.buyer, "5.00", "15.00")
    canceled = command(stack, f"/orders/{created['id']}/cancel", {"reason": "changed mind"}, 200)
    assert (canceled["status"], canceled["finalStatus"]) == ("CLOSED", "CANCELED")
    wait_balance(stack, who.buyer, "20.00")
    refused = stack.client().post(f"/orders/{created['id']}/reserve")
    assert refused.status_code == 409
    assert refused.json()["error"]["code"] == "INVALID_STATE"


def test_a_failed_funding_leaves_the_money_reserved_and_can_be_retried(stack: Stack) -> None:
    who = parties(stack, "30")
    created = create_order(stack, who, "30")
    order_id = created["id"]
    command(stack, f"/orders/{order_id}/reserve", expect=200)
    command(stack, f"/orders/{order_id}/escrow")
    wait_order(stack, order_id, status="ESCROW_FUNDING")
    assert stack.sandbox is not None
    fault = stack.sandbox.faults.inject(
        {
            "route": TW_SEND_TRANSACTION,
            "mode": "contract_error",
            "contract_error": "EscrowPropertiesMismatch",
        }
    )
    try:
        command(stack, f"/orders/{order_id}/escrow/fund")
        failed = wait_order(stack, order_id, status="ESCROW_FUNDING")
        assert failed["escrow"]["status"] == "CREATED"
    finally:
        stack.sandbox.faults.remove(fault)
    wait_balance(stack, who.buyer, "0.00", "30.00")

    response = stack.client(Prefer="wait=30").post(f"/orders/{order_id}/escrow/fund")
    assert response.status_code == 200, response.text
    assert response.json()["data"]["status"] == "IN_PROGRESS"
    wait_balance(stack, who.buyer, "0.00", "0.00")
    assert (
        escrow_balance(stack, response.json()["data"]["escrow"]["trustlessContractId"])
        == 300_000_000
    )


def test_an_order_past_its_auto_release_deadline_is_released(stack: Stack) -> None:
    who = parties(stack, "10")
    funded = funded_order(stack, who, "10", autoReleaseAfter=1)
    assert funded["autoReleaseAt"] is not None
    closed = wait_order(stack, funded["id"], status="CLOSED")
    assert closed["finalStatus"] == "RELEASED"
    wait_balance(stack, who.seller, "9.47")
    assert_books_match_chain(stack, who, funded["escrow"]["trustlessContractId"])


def test_get_order_and_list_agree(stack: Stack) -> None:
    who = parties(stack, "5")
    created = create_order(stack, who, "5")
    stack.caught_up()
    listed = stack.client().get("/orders", params={"buyerId": who.buyer}).json()["data"]
    assert [o["id"] for o in listed] == [created["id"]]
    assert listed[0] == order(stack, created["id"])
