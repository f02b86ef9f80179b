"""The sandbox's keys and its first ledgers, all derived from one seed.

The network root key comes from the passphrase, as stellar-core derives it, and holds every lumen
at ledger 1. The USDC issuer (unless its secret is given), the Trustless Work fee wallet, the
escrow factory's contract id and the escrow Wasm hashes derive from the seed, so two sandboxes
started with the same seed agree on every address. Genesis then creates the issuer and the fee
wallet (with its USDC trustline) through ordinary signed transactions.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from stellar_sdk import Asset, Keypair, StrKey

from sandbox.chain.amounts import STROOPS_PER_UNIT
from sandbox.chain.history import History, LedgerRecord
from sandbox.chain.stellar_accounts import Account
from sandbox.contracts.escrow_model import MULTI_RELEASE, SINGLE_RELEASE

STANDALONE_PASSPHRASE = "Standalone Network ; February 2017"  # noqa: S105 - public, not a secret
USDC_CODE = "USDC"
TOTAL_COINS_STROOPS = 100_000_000_000 * STROOPS_PER_UNIT
GENESIS_LEDGER = 1
ISSUER_STARTING_BALANCE = "10000"
FEE_WALLET_STARTING_BALANCE = "1000"


def _derived_bytes(seed: int, purpose: str) -> bytes:
    return hashlib.sha256(f"ledgerline-sandbox/{seed}/{purpose}".encode()).digest()


@dataclass(frozen=True)
class SandboxKeys:
    network_passphrase: str
    seed: int
    root: Keypair
    usdc_issuer: Keypair
    trustless_work_fee: Keypair
    escrow_factory_id: str
    single_release_wasm: bytes
    multi_release_wasm: bytes

    @classmethod
    def derive(
        cls, seed: int, network_passphrase: str, usdc_issuer_secret: str | None = None
    ) -> SandboxKeys:
        issuer = (
            Keypair.from_secret(usdc_issuer_secret)
            if usdc_issuer_secret
            else Keypair.from_raw_ed25519_seed(_derived_bytes(seed, "usdc-issuer"))
        )
        return cls(
            network_passphrase=network_passphrase,
            seed=seed,
            root=Keypair.from_raw_ed25519_seed(
                hashlib.sha256(network_passphrase.encode()).digest()
            ),
            usdc_issuer=issuer,
            trustless_work_fee=Keypair.from_raw_ed25519_seed(
                _derived_bytes(seed, "trustless-work-fee")
            ),
            escrow_factory_id=StrKey.encode_contract(_derived_bytes(seed, "escrow-factory")),
            # Wasm hashes are properties of the contract code, not of the seed.
            single_release_wasm=hashlib.sha256(b"trustless-work/single-release-escrow/v1").digest(),
            multi_release_wasm=hashlib.sha256(b"trustless-work/multi-release-escrow/v1").digest(),
        )

    @property
    def usdc(self) -> Asset:
        return Asset(USDC_CODE, self.usdc_issuer.public_key)

    def wasm_kinds(self) -> dict[bytes, str]:
        return {self.single_release_wasm: SINGLE_RELEASE, self.multi_release_wasm: MULTI_RELEASE}


def genesis_ledger(keys: SandboxKeys, close_time_s: int) -> tuple[Account, History]:
    """Ledger 1: the root account holding all lumens, sequence starting at ledger << 32."""
    root = Account(
        account_id=keys.root.public_key,
        balance_stroops=TOTAL_COINS_STROOPS,
        sequence=GENESIS_LEDGER << 32,
        sequence_ledger=GENESIS_LEDGER,
        sequence_time_s=close_time_s,
        last_modified_ledger=GENESIS_LEDGER,
        last_modified_time_s=close_time_s,
    )
    history = History()
    history.append_empty_ledger(
        LedgerRecord(
            sequence=GENESIS_LEDGER,
            hash=_derived_bytes(keys.seed, keys.network_passphrase).hex(),
            prev_hash="00" * 32,
            closed_at_s=close_time_s,
        )
    )
    return root, history
