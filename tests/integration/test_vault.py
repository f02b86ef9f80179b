"""The vault: seeds sealed at rest under versioned keys; rotation re-seals every one."""

from __future__ import annotations

import secrets
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from application.context import CommandContext
from application.ports import Outcome
from infrastructure.stellar.keys import StellarKeys
from infrastructure.stellar.vault import Vault, VaultError, VaultKey
from interfaces.services import Services
from sandbox.server import SandboxServer

pytestmark = pytest.mark.integration
CONTEXT = CommandContext(request_id="vault")


def test_rotating_the_vault_keeps_every_wallet_signable(
    fresh_services: Services, sandbox: SandboxServer
) -> None:
    services = fresh_services
    old_key = VaultKey.from_hex(str(services.settings.wallet_encryption_key))
    created = services.use_cases.users.create_user(f"v-{uuid.uuid4().hex}", None, "BOTH", CONTEXT)
    address = services.use_cases.wallets.get(created.user.user_id).address
    sandbox.faucet.fund_xlm(address)

    new_key = VaultKey.from_hex(secrets.token_hex(32))
    rotating = Vault(services.resources.pool, new_key, [old_key])
    assert rotating.rotate() == 1
    assert rotating.versions() == {new_key.version: 1}
    assert rotating.rotate() == 0  # resumable: nothing left under the old key

    rotated_only = Vault(services.resources.pool, new_key)
    keys = StellarKeys(rotated_only, services.resources.network)
    envelope = keys.sign_change_trust(
        "trust",
        address,
        services.resources.network.usdc_asset,
        datetime.now(UTC) + timedelta(minutes=1),
    )
    assert services.resources.network.submit(envelope.xdr).outcome is Outcome.APPLIED

    with pytest.raises(VaultError, match="not configured"):
        Vault(services.resources.pool, old_key).open(address)


def test_a_tampered_seal_is_refused(fresh_services: Services) -> None:
    services = fresh_services
    assert services.resources.vault is not None
    created = services.use_cases.users.create_user(f"t-{uuid.uuid4().hex}", None, "BOTH", CONTEXT)
    address = services.use_cases.wallets.get(created.user.user_id).address
    with services.resources.pool.connection() as conn:
        conn.execute(
            "UPDATE wallet_secrets SET sealed = overlay(sealed placing '\\x00'::bytea from 30)"
            " WHERE address = %s",
            (address,),
        )
    with pytest.raises(VaultError, match="authentication"):
        services.resources.vault.open(address)
