"""Webhook signing secrets at rest: sealed, opened only with a configured key, re-sealed when the
vault key rotates, gone when discarded."""

from __future__ import annotations

import uuid

import pytest

from infrastructure.stellar.vault import VaultError, VaultKey
from infrastructure.webhooks.secrets import SealedWebhookSecrets
from interfaces.services import Services

pytestmark = pytest.mark.integration


def test_a_secret_survives_a_vault_key_rotation_and_is_gone_once_discarded(
    fresh_services: Services,
) -> None:
    services = fresh_services  # rotation touches every row: keep it off the shared database
    old, new = VaultKey.from_hex("11" * 32), VaultKey.from_hex("22" * 32)
    endpoint_id = f"whe_test{uuid.uuid4().hex}"
    SealedWebhookSecrets(services.resources.pool, old).seal(endpoint_id, "whsec_c2VjcmV0")
    with services.resources.pool.connection() as conn:
        stored = conn.execute(
            "SELECT sealed FROM webhook_secrets WHERE endpoint_id = %s", (endpoint_id,)
        ).fetchone()
    assert b"c2VjcmV0" not in bytes(stored["sealed"])
    with pytest.raises(VaultError):
        SealedWebhookSecrets(services.resources.pool, new).open(endpoint_id)
    rotating = SealedWebhookSecrets(services.resources.pool, new, [old])
    assert rotating.rotate() == 1
    assert rotating.rotate() == 0
    assert SealedWebhookSecrets(services.resources.pool, new).open(endpoint_id) == "whsec_c2VjcmV0"
    rotating.discard(endpoint_id)
    with pytest.raises(VaultError):
        rotating.open(endpoint_id)
