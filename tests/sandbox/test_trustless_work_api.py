"""The Trustless Work V1 surface itself: auth, the request limit, DTO errors, routes and reads."""

from __future__ import annotations

import time

import httpx
import pytest
from stellar_sdk import Server, TransactionEnvelope

from sandbox.server import SandboxServer

from .escrow_parties import MULTI, SINGLE, Parties, complete_and_approve, deploy, fund
from .seeds import sandbox_seed
from .stellar_wallets import stroops
from .trustless_work_client import TrustlessWorkClient

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def server(sandbox: SandboxServer) -> Server:
    return Server(sandbox.horizon_url)


@pytest.fixture(scope="module")
def tw(sandbox: SandboxServer) -> TrustlessWorkClient:
    return TrustlessWorkClient(sandbox)


def test_every_route_needs_the_api_key(sandbox: SandboxServer) -> None:
    base = sandbox.trustless_work_url
    for headers in ({}, {"x-api-key": "wrong"}, {"Authorization": f"Bearer {sandbox.api_key}"}):
        for response in (
            httpx.get(
                f"{base}/helper/get-escrows-by-signer", params={"signer": "G"}, headers=headers
            ),
            httpx.post(f"{base}/helper/send-transaction", json={"signedXdr": "x"}, headers=headers),
        ):
            assert response.status_code == 401
            assert response.json() == {
                "statusCode": 401,
                "message": "Unauthorized",
                "error": "Unauthorized",
            }


def test_the_default_limit_is_fifty_requests_per_minute() -> None:
    limited = SandboxServer(seed=sandbox_seed()).start()
    try:
        client = TrustlessWorkClient(limited)
        statuses: list[int] = []
        started = time.monotonic()
        while 429 not in statuses and len(statuses) < 200:
            signer = limited.chain.keys.root.public_key
            statuses.append(client.get("/helper/get-escrows-by-signer", signer=signer).status_code)
        # The bucket refills 50 per 60 s while we ask: a slow machine earns a few more.
        refilled = int((time.monotonic() - started) * 50 / 60) + 1
        accepted = statuses.index(429)
        assert statuses[:accepted] == [200] * accepted
        assert 50 <= accepted <= 50 + refilled
        refused = client.get("/helper/get-escrows-by-signer", signer="G")
        assert int(refused.headers["retry-after"]) >= 1
        assert refused.json()["message"] == "ThrottlerException: Too Many Requests"
    finally:
        limited.stop()


def test_invalid_bodies_are_refused_with_every_problem_listed(tw: TrustlessWorkClient) -> None:
    response = tw.build(f"{SINGLE}/approve-milestone", {"milestoneIndex": 0, "approver": "GABC"})
    assert response.status_code == 400
    body = response.json()
    assert body["error"] == "Bad Request"
    assert set(body["message"]) == {
        "contractId must be a non-empty string",
        'milestoneIndex must be a numeric string such as "0"',
        "approver must be a Stellar account (G…)",
    }
    eight_decimals = tw.build(
        f"{SINGLE}/fund-escrow", {"contractId": "C", "signer": "G", "amount": 1.00000001}
    )
    assert any("more than 7 decimals" in m for m in eight_decimals.json()["message"])
    not_json = tw.http.post(
        f"{SINGLE}/fund-escrow", content=b"{", headers={"content-type": "application/json"}
    )
    assert not_json.status_code == 400


def test_unknown_routes_answer_like_nest(tw: TrustlessWorkClient) -> None:
    response = tw.build(f"{SINGLE}/release-milestone-funds", {})
    assert response.status_code == 404
    assert response.json()["message"] == f"Cannot POST {SINGLE}/release-milestone-funds"
    assert tw.build("/escrow/triple-release/fund-escrow", {}).status_code == 404


def test_versioned_and_alias_paths_reach_the_same_actions(
    sandbox: SandboxServer, server: Server, tw: TrustlessWorkClient
) -> None:
    parties = Parties.create(sandbox, server)
    contract_id = deploy(
        tw, parties, parties.multi_release([(10, parties.seller.public_key)]), "multi-release"
    )
    tw.act(
        f"{MULTI}/v1/fund-escrow",
        {"contractId": contract_id, "signer": parties.buyer.public_key, "amount": 10},
        parties.buyer,
    )
    tw.act(
        f"{MULTI}/dispute-escrow",
        {"contractId": contract_id, "signer": parties.buyer.public_key, "milestoneIndex": "0"},
        parties.buyer,
    )
    milestone = tw.get(f"{MULTI}/v1/get-escrow", contractId=contract_id).json()["milestones"][0]
    assert milestone["flags"]["disputed"] is True
    assert sandbox.chain.escrow_balance(contract_id) == stroops("10")


