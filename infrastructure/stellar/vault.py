"""Wallet seeds sealed at rest with PyNaCl SecretBox, under versioned keys.

Each vault key is derived from a WALLET_ENCRYPTION_KEY (32 bytes as 64 hex) and named by a short
fingerprint stored beside every sealed seed, so several keys can be in service while
`ledgerline keys rotate-vault` re-seals rows from an old key to the current one. A seed leaves
this module only towards the signer, never into events, logs or responses.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Final

import nacl.exceptions
import nacl.hash
import nacl.secret
import nacl.utils
from nacl.encoding import RawEncoder

ROTATE_BATCH: Final = 200
_PERSON: Final = b"ledgerline-vlt"  # blake2b personalisation: these keys are for this vault only


class VaultError(Exception):
    """A seed cannot be opened: its key is not configured, or the ciphertext is corrupt."""


@dataclass(frozen=True)
class VaultKey:
    version: str
    box: nacl.secret.SecretBox

    @classmethod
    def from_hex(cls, root_hex: str) -> VaultKey:
        root = bytes.fromhex(root_hex)
        if len(root) != nacl.secret.SecretBox.KEY_SIZE:
            raise ValueError("a vault key is 32 bytes (64 hex characters)")
        key = nacl.hash.blake2b(root, digest_size=32, person=_PERSON, encoder=RawEncoder)
        version = nacl.hash.blake2b(key, digest_size=4, person=_PERSON).decode()
        return cls(version, nacl.secret.SecretBox(key))


class Vault:
    def __init__(self, pool: Any, current: VaultKey, previous: Iterable[VaultKey] = ()) -> None:
        self._pool = pool
        self.current = current
        self._keys = {key.version: key for key in (*previous, current)}

    def store(self, address: str, user_id: str, seed: str) -> None:
        sealed = bytes(self.current.box.encrypt(seed.encode()))
        with self._pool.connection() as conn:
            conn.execute(
                "INSERT INTO wallet_secrets (address, user_id, key_version, sealed)"
                " VALUES (%s, %s, %s, %s)",
                (address, user_id, self.current.version, sealed),
            )

    def open(self, address: str) -> str:
        """The seed of `address`; for the signer's eyes only."""
        with self._pool.connection() as conn:
            row = conn.execute(
                "SELECT key_version, sealed FROM wallet_secrets WHERE address = %s", (address,)
            ).fetchone()
        if row is None:
            raise VaultError(f"no sealed seed for {address}")
        return self._unseal(row["key_version"], bytes(row["sealed"]))

    def owner_of(self, address: str) -> str | None:
        with self._pool.connection() as conn:
            row = conn.execute(
                "SELECT user_id FROM wallet_secrets WHERE address = %s", (address,)
            ).fetchone()
        return None if row is None else str(row["user_id"])

    def addresses_since(self, created_after: Any) -> list[tuple[str, str, Any]]:
        """(address, user id, created_at) of wallets made after `created_after` (None: all)."""
        with self._pool.connection() as conn:
            rows = conn.execute(
                "SELECT address, user_id, created_at FROM wallet_secrets"
                " WHERE %(after)s::timestamptz IS NULL OR created_at > %(after)s"
                " ORDER BY created_at",
                {"after": created_after},
            ).fetchall()
        return [(r["address"], r["user_id"], r["created_at"]) for r in rows]

    def rotate(self, progress: Callable[[int], None] | None = None) -> int:
        """Re-seals every seed not under the current key; returns how many. Resumable: each
        batch commits on its own, and rows already re-sealed are skipped."""
        done = 0
        while True:
            with self._pool.connection() as conn, conn.transaction():
                rows = conn.execute(
                    "SELECT address, key_version, sealed FROM wallet_secrets"
                    " WHERE key_version <> %s LIMIT %s FOR UPDATE SKIP LOCKED",
                    (self.current.version, ROTATE_BATCH),
                ).fetchall()
                for row in rows:
                    seed = self._unseal(row["key_version"], bytes(row["sealed"]))
                    conn.execute(
                        "UPDATE wallet_secrets SET key_version = %s, sealed = %s,"
                        " sealed_at = now() WHERE address = %s",
                        (
                            self.current.version,
                            bytes(self.current.box.encrypt(seed.encode())),
                            row["address"],
                        ),
                    )
            if not rows:
                return done
            done += len(rows)
            if progress:
                progress(done)

    def versions(self) -> dict[str, int]:
        with self._pool.connection() as conn:
            rows = conn.execute(
                "SELECT key_version, count(*) AS n FROM wallet_secrets GROUP BY key_version"
            ).fetchall()
        return {r["key_version"]: r["n"] for r in rows}

    def _unseal(self, version: str, sealed: bytes) -> str:
        key = self._keys.get(version)
        if key is None:
            raise VaultError(
                f"the seed was sealed with vault key {version}, which is not configured; "
                "set WALLET_ENCRYPTION_KEY_PREVIOUS to that key"
            )
        try:
            return key.box.decrypt(sealed).decode()
        except nacl.exceptions.CryptoError:
            raise VaultError("a sealed seed failed authentication") from None
