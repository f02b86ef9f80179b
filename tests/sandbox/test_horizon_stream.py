"""The deposit monitor's view of Horizon: `HorizonNetwork.stream_payments` over the sandbox's SSE
payment feed, followed window after window as the monitor does, through one adapter."""

from __future__ import annotations

import contextlib
from typing import Any

import httpx
import pytest
from stellar_sdk import Server

from infrastructure.stellar.horizon import HorizonNetwork
from sandbox.server import SandboxServer

from .stellar_wallets import new_wallet, submit, usdc_of

pytestmark = pytest.mark.integration
IDLE_S = 0.5
WINDOW_S = 5.0


def follow(network: HorizonNetwork, cursor: str) -> list[tuple[str, Any]]:
    """One stream window as the monitor reads it: what arrives until the feed goes quiet."""
    seen: list[tuple[str, Any]] = []
    with contextlib.suppress(httpx.ReadTimeout):  # the feed idled: the window is over
        seen.extend(network.stream_payments(cursor, IDLE_S, WINDOW_S))
    return seen


def test_one_adapter_follows_the_payment_stream_window_after_window_from_its_cursor(
    sandbox: SandboxServer,
) -> None:
    server = Server(sandbox.horizon_url)
    usdc = usdc_of(sandbox)
    sender = new_wallet(sandbox, server, usdc="10")
    receiver = new_wallet(sandbox, server)

    def pay(amount: str) -> str:
        sent = submit(
            server,
            sandbox,
            sender,
            lambda b: b.append_payment_op(receiver.public_key, usdc, amount),
        )
        return str(sent["hash"])

    network = HorizonNetwork(
        sandbox.horizon_url, sandbox.network_passphrase, f"USDC:{usdc.issuer}", None
    )
    try:
        first = pay("1")
        seen = follow(network, "0")
        mine = [p for _, p in seen if p is not None and p.transaction_hash == first]
        assert [(p.to_address, p.amount_stroops) for p in mine] == [
            (receiver.public_key, 10_000_000)
        ]
        cursor = seen[-1][0]  # the window ended when the feed went quiet: resume from here

        second = pay("2")
        resumed = follow(network, cursor)
        assert [p.transaction_hash for _, p in resumed if p is not None] == [second]
        assert all(int(token) > int(cursor) for token, _ in resumed)
    finally:
        network.close()
