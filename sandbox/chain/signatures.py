"""Signature checking: which of an envelope's signatures count, and for whom.

A signature counts for an account when its 4-byte hint matches one of the account's ed25519
signers and it verifies against the transaction hash, which includes the network passphrase (a
testnet signature therefore never counts here). Each signer counts once. Signatures that counted
for nobody make the transaction `tx_bad_auth_extra`, as on the network.
"""

from __future__ import annotations

from stellar_sdk import Keypair, xdr
from stellar_sdk.exceptions import BadSignatureError

from sandbox.chain.stellar_accounts import Account


class SignatureCheck:
    """Verifies one envelope's signatures once and remembers which of them were used."""

    def __init__(self, tx_hash: bytes, signatures: list[xdr.DecoratedSignature]):
        self._tx_hash = tx_hash
        self._signatures = signatures
        self._used: set[int] = set()
        self._verified: dict[tuple[int, str], bool] = {}

    def weight(self, account: Account) -> int:
        total = 0
        for key, key_weight in account.signer_weights().items():
            index = self._matching_signature(key)
            if index is not None:
                self._used.add(index)
                total += key_weight
        return total

    def satisfies(self, account: Account, level: str) -> bool:
        """Whether the collected weight reaches the account's threshold (at least 1)."""
        needed = {
            "low": account.low_threshold,
            "med": account.med_threshold,
            "high": account.high_threshold,
        }[level]
        return self.weight(account) >= max(needed, 1)

    def signed_by(self, public_key: str) -> bool:
        return self._matching_signature(public_key) is not None

    def has_unused_signatures(self) -> bool:
        return len(self._used) < len(self._signatures)

    def _matching_signature(self, public_key: str) -> int | None:
        keypair = Keypair.from_public_key(public_key)
        hint = keypair.signature_hint()
        for index, decorated in enumerate(self._signatures):
            if decorated.hint.signature_hint != hint:
                continue
            cache_key = (index, public_key)
            if cache_key not in self._verified:
                self._verified[cache_key] = _verifies(keypair, self._tx_hash, decorated)
            if self._verified[cache_key]:
                return index
        return None


def _verifies(keypair: Keypair, tx_hash: bytes, decorated: xdr.DecoratedSignature) -> bool:
    try:
        keypair.verify(tx_hash, decorated.signature.signature)
    except (BadSignatureError, ValueError):
        # ValueError: a signature of the wrong length can never verify.
        return False
    return True
