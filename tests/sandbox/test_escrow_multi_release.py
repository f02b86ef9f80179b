"""Multi-release escrows: each milestone has its own amount and receiver and is released,
disputed and resolved on its own."""

from __future__ import annotations

import pytest
from stellar_sdk import Server

from sandbox.server import SandboxServer

from .escrow_parties import MULTI, Parties, complete_and_approve, deploy, fund
from .stellar_wallets import new_wallet, stroops
from .trustless_work_client import TrustlessWorkClient

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def server(sandbox: SandboxServer) -> Server:
    return Server(sandbox.horizon_url)


@pytest.fixture(scope="module")
def tw(sandbox: SandboxServer) -> TrustlessWorkClient:
    return TrustlessWorkClient(sandbox)


def test_each_milestone_is_released_to_its_own_receiver(
    sandbox: SandboxServer, server: Server, tw: TrustlessWorkClient
) -> None:
    parties = Parties.create(sandbox, server)
    designer = new_wallet(sandbox, server)
    body = parties.multi_release([(100, parties.seller.public_key), (50, designer.public_key)])
    contract_id = deploy(tw, parties, body, "multi-release")
    fund(tw, parties, contract_id, 150, base=MULTI)
    complete_and_approve(tw, parties, contract_id, index="0", base=MULTI)
    tw.act(
        f"{MULTI}/release-milestone-funds",
        {
            "contractId": contract_id,
            "releaseSigner": parties.buyer.public_key,
            "milestoneIndex": "0",
        },
        parties.buyer,
    )
    # 100 USDC at 5 %: 0.3 to TW, 5 to the platform, 94.7 to the first milestone's receiver.
    assert sandbox.chain.usdc_balance(parties.seller.public_key) == stroops("94.7")
    assert sandbox.chain.usdc_balance(parties.platform.public_key) == stroops("5")
    assert sandbox.chain.usdc_balance(designer.public_key) == 0
    assert sandbox.chain.escrow_balance(contract_id) == stroops("50")
    escrow = tw.get(f"{MULTI}/get-escrow", contractId=contract_id).json()
    first, second = escrow["milestones"]
    assert first["flags"] == {
        "approved": True,
        "disputed": False,
        "released": True,
        "resolved": False,
    }
    assert second["flags"]["released"] is False
    assert second["amount"] == 50
    assert "amount" not in escrow


def test_a_milestone_dispute_is_resolved_within_that_milestone(
    sandbox: SandboxServer, server: Server, tw: TrustlessWorkClient
) -> None:
    parties = Parties.create(sandbox, server)
    body = parties.multi_release(
        [(80, parties.seller.public_key), (20, parties.seller.public_key)], platform_fee=0
    )
    contract_id = deploy(tw, parties, body, "multi-release")
    fund(tw, parties, contract_id, 100, base=MULTI)
    tw.act(
        f"{MULTI}/dispute-milestone",
        {"contractId": contract_id, "signer": parties.seller.public_key, "milestoneIndex": "1"},
        parties.seller,
    )
    tw.act(
        f"{MULTI}/resolve-milestone-dispute",
        {
            "contractId": contract_id,
            "disputeResolver": parties.platform.public_key,
            "milestoneIndex": "1",
            "distributions": [
                {"address": parties.buyer.public_key, "amount": 10},
                {"address": parties.seller.public_key, "amount": 10},
            ],
        },
        parties.platform,
    )
    # 20 distributed with no platform fee: 0.06 to TW, charged 50/50.
    assert sandbox.chain.usdc_balance(parties.seller.public_key) == stroops("9.97")
    assert sandbox.chain.usdc_balance(parties.buyer.public_key) == stroops("909.97")
    assert sandbox.chain.escrow_balance(contract_id) == stroops("80")
    milestones = tw.get(f"{MULTI}/get-escrow", contractId=contract_id).json()["milestones"]
    assert milestones[1]["flags"]["resolved"] is True
    assert milestones[0]["flags"] == {
        "approved": False,
        "disputed": False,
        "released": False,
        "resolved": False,
    }


def test_a_milestone_cannot_be_released_before_it_is_approved(
    sandbox: SandboxServer, server: Server, tw: TrustlessWorkClient
) -> None:
    parties = Parties.create(sandbox, server)
    contract_id = deploy(
        tw, parties, parties.multi_release([(5, parties.seller.public_key)]), "multi-release"
    )
    fund(tw, parties, contract_id, 5, base=MULTI)
    refused = tw.build(
        f"{MULTI}/release-milestone-funds",
        {
            "contractId": contract_id,
            "releaseSigner": parties.buyer.public_key,
            "milestoneIndex": "0",
        },
    )
    assert refused.status_code == 500
    assert refused.json()["message"] == "The milestone must be completed to release funds"


def test_a_disputed_milestone_cannot_be_released(
    sandbox: SandboxServer, server: Server, tw: TrustlessWorkClient
) -> None:
    parties = Parties.create(sandbox, server)
    contract_id = deploy(
        tw, parties, parties.multi_release([(5, parties.seller.public_key)]), "multi-release"
    )
    fund(tw, parties, contract_id, 5, base=MULTI)
    complete_and_approve(tw, parties, contract_id, base=MULTI)
    tw.act(
        f"{MULTI}/dispute-milestone",
        {"contractId": contract_id, "signer": parties.buyer.public_key, "milestoneIndex": "0"},
        parties.buyer,
    )
    refused = tw.build(
        f"{MULTI}/release-milestone-funds",
        {
            "contractId": contract_id,
            "releaseSigner": parties.buyer.public_key,
            "milestoneIndex": "0",
        },
    )
    assert refused.json()["message"] == "You cannot launch a milestone in dispute"
