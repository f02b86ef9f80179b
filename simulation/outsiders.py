"""Stellar accounts outside the service: where withdrawals pay to when they do not pay another
user. Each is an ordinary wallet a marketplace's customer might hold — funded with XLM by the
sandbox, trusting USDC through a transaction it signs itself — so its USDC balance on chain is
exactly what the service paid into it."""

from __future__ import annotations

from typing import Final

import httpx
from stellar_sdk import Asset, Keypair, Network, Server, TransactionBuilder

PASSPHRASE: Final = Network.STANDALONE_NETWORK_PASSPHRASE
BASE_FEE_STROOPS: Final = 100
TIMEOUT_S: Final = 30.0


def outside_account(sandbox_url: str, usdc_issuer: str) -> str:
    """A new funded account trusting USDC; returns its address."""
    keypair = Keypair.random()
    funded = httpx.post(
        f"{sandbox_url}/sandbox/fund", json={"address": keypair.public_key}, timeout=TIMEOUT_S
    )
    funded.raise_for_status()
    server = Server(f"{sandbox_url}/horizon")
    account = server.load_account(keypair.public_key)
    envelope = (
        TransactionBuilder(account, PASSPHRASE, base_fee=BASE_FEE_STROOPS)
        .append_change_trust_op(Asset("USDC", usdc_issuer))
        .set_timeout(300)
        .build()
    )
    envelope.sign(keypair)
    server.submit_transaction(envelope)
    return keypair.public_key
