"""Single-release escrows end to end: TW builds, the role's wallet signs, send-transaction applies.

Amounts are checked to the stroop against fee math written out independently here (floor
division in stroops), never against the sandbox's own fee functions.
"""

from __future__ import annotations

import pytest
from stellar_sdk import Server, TransactionEnvelope

from sandbox.server import SandboxServer

from .escrow_parties import SINGLE, Parties, complete_and_approve, deploy, fund
from .stellar_wallets import stroops
from .trustless_work_client import TrustlessWorkClient

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def server(sandbox: SandboxServer) -> Server:
    return Server(sandbox.horizon_url)


@pytest.fixture(scope="module")
def tw(sandbox: SandboxServer) -> TrustlessWorkClient:
    return TrustlessWorkClient(sandbox)


def expected_split(amount_stroops: int, fee_bps: int) -> tuple[int, int, int]:
    trustless_work = amount_stroops * 30 // 10_000
    platform = amount_stroops * fee_bps // 10_000
    return trustless_work, platform, amount_stroops - trustless_work - platform


def test_deploy_returns_an_unsigned_invocation_from_the_signer(
    sandbox: SandboxServer, server: Server, tw: TrustlessWorkClient
) -> None:
    parties = Parties.create(sandbox, server)
    built = tw.build("/deployer/single-release", parties.single_release())
    assert built.status_code == 201
    envelope = TransactionEnvelope.from_xdr(
        built.json()["unsignedTransaction"], sandbox.network_passphrase
    )
    transaction = envelope.transaction
    assert envelope.signatures == []
    assert transaction.source.account_id == parties.platform.public_key
    assert transaction.sequence == server.load_account(parties.platform.public_key).sequence + 1
    (operation,) = transaction.operations
    call = operation.host_function.invoke_contract
    assert call.function_name.sc_symbol == b"deploy"
    assert transaction.soroban_data is not None
    assert transaction.fee == 100 + transaction.soroban_data.resource_fee.int64
    assert transaction.preconditions.time_bounds.max_time > 0


def test_single_release_pays_receiver_platform_and_trustless_work_to_the_stroop(
    sandbox: SandboxServer, server: Server, tw: TrustlessWorkClient
) -> None:
    parties = Parties.create(sandbox, server)
    fee_wallet = sandbox.chain.keys.trustless_work_fee.public_key
    fee_wallet_before = sandbox.chain.usdc_balance(fee_wallet)
    deployed = tw.act("/deployer/single-release", parties.single_release(), parties.platform)
    contract_id = deployed["contractId"]
    assert contract_id.startswith("C")
    assert len(contract_id) == 56
    assert deployed["escrow"]["amount"] == 250
    assert deployed["escrow"]["flags"] == {"disputed": False, "released": False, "resolved": False}
    fund(tw, parties, contract_id, 250)
    assert sandbox.chain.escrow_balance(contract_id) == stroops("250")
    complete_and_approve(tw, parties, contract_id)
    tw.act(
        f"{SINGLE}/release-funds",
        {"contractId": contract_id, "releaseSigner": parties.buyer.public_key},
        parties.buyer,
    )

    trustless_work, platform, receiver = expected_split(stroops("250"), 500)
    assert (trustless_work, platform, receiver) == (
        stroops("0.75"),
        stroops("12.5"),
        stroops("236.75"),
    )
    assert sandbox.chain.usdc_balance(parties.seller.public_key) == receiver
    assert sandbox.chain.usdc_balance(parties.platform.public_key) == platform
    assert sandbox.chain.usdc_balance(fee_wallet) - fee_wallet_before == trustless_work
    assert sandbox.chain.usdc_balance(parties.buyer.public_key) == stroops("750")
    assert sandbox.chain.escrow_balance(contract_id) == 0
    minted, burned = sandbox.chain.usdc_issued()
    assert sandbox.chain.usdc_supply() == minted - burned


def test_the_release_appears_in_the_sellers_payment_feed(
    sandbox: SandboxServer, server: Server, tw: TrustlessWorkClient
) -> None:
    parties = Parties.create(sandbox, server)
    contract_id = deploy(
        tw, parties, parties.single_release(amount=10, platform_fee=0), "single-release"
    )
    fund(tw, parties, contract_id, 10)
    complete_and_approve(tw, parties, contract_id)
    sent = tw.act(
        f"{SINGLE}/release-funds",
        {"contractId": contract_id, "releaseSigner": parties.buyer.public_key},
        parties.buyer,
    )
    assert sent["status"] == "SUCCESS"
    latest = server.payments().for_account(parties.seller.public_key).order(desc=True).limit(1)
    record = latest.call()["_embedded"]["records"][0]
    assert record["type"] == "invoke_host_function"
    assert record["address"] == contract_id
    changes = {(c["from"], c["to"], c["amount"]) for c in record["asset_balance_changes"]}
    assert (contract_id, parties.seller.public_key, "9.9700000") in changes


def test_fees_round_down_to_the_stroop_and_the_receiver_gets_the_rest(
    sandbox: SandboxServer, server: Server, tw: TrustlessWorkClient
) -> None:
    parties = Parties.create(sandbox, server)
    amount = "33.3333333"
    # A JSON number with 7 decimals: the API reads its text as an exact decimal, not a float.
    body = parties.single_release(amount=float(amount), platform_fee=2.5)
    contract_id = deploy(tw, parties, body, "single-release")
    fund(tw, parties, contract_id, float(amount))
    complete_and_approve(tw, parties, contract_id)
    tw.act(
        f"{SINGLE}/release-funds",
        {"contractId": contract_id, "releaseSigner": parties.buyer.public_key},
        parties.buyer,
    )
    trustless_work, platform, receiver = expected_split(stroops(amount), 250)
    assert sandbox.chain.usdc_balance(parties.seller.public_key) == receiver
    assert sandbox.chain.usdc_balance(parties.platform.public_key) == platform
    assert trustless_work + platform + receiver == stroops(amount)


