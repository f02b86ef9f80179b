"""Webhook signing secrets sealed at rest with the vault's SecretBox keys.

The same versioned keys as wallet seeds (WALLET_ENCRYPTION_KEY, with previous keys still able to
open), in a table of their own. A secret leaves this module only towards the signer; never into
events, logs or responses after the one that created it.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import nacl.exceptions

from infrastructure.stellar.vault import ROTATE_BATCH, VaultError, VaultKey


class SealedWebhookSecrets:
    def __init__(self, pool: Any, current: VaultKey, previous: Iterable[VaultKey] = ()) -> None:
        self._pool = pool
        self._current = current
        self._keys = {key.version: key for key in (*previous, current)}

    def seal(self, endpoint_id: str, secret: str) -> None:
        sealed = bytes(self._current.box.encrypt(secret.encode()))
        with self._pool.connection() as conn:
            conn.execute(
                "INSERT INTO webhook_secrets (endpoint_id, key_version, sealed)"
                " VALUES (%s, %s, %s)",
                (endpoint_id, self._current.version, sealed),
            )

    def open(self, endpoint_id: str) -> str:
        with self._pool.connection() as conn:
            row = conn.execute(
                "SELECT key_version, sealed FROM webhook_secrets WHERE endpoint_id = %s",
                (endpoint_id,),
            ).fetchone()
        if row is None:
            raise VaultError(f"no sealed secret for webhook endpoint {endpoint_id}")
        return self._unseal(row["key_version"], bytes(row["sealed"]))

    def _unseal(self, version: str, sealed: bytes) -> str:
        key = self._keys.get(version)
        if key is None:
            raise VaultError(
                f"the secret was sealed with vault key {version}, which is not configured;"
                " set WALLET_ENCRYPTION_KEY_PREVIOUS to that key"
            )
        try:
            return str(key.box.decrypt(sealed).decode())
        except nacl.exceptions.CryptoError:
            raise VaultError("a sealed webhook secret failed authentication") from None

    def rotate(self) -> int:
        """Re-seals every secret not under the current key; returns how many. Resumable: each
        batch commits on its own (`ledgerline keys rotate-vault` runs it after the seeds)."""
        done = 0
        while True:
            with self._pool.connection() as conn, conn.transaction():
                rows = conn.execute(
                    "SELECT endpoint_id, key_version, sealed FROM webhook_secrets"
                    " WHERE key_version <> %s LIMIT %s FOR UPDATE SKIP LOCKED",
                    (self._current.version, ROTATE_BATCH),
                ).fetchall()
                for row in rows:
                    secret = self._unseal(row["key_version"], bytes(row["sealed"]))
                    conn.execute(
                        "UPDATE webhook_secrets SET key_version = %s, sealed = %s"
                        " WHERE endpoint_id = %s",
                        (
                            self._current.version,
                            bytes(self._current.box.encrypt(secret.encode())),
                            row["endpoint_id"],
                        ),
                    )
            if not rows:
                return done
            done += len(rows)

    def discard(self, endpoint_id: str) -> None:
        with self._pool.connection() as conn:
            conn.execute("DELETE FROM webhook_secrets WHERE endpoint_id = %s", (endpoint_id,))
