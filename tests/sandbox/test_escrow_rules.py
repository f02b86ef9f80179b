"""Every contract rule a V1 client can hit answers with its documented message (§A.6), and a
transaction signed by the wrong role is refused without touching the escrow."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from stellar_sdk import Keypair, Server, StrKey

from sandbox.server import SandboxServer

from .escrow_parties import SINGLE, Parties, complete_and_approve, deploy, fund
from .stellar_wallets import friendbot, new_keypair, stroops
from .trustless_work_client import TrustlessWorkClient

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def server(sandbox: SandboxServer) -> Server:
    return Server(sandbox.horizon_url)


@pytest.fixture(scope="module")
def tw(sandbox: SandboxServer) -> TrustlessWorkClient:
    return TrustlessWorkClient(sandbox)


@pytest.fixture
def escrow(sandbox: SandboxServer, server: Server, tw: TrustlessWorkClient) -> tuple[Parties, str]:
    parties = Parties.create(sandbox, server)
    return parties, deploy(tw, parties, parties.single_release(amount=100), "single-release")


def refusal(tw: TrustlessWorkClient, path: str, body: dict[str, Any]) -> tuple[int, str]:
    response = tw.build(path, body)
    assert response.status_code != 201, "the contract should have refused this call"
    return response.status_code, str(response.json()["message"])


def release(parties: Parties, contract_id: str, signer: Keypair | None = None) -> dict[str, Any]:
    return {"contractId": contract_id, "releaseSigner": (signer or parties.buyer).public_key}


def test_release_before_every_milestone_is_approved_is_refused(
    tw: TrustlessWorkClient, escrow: tuple[Parties, str]
) -> None:
    parties, contract_id = escrow
    fund(tw, parties, contract_id, 100)
    assert refusal(tw, f"{SINGLE}/release-funds", release(parties, contract_id)) == (
        500,
        "The escrow must be completed to release earnings",
    )


def test_release_with_less_than_the_amount_funded_is_refused(
    tw: TrustlessWorkClient, escrow: tuple[Parties, str]
) -> None:
    parties, contract_id = escrow
    fund(tw, parties, contract_id, 99.9999999)
    complete_and_approve(tw, parties, contract_id)
    assert refusal(tw, f"{SINGLE}/release-funds", release(parties, contract_id))[1] == (
        "The escrow balance must be equal to the amount of earnings defined for the escrow"
    )


def test_release_by_anyone_but_the_release_signer_is_refused(
    tw: TrustlessWorkClient, escrow: tuple[Parties, str]
) -> None:
    parties, contract_id = escrow
    assert refusal(tw, f"{SINGLE}/release-funds", release(parties, contract_id, parties.seller))[
        1
    ] == ("Only the release signer can release the escrow earnings")


def test_milestone_rules_are_enforced(tw: TrustlessWorkClient, escrow: tuple[Parties, str]) -> None:
    parties, contract_id = escrow
    status: Callable[[str, Keypair], dict[str, Any]] = lambda index, who: {  # noqa: E731
        "contractId": contract_id,
        "milestoneIndex": index,
        "newStatus": "done",
        "serviceProvider": who.public_key,
    }
    approve: Callable[[str, Keypair], dict[str, Any]] = lambda index, who: {  # noqa: E731
        "contractId": contract_id,
        "milestoneIndex": index,
        "approver": who.public_key,
    }
    path_status, path_approve = f"{SINGLE}/change-milestone-status", f"{SINGLE}/approve-milestone"
    assert refusal(tw, path_status, status("0", parties.buyer))[1] == (
        "Only the service provider can change milestone status"
    )
    assert refusal(tw, path_status, status("3", parties.seller))[1] == "Invalid milestone index"
    assert refusal(tw, path_approve, approve("0", parties.seller))[1] == (
        "Only the approver can change milestone flag"
    )
    tw.act(path_status, {**status("0", parties.seller), "newStatus": ""}, parties.seller)
    assert refusal(tw, path_approve, approve("0", parties.buyer))[1] == (
        "The milestone status cannot be empty"
    )
    complete_and_approve(tw, parties, contract_id)
    assert refusal(tw, path_approve, approve("0", parties.buyer))[1] == (
        "You cannot approve a milestone that has already been approved previously"
    )


def test_dispute_rules_are_enforced(
    tw: TrustlessWorkClient, escrow: tuple[Parties, str], sandbox: SandboxServer
) -> None:
    parties, contract_id = escrow
    stranger = new_keypair()
    friendbot(sandbox, stranger.public_key)
    path = f"{SINGLE}/dispute-escrow"
    assert refusal(tw, path, {"contractId": contract_id, "signer": parties.platform.public_key})[
        1
    ] == ("The dispute resolver cannot dispute the escrow.")
    assert refusal(tw, path, {"contractId": contract_id, "signer": stranger.public_key})[1] == (
        "You are not authorized to change the dispute flag"
    )
    resolve = {
        "contractId": contract_id,
        "disputeResolver": parties.platform.public_key,
        "distributions": [{"address": parties.buyer.public_key, "amount": 1}],
    }
    assert refusal(tw, f"{SINGLE}/resolve-dispute", resolve)[1] == "Escrow not in dispute"
    fund(tw, parties, contract_id, 100)
    tw.act(path, {"contractId": contract_id, "signer": parties.seller.public_key}, parties.seller)
    assert refusal(tw, path, {"contractId": contract_id, "signer": parties.buyer.public_key})[
        1
    ] == ("Escrow already in dispute")
    complete_and_approve(tw, parties, contract_id)
    assert refusal(tw, f"{SINGLE}/release-funds", release(parties, contract_id))[1] == (
        "Escrow has been opened for dispute resolution"
    )


def test_resolution_rules_are_enforced(
    tw: TrustlessWorkClient, escrow: tuple[Parties, str]
) -> None:
    parties, contract_id = escrow
    fund(tw, parties, contract_id, 100)
    tw.act(
        f"{SINGLE}/dispute-escrow",
        {"contractId": contract_id, "signer": parties.buyer.public_key},
        parties.buyer,
    )

    def resolve(amounts: list[Any], resolver: Keypair | None = None) -> dict[str, Any]:
        addresses = [parties.buyer.public_key, parties.seller.public_key]
        return {
            "contractId": contract_id,
            "disputeResolver": (resolver or parties.platform).public_key,
            "distributions": [
                {"address": a, "amount": n} for a, n in zip(addresses, amounts, strict=False)
            ],
        }

    path = f"{SINGLE}/resolve-dispute"
    assert refusal(tw, path, resolve([50, 50], parties.buyer))[1] == (
        "Only the dispute resolver can execute this function"
    )
    assert refusal(tw, path, resolve([60, 0]))[1] == (
        "None of the amounts to be transferred should be less or equal than 0."
    )
    assert refusal(tw, path, resolve([50, 40]))[1] == (
        "The sum of distributions must equal the current escrow balance when resolving an escrow "
        "dispute."
    )
    assert refusal(tw, path, resolve([60, 50]))[1] == "Insufficient funds for resolution"
    assert refusal(tw, path, resolve([]))[1] == (
        "The total amount to be distributed cannot be equal to zero."
    )


def test_deploy_rules_are_enforced(
    sandbox: SandboxServer, server: Server, tw: TrustlessWorkClient
) -> None:
    parties = Parties.create(sandbox, server)
    assert refusal(tw, "/deployer/single-release", parties.single_release(platform_fee=99.5))[
        1
    ] == ("The platform fee cannot exceed 99%")
    assert refusal(tw, "/deployer/single-release", parties.single_release(milestones=0))[1] == (
        "Escrow initialized without milestone"
    )
    assert refusal(tw, "/deployer/single-release", parties.single_release(milestones=11))[1] == (
        "Cannot define more than 10 milestones in an escrow"
    )


def test_a_released_escrow_cannot_be_released_again(
    tw: TrustlessWorkClient, escrow: tuple[Parties, str]
) -> None:
    parties, contract_id = escrow
    fund(tw, parties, contract_id, 100)
    complete_and_approve(tw, parties, contract_id)
    tw.act(f"{SINGLE}/release-funds", release(parties, contract_id), parties.buyer)
    assert refusal(tw, f"{SINGLE}/release-funds", release(parties, contract_id))[1] == (
        "The escrow funds have been released."
    )


def test_an_unknown_contract_is_escrow_not_found(
    tw: TrustlessWorkClient, escrow: tuple[Parties, str]
) -> None:
    parties, _ = escrow
    unknown = StrKey.encode_contract(bytes(32))
    body = {"contractId": unknown, "signer": parties.buyer.public_key, "amount": 1}
    assert refusal(tw, f"{SINGLE}/fund-escrow", body) == (500, "Escrow not found")


def test_signing_with_the_wrong_role_is_refused_and_changes_nothing(
    sandbox: SandboxServer, server: Server, tw: TrustlessWorkClient, escrow: tuple[Parties, str]
) -> None:
    parties, contract_id = escrow
    fund(tw, parties, contract_id, 100)
    complete_and_approve(tw, parties, contract_id)
    built = tw.build(f"{SINGLE}/release-funds", release(parties, contract_id))
    buyer_sequence = server.load_account(parties.buyer.public_key).sequence
    # The seller tries to release the funds to themselves by signing the buyer's transaction.
    sent = tw.send(tw.sign(built.json()["unsignedTransaction"], parties.seller))
    assert sent.status_code == 400
    assert sent.json()["status"] == "FAILED"
    assert "tx_bad_auth" in sent.json()["message"]
    assert "releaseSigner" in sent.json()["message"]
    assert sandbox.chain.escrow_balance(contract_id) == stroops("100")
    assert sandbox.chain.usdc_balance(parties.seller.public_key) == 0
    assert server.load_account(parties.buyer.public_key).sequence == buyer_sequence
    # The right signature on the same unsigned transaction still works afterwards.
    assert tw.send(tw.sign(built.json()["unsignedTransaction"], parties.buyer)).status_code == 201


def test_rules_are_checked_again_when_the_signed_transaction_arrives(
    sandbox: SandboxServer, server: Server, tw: TrustlessWorkClient, escrow: tuple[Parties, str]
) -> None:
    parties, contract_id = escrow
    fund(tw, parties, contract_id, 100)
    complete_and_approve(tw, parties, contract_id)
    built = tw.build(f"{SINGLE}/release-funds", release(parties, contract_id))
    assert built.status_code == 201
    # Between build and send, the seller opens a dispute.
    tw.act(
        f"{SINGLE}/dispute-escrow",
        {"contractId": contract_id, "signer": parties.seller.public_key},
        parties.seller,
    )
    xlm_before = sandbox.chain.xlm_balance(parties.buyer.public_key)
    sent = tw.send(tw.sign(built.json()["unsignedTransaction"], parties.buyer))
    assert sent.status_code == 500
    assert sent.json()["message"] == "Escrow has been opened for dispute resolution"
    # Failed on chain like a trapped Soroban call: fee charged, funds untouched.
    assert sandbox.chain.xlm_balance(parties.buyer.public_key) < xlm_before
    assert sandbox.chain.escrow_balance(contract_id) == stroops("100")


def test_funding_against_changed_properties_fails_with_properties_mismatch(
    sandbox: SandboxServer, server: Server, tw: TrustlessWorkClient, escrow: tuple[Parties, str]
) -> None:
    parties, contract_id = escrow
    built = tw.build(
        f"{SINGLE}/fund-escrow",
        {"contractId": contract_id, "signer": parties.buyer.public_key, "amount": 100},
    )
    updated = parties.single_release(amount=100)
    updated["title"] = "Logo design (revised)"
    tw.act(
        f"{SINGLE}/update-escrow",
        {"contractId": contract_id, "signer": parties.platform.public_key, "escrow": updated},
        parties.platform,
    )
    sent = tw.send(tw.sign(built.json()["unsignedTransaction"], parties.buyer))
    assert (
        sent.json()["message"] == "The provided escrow properties do not match the stored escrow."
    )
    assert sandbox.chain.escrow_balance(contract_id) == 0


def test_a_payout_to_a_wallet_without_a_trustline_traps_the_release(
    sandbox: SandboxServer, server: Server, tw: TrustlessWorkClient
) -> None:
    parties = Parties.create(sandbox, server)
    no_trustline = new_keypair()
    friendbot(sandbox, no_trustline.public_key)
    body = parties.single_release(amount=10)
    body["roles"]["receiver"] = no_trustline.public_key
    contract_id = deploy(tw, parties, body, "single-release")
    fund(tw, parties, contract_id, 10)
    complete_and_approve(tw, parties, contract_id)
    status, message = refusal(tw, f"{SINGLE}/release-funds", release(parties, contract_id))
    assert status == 500
    assert "trustline entry is missing for account" in message
    assert no_trustline.public_key in message
    assert sandbox.chain.escrow_balance(contract_id) == stroops("10")