def test_dispute_then_resolve_splits_the_balance_with_fees_charged_pro_rata(
    sandbox: SandboxServer, server: Server, tw: TrustlessWorkClient
) -> None:
    parties = Parties.create(sandbox, server)
    contract_id = deploy(tw, parties, parties.single_release(amount=100), "single-release")
    fund(tw, parties, contract_id, 100)
    tw.act(
        f"{SINGLE}/dispute-escrow",
        {"contractId": contract_id, "signer": parties.buyer.public_key},
        parties.buyer,
    )
    escrow = tw.get(f"{SINGLE}/get-escrow", contractId=contract_id).json()
    assert escrow["flags"]["disputed"] is True
    tw.act(
        f"{SINGLE}/resolve-dispute",
        {
            "contractId": contract_id,
            "disputeResolver": parties.platform.public_key,
            "distributions": [
                {"address": parties.buyer.public_key, "amount": 60},
                {"address": parties.seller.public_key, "amount": 40},
            ],
        },
        parties.platform,
    )
    # Fees on the 100 total: 0.3 to TW and 5 to the platform, charged 60/40 to the recipients.
    assert sandbox.chain.usdc_balance(parties.buyer.public_key) == stroops("900") + stroops("56.82")
    assert sandbox.chain.usdc_balance(parties.seller.public_key) == stroops("37.88")
    assert sandbox.chain.usdc_balance(parties.platform.public_key) == stroops("5")
    assert sandbox.chain.escrow_balance(contract_id) == 0
    resolved = tw.get(f"{SINGLE}/get-escrow", contractId=contract_id).json()
    assert resolved["flags"] == {"disputed": False, "released": False, "resolved": True}


def test_resending_the_same_signed_action_applies_it_once(
    sandbox: SandboxServer, server: Server, tw: TrustlessWorkClient
) -> None:
    parties = Parties.create(sandbox, server)
    contract_id = deploy(tw, parties, parties.single_release(amount=50), "single-release")
    built = tw.build(
        f"{SINGLE}/fund-escrow",
        {"contractId": contract_id, "signer": parties.buyer.public_key, "amount": 50},
    )
    signed = tw.sign(built.json()["unsignedTransaction"], parties.buyer)
    first, second = tw.send(signed), tw.send(signed)
    assert first.status_code == second.status_code == 201
    assert first.json() == second.json()
    assert sandbox.chain.escrow_balance(contract_id) == stroops("50")
    assert sandbox.chain.usdc_balance(parties.buyer.public_key) == stroops("950")


def test_the_indexer_reports_status_and_balance_after_each_step(
    sandbox: SandboxServer, server: Server, tw: TrustlessWorkClient
) -> None:
    parties = Parties.create(sandbox, server)
    contract_id = deploy(tw, parties, parties.single_release(amount=20), "single-release")

    def indexed() -> dict:  # type: ignore[type-arg]
        items = tw.get(
            "/helper/get-escrow-by-contract-ids", **{"contractIds[]": contract_id}
        ).json()
        assert len(items) == 1
        return dict(items[0])

    assert indexed()["status"] == "working"
    assert indexed()["balance"] == 0
    fund(tw, parties, contract_id, 20)
    assert indexed()["balance"] == 20
    complete_and_approve(tw, parties, contract_id)
    assert indexed()["status"] == "pendingRelease"
    assert indexed()["signer"] == parties.platform.public_key
    assert indexed()["trustline"] == {"address": parties.trustline_issuer, "name": "USDC"}


def test_excess_funding_stays_until_withdrawn_by_the_resolver_with_fees(
    sandbox: SandboxServer, server: Server, tw: TrustlessWorkClient
) -> None:
    parties = Parties.create(sandbox, server)
    contract_id = deploy(tw, parties, parties.single_release(amount=100), "single-release")
    withdraw = {
        "contractId": contract_id,
        "disputeResolver": parties.platform.public_key,
        "distributions": [{"address": parties.buyer.public_key, "amount": 10}],
    }
    early = tw.build(f"{SINGLE}/withdraw-remaining-funds", withdraw)
    assert early.json()["message"].startswith("The escrow must be released, resolved or in dispute")
    fund(tw, parties, contract_id, 110)
    complete_and_approve(tw, parties, contract_id)
    tw.act(
        f"{SINGLE}/release-funds",
        {"contractId": contract_id, "releaseSigner": parties.buyer.public_key},
        parties.buyer,
    )
    # The release pays out the escrow's amount, not its balance: 10 USDC stay behind.
    assert sandbox.chain.escrow_balance(contract_id) == stroops("10")
    tw.act(f"{SINGLE}/withdraw-remaining-funds", withdraw, parties.platform)
    assert sandbox.chain.escrow_balance(contract_id) == 0
    assert sandbox.chain.usdc_balance(parties.buyer.public_key) == stroops("890") + stroops("9.47")
    assert sandbox.chain.usdc_balance(parties.platform.public_key) == stroops("5") + stroops("0.5")
