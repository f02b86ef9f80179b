"""Wallet activation steps, driven directly (no workers): Friendbot on test networks, and on
mainnet a `create_account` signed by the platform wallet, recorded before it is submitted.

Each test has a database of its own: on the session's shared one, the e2e stack's runner and
workers would race these tests to activate the same wallets."""

from __future__ import annotations

import uuid

import pytest

from application.context import CommandContext
from application.wallets import WalletPolicy, Wallets
from domain.wallets import ACTIVE, FUNDED, STEP_FUND
from interfaces.services import Services

pytestmark = pytest.mark.integration
CONTEXT = CommandContext(request_id="activation")


def activate(wallets: Wallets, services: Services, user_id: str) -> None:
    wallet = wallets.get(user_id)
    for _ in range(3):  # fund, trust, and one more call that must change nothing
        wallets.advance(wallet.id, CONTEXT)
    assert services.resources.ledger.get(type(wallet), wallet.id).status == ACTIVE  # type: ignore[union-attr]


def new_user(services: Services) -> str:
    created = services.use_cases.users.create_user(f"act-{uuid.uuid4().hex}", None, "BOTH", CONTEXT)
    return created.user.user_id


def test_on_sandbox_a_wallet_is_funded_by_friendbot_then_trusts_usdc(
    fresh_services: Services,
) -> None:
    services = fresh_services
    user_id = new_user(services)
    activate(services.use_cases.wallets, services, user_id)
    account = services.resources.network.account(services.use_cases.wallets.get(user_id).address)
    assert account is not None
    assert account.trusts_usdc


def test_on_mainnet_the_platform_wallet_funds_new_wallets_with_one_recorded_transaction(
    fresh_services: Services,
) -> None:
    services = fresh_services
    platform = new_user(services)
    activate(services.use_cases.wallets, services, platform)
    platform_address = services.use_cases.wallets.get(platform).address
    mainnet = Wallets(
        services.resources.ledger,
        services.resources.keys,
        services.resources.network,
        WalletPolicy("mainnet", lambda: platform_address),
        services.resources.clock,
    )

    user_id = new_user(services)
    wallet = mainnet.get(user_id)
    mainnet.advance(wallet.id, CONTEXT)
    funded = mainnet.get(user_id)
    assert funded.status == FUNDED
    envelope = funded.envelope(STEP_FUND)
    assert envelope is not None
    found = services.resources.network.lookup(envelope.hash)
    assert found is not None
    assert found.outcome.value == "applied"
    activate(mainnet, services, user_id)


def test_on_mainnet_without_an_active_platform_wallet_the_step_waits(
    fresh_services: Services,
) -> None:
    services = fresh_services
    from application.chain_steps import StepPending

    mainnet = Wallets(
        services.resources.ledger,
        services.resources.keys,
        services.resources.network,
        WalletPolicy("mainnet", lambda: None),
        services.resources.clock,
    )
    user_id = new_user(services)
    with pytest.raises(StepPending):
        mainnet.advance(mainnet.get(user_id).id, CONTEXT)
