"""No seed or key material ever appears in a response or a log line (runs last in the suite)."""

from __future__ import annotations

import pytest

from tests.support.capture import SESSION
from tests.support.money import active_user, funded_user, wait_withdrawal, withdraw
from tests.support.stack import MASTER_KEY, Stack

pytestmark = pytest.mark.e2e


def test_no_seed_or_key_appears_in_any_response_or_log_line(stack: Stack) -> None:
    # Make sure the session did touch every secret, whichever tests were selected.
    user_id, _ = funded_user(stack, "10", prefix="secrets")
    _, destination = active_user(stack, prefix="secrets-dest")
    response = withdraw(stack, user_id, "5", destination)
    wait_withdrawal(stack, response.json()["data"]["id"])
    books = stack.services.views.ledger_entries.position()
    proof = stack.client().get(f"/users/{user_id}/balance/proof", params={"anchor": books})
    assert proof.status_code == 200, proof.text  # a salt derived from the secret, in a body

    vault = stack.services.resources.vault
    assert vault is not None
    with stack.services.resources.pool.connection() as conn:
        addresses = [r["address"] for r in conn.execute("SELECT address FROM wallet_secrets")]
    seeds = [vault.open(address) for address in addresses]
    assert len(seeds) >= 2
    assert all(seed.startswith("S") and len(seed) == 56 for seed in seeds)
    settings = stack.services.settings
    # The balance proofs' salts are derived from AUDIT_PROOF_SECRET; it never appears itself.
    everywhere = [
        *seeds,
        MASTER_KEY,
        str(settings.wallet_encryption_key),
        settings.audit_proof_secret,
    ]
    bodies = b"\n".join(SESSION.bodies)
    logs = "\n".join(SESSION.log_lines)
    assert len(SESSION.bodies) > 50
    assert len(SESSION.log_lines) > 10
    for secret in everywhere:
        assert secret.encode() not in bodies
        assert secret not in logs
    for token in SESSION.tokens:  # shown once in its creation response, never logged
        assert token not in logs
