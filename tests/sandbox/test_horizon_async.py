"""The same flows with stellar-sdk's `ServerAsync` and its aiohttp client (no retries)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

import pytest
from stellar_sdk import Asset, Keypair, ServerAsync, TransactionBuilder
from stellar_sdk.client.aiohttp_client import AiohttpClient
from stellar_sdk.exceptions import BadRequestError

from sandbox.server import SandboxServer

from .stellar_wallets import friendbot, new_keypair, stroops

pytestmark = pytest.mark.integration
T = TypeVar("T")


def run(sandbox: SandboxServer, scenario: Callable[[ServerAsync], Awaitable[T]]) -> T:
    async def main() -> T:
        async with ServerAsync(sandbox.horizon_url, client=AiohttpClient()) as server:
            return await scenario(server)

    return asyncio.run(main())


async def submit(
    server: ServerAsync,
    sandbox: SandboxServer,
    signer: Keypair,
    build: Callable[[TransactionBuilder], TransactionBuilder],
    source: Keypair | None = None,
) -> dict[str, object]:
    account = await server.load_account((source or signer).public_key)
    envelope = build(TransactionBuilder(account, sandbox.network_passphrase, 100))
    transaction = envelope.set_timeout(60).build()
    transaction.sign(signer)
    return dict(await server.submit_transaction(transaction))


def usdc(sandbox: SandboxServer) -> Asset:
    return Asset(sandbox.chain.usdc.code, sandbox.chain.usdc.issuer)


def test_async_client_creates_trusts_and_pays_usdc(sandbox: SandboxServer) -> None:
    sender, receiver = new_keypair(), new_keypair()

    async def scenario(server: ServerAsync) -> None:
        for wallet in (sender, receiver):
            friendbot(sandbox, wallet.public_key)
            await submit(server, sandbox, wallet, lambda b: b.append_change_trust_op(usdc(sandbox)))
        sandbox.faucet.mint_usdc(sender.public_key, stroops("20"))
        response = await submit(
            server,
            sandbox,
            sender,
            lambda b: b.append_payment_op(receiver.public_key, usdc(sandbox), "7.25"),
        )
        assert response["successful"] is True
        account = await server.accounts().account_id(receiver.public_key).call()
        assert account["balances"][0]["balance"] == "7.2500000"

    run(sandbox, scenario)
    assert sandbox.chain.usdc_balance(sender.public_key) == stroops("12.75")


def test_async_client_sees_op_no_trust_and_tx_bad_auth(sandbox: SandboxServer) -> None:
    sender, untrusting = new_keypair(), new_keypair()
    friendbot(sandbox, sender.public_key)
    friendbot(sandbox, untrusting.public_key)

    async def scenario(server: ServerAsync) -> tuple[object, object]:
        await submit(server, sandbox, sender, lambda b: b.append_change_trust_op(usdc(sandbox)))
        sandbox.faucet.mint_usdc(sender.public_key, stroops("5"))
        with pytest.raises(BadRequestError) as no_trust:
            await submit(
                server,
                sandbox,
                sender,
                lambda b: b.append_payment_op(untrusting.public_key, usdc(sandbox), "1"),
            )
        with pytest.raises(BadRequestError) as bad_auth:
            await submit(
                server,
                sandbox,
                untrusting,
                lambda b: b.append_payment_op(untrusting.public_key, usdc(sandbox), "1"),
                source=sender,
            )
        return no_trust.value.extras["result_codes"], bad_auth.value.extras["result_codes"]

    no_trust, bad_auth = run(sandbox, scenario)
    assert no_trust == {"transaction": "tx_failed", "operations": ["op_no_trust"]}
    assert bad_auth == {"transaction": "tx_bad_auth"}


def test_async_resubmission_of_one_envelope_pays_once(sandbox: SandboxServer) -> None:
    sender, receiver = new_keypair(), new_keypair()
    for wallet in (sender, receiver):
        friendbot(sandbox, wallet.public_key)

    async def scenario(server: ServerAsync) -> list[str]:
        account = await server.load_account(sender.public_key)
        envelope = (
            TransactionBuilder(account, sandbox.network_passphrase, 100)
            .append_payment_op(receiver.public_key, Asset.native(), "3")
            .set_timeout(60)
            .build()
        )
        envelope.sign(sender)
        first = await server.submit_transaction(envelope)
        second = await server.submit_transaction(envelope)
        stale = (
            TransactionBuilder(
                await server.load_account(sender.public_key), sandbox.network_passphrase, 100
            )
            .append_payment_op(receiver.public_key, Asset.native(), "4")
            .set_timeout(60)
            .build()
        )
        # Reuse the sequence number `envelope` consumed: a different transaction, now stale.
        stale.transaction.sequence -= 1
        stale.sign(sender)
        with pytest.raises(BadRequestError) as raised:
            await server.submit_transaction(stale)
        assert raised.value.extras["result_codes"] == {"transaction": "tx_bad_seq"}
        return [first["hash"], second["hash"]]

    hashes = run(sandbox, scenario)
    assert hashes[0] == hashes[1]
    assert sandbox.chain.xlm_balance(receiver.public_key) == stroops("10003")