def test_the_trustline_may_be_given_as_the_asset_contract_id(
    sandbox: SandboxServer, server: Server, tw: TrustlessWorkClient
) -> None:
    parties = Parties.create(sandbox, server)
    body = parties.single_release(amount=3)
    body["trustline"] = {"address": sandbox.chain.usdc.contract_id}
    contract_id = deploy(tw, parties, body, "single-release")
    fund(tw, parties, contract_id, 3)
    assert sandbox.chain.escrow_balance(contract_id) == stroops("3")


def test_balances_are_read_for_at_most_twenty_escrows(
    sandbox: SandboxServer, server: Server, tw: TrustlessWorkClient
) -> None:
    parties = Parties.create(sandbox, server)
    contract_id = deploy(tw, parties, parties.single_release(amount=4), "single-release")
    fund(tw, parties, contract_id, 2.5)
    balances = tw.get(f"{SINGLE}/get-multiple-escrow-balance", **{"addresses[]": contract_id})
    assert balances.json() == [{"address": contract_id, "balance": 2.5}]
    too_many = tw.get(
        f"{SINGLE}/get-multiple-escrow-balance", addresses=",".join([contract_id] * 21)
    )
    assert too_many.json()["message"] == "You have requested too many escrows"


def test_role_and_signer_listings_filter_the_index(
    sandbox: SandboxServer, server: Server, tw: TrustlessWorkClient
) -> None:
    parties = Parties.create(sandbox, server)
    working = deploy(tw, parties, parties.single_release(amount=1), "single-release")
    pending = deploy(tw, parties, parties.single_release(amount=1), "single-release")
    fund(tw, parties, pending, 1)
    complete_and_approve(tw, parties, pending)

    def contract_ids(path: str, **params: str) -> set[str]:
        response = tw.get(path, **params)
        assert response.status_code == 200, response.text
        return {item["contractId"] for item in response.json()}

    by_role = "/helper/get-escrows-by-role"
    assert contract_ids(by_role, role="approver", roleAddress=parties.buyer.public_key) == {
        working,
        pending,
    }
    assert contract_ids(
        by_role, role="receiver", roleAddress=parties.seller.public_key, status="pendingRelease"
    ) == {pending}
    assert contract_ids("/helper/get-escrows-by-signer", signer=parties.platform.public_key) == {
        working,
        pending,
    }
    assert tw.get(by_role, role="owner", roleAddress="G").status_code == 400


def test_a_transaction_sent_straight_to_horizon_is_indexed_only_on_request(
    sandbox: SandboxServer, server: Server, tw: TrustlessWorkClient
) -> None:
    parties = Parties.create(sandbox, server)
    contract_id = deploy(tw, parties, parties.single_release(amount=8), "single-release")
    built = tw.build(
        f"{SINGLE}/fund-escrow",
        {"contractId": contract_id, "signer": parties.buyer.public_key, "amount": 8},
    )
    envelope = TransactionEnvelope.from_xdr(
        built.json()["unsignedTransaction"], sandbox.network_passphrase
    )
    envelope.sign(parties.buyer)
    assert server.submit_transaction(envelope)["successful"] is True
    assert sandbox.chain.escrow_balance(contract_id) == stroops("8")

    def indexed_balance() -> object:
        return tw.get("/helper/get-escrow-by-contract-ids", contractIds=contract_id).json()[0][
            "balance"
        ]

    assert indexed_balance() == 0
    indexed = tw.http.post("/indexer/update-from-txHash", json={"txHash": envelope.hash_hex()})
    assert indexed.status_code == 201
    assert indexed_balance() == 8
    # TW's send-transaction of the same signed XDR now replays the chain's result.
    assert tw.send(envelope.to_xdr()).json()["status"] == "SUCCESS"
    assert sandbox.chain.escrow_balance(contract_id) == stroops("8")


def test_a_garbled_signed_xdr_is_a_bad_request(tw: TrustlessWorkClient) -> None:
    response = tw.send("not-an-envelope")
    assert response.status_code == 400
    assert response.json()["message"].startswith("Invalid signed transaction XDR")
