"""Wallets for sandbox tests: created with Friendbot, trusting USDC, paying with the real SDK.

Everything goes over HTTP with stellar-sdk's own `Server`, signed with the wallet's key, so these
helpers exercise the same paths a client of the sandbox would.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import httpx
from stellar_sdk import Asset, Keypair, Server, TransactionBuilder
from stellar_sdk.transaction_envelope import TransactionEnvelope

from sandbox.server import SandboxServer

from .seeds import sandbox_seed

HTTP_TIMEOUT_S = 10.0
# Test wallets come from the run's seed too, so SANDBOX_SEED=<n> replays the same addresses.
_WALLET_KEYS = random.Random(sandbox_seed())
# One pooled client for the helpers: a fresh httpx client per call costs ~30 ms of TLS setup.
HTTP = httpx.Client(timeout=HTTP_TIMEOUT_S)


def new_keypair() -> Keypair:
    return Keypair.from_raw_ed25519_seed(_WALLET_KEYS.randbytes(32))


def usdc_of(sandbox: SandboxServer) -> Asset:
    return Asset(sandbox.chain.usdc.code, sandbox.chain.usdc.issuer)


def friendbot(sandbox: SandboxServer, address: str) -> httpx.Response:
    return HTTP.get(sandbox.friendbot_url, params={"addr": address})


def new_wallet(sandbox: SandboxServer, server: Server, usdc: str | None = None) -> Keypair:
    """A funded wallet with a USDC trustline, optionally minted `usdc` (a decimal string)."""
    keypair = new_keypair()
    assert friendbot(sandbox, keypair.public_key).status_code == 200
    submit(server, sandbox, keypair, lambda b: b.append_change_trust_op(usdc_of(sandbox)))
    if usdc is not None:
        minted = HTTP.post(
            sandbox.control_url + "/mint", json={"address": keypair.public_key, "amount": usdc}
        )
        assert minted.status_code == 200, minted.text
    return keypair


Build = Callable[[TransactionBuilder], TransactionBuilder]


def signed(
    server: Server, sandbox: SandboxServer, keypair: Keypair, build: Build
) -> TransactionEnvelope:
    """A transaction from `keypair`'s current sequence, built by `build(builder)` and signed."""
    account = server.load_account(keypair.public_key)
    builder = TransactionBuilder(account, sandbox.network_passphrase, base_fee=100)
    envelope = build(builder).set_timeout(60).build()
    envelope.sign(keypair)
    return envelope


def submit(
    server: Server, sandbox: SandboxServer, keypair: Keypair, build: Build
) -> dict[str, Any]:
    return server.submit_transaction(signed(server, sandbox, keypair, build))


def stroops(amount: str) -> int:
    return int(Decimal(amount) * 10_000_000)
