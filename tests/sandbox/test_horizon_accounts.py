"""Horizon's read side and Friendbot, through stellar-sdk's own `Server` over HTTP."""

from __future__ import annotations

import httpx
import pytest
from stellar_sdk import Asset, Server
from stellar_sdk.exceptions import NotFoundError

from sandbox.server import SandboxServer

from .stellar_wallets import friendbot, new_keypair, new_wallet, stroops, submit, usdc_of

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def server(sandbox: SandboxServer) -> Server:
    return Server(sandbox.horizon_url)


def test_root_reports_the_standalone_passphrase_and_latest_ledger(
    sandbox: SandboxServer, server: Server
) -> None:
    root = server.root().call()
    assert root["network_passphrase"] == "Standalone Network ; February 2017"
    assert root["history_latest_ledger"] == sandbox.chain.latest_ledger().sequence
    assert root["core_latest_ledger"] >= root["history_latest_ledger"]


def test_friendbot_creates_an_account_holding_ten_thousand_lumens(
    sandbox: SandboxServer, server: Server
) -> None:
    keypair = new_keypair()
    response = friendbot(sandbox, keypair.public_key)
    assert response.status_code == 200
    body = response.json()
    assert body["successful"] is True
    assert server.transactions().transaction(body["hash"]).call()["hash"] == body["hash"]
    account = server.accounts().account_id(keypair.public_key).call()
    assert account["balances"] == [
        {
            "balance": "10000.0000000",
            "buying_liabilities": "0.0000000",
            "selling_liabilities": "0.0000000",
            "asset_type": "native",
        }
    ]
    # A new account's sequence is the ledger that created it, shifted into the high bits.
    assert int(account["sequence"]) == body["ledger"] << 32
    assert account["data"] == {}


def test_friendbot_refuses_an_account_already_at_the_starting_balance(
    sandbox: SandboxServer,
) -> None:
    keypair = new_keypair()
    assert friendbot(sandbox, keypair.public_key).status_code == 200
    again = friendbot(sandbox, keypair.public_key)
    assert again.status_code == 400
    assert again.json()["detail"] == "account already funded to starting balance"
    assert again.headers["content-type"].startswith("application/problem+json")


def test_friendbot_tops_up_an_account_that_spent_lumens(
    sandbox: SandboxServer, server: Server
) -> None:
    spender, receiver = new_keypair(), new_keypair()
    for keypair in (spender, receiver):
        friendbot(sandbox, keypair.public_key)
    submit(
        server,
        sandbox,
        spender,
        lambda b: b.append_payment_op(receiver.public_key, Asset.native(), "250"),
    )
    assert sandbox.chain.xlm_balance(spender.public_key) < stroops("10000")
    assert httpx.post(sandbox.friendbot_url, params={"addr": spender.public_key}).status_code == 200
    assert sandbox.chain.xlm_balance(spender.public_key) == stroops("10000")


def test_friendbot_refuses_a_missing_or_invalid_address(sandbox: SandboxServer) -> None:
    for address in ("", "GNOTANACCOUNT"):
        response = friendbot(sandbox, address)
        assert response.status_code == 400
        assert response.json()["extras"]["invalid_field"] == "addr"


def test_an_account_lists_its_usdc_trustline_before_the_native_balance(
    sandbox: SandboxServer, server: Server
) -> None:
    wallet = new_wallet(sandbox, server, usdc="12.5")
    account = server.accounts().account_id(wallet.public_key).call()
    usdc, native = account["balances"]
    assert usdc["asset_code"] == "USDC"
    assert usdc["asset_issuer"] == usdc_of(sandbox).issuer
    assert usdc["balance"] == "12.5000000"
    assert usdc["limit"] == "922337203685.4775807"
    assert usdc["is_authorized"] is True
    assert native["asset_type"] == "native"
    assert account["subentry_count"] == 1
    assert account["signers"] == [
        {"weight": 1, "key": wallet.public_key, "type": "ed25519_public_key"}
    ]


def test_an_unknown_account_is_not_found(server: Server) -> None:
    with pytest.raises(NotFoundError) as raised:
        server.load_account(new_keypair().public_key)
    assert raised.value.type == "https://stellar.org/horizon-errors/not_found"


def test_the_base_fee_comes_from_the_latest_ledger(server: Server) -> None:
    assert server.fetch_base_fee() == 100
    latest = server.ledgers().order(desc=True).limit(1).call()["_embedded"]["records"][0]
    assert latest["base_reserve_in_stroops"] == 5_000_000
    stats = server.fee_stats().call()
    assert stats["last_ledger_base_fee"] == "100"
    assert stats["fee_charged"]["p99"] == "100"


def test_ledgers_page_in_both_orders(server: Server) -> None:
    ascending = server.ledgers().order(desc=False).limit(2).call()["_embedded"]["records"]
    assert [record["sequence"] for record in ascending] == [1, 2]
    page = server.ledgers().order(desc=False).limit(2)
    page.call()
    following = page.next()["_embedded"]["records"]
    assert following[0]["sequence"] == 3
