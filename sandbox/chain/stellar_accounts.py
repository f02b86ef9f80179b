"""Stellar accounts and their trustlines, with Stellar's reserve arithmetic.

Here an account is always a Stellar account (an entry on the simulated chain), never one of
Ledgerline's ledger accounts, which is what the word means everywhere else in the house.

An account's native balance must never fall below its minimum balance,
(2 + subentries) × base reserve, except by paying fees the way the network does. Trustlines are the
account's holdings of issued assets, keyed "CODE:ISSUER"; the issuer itself never holds a
trustline to its own asset (it mints by paying and burns by receiving).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sandbox.chain.amounts import INT64_MAX

BASE_RESERVE_STROOPS = 5_000_000
BASE_FEE_STROOPS = 100
SUBENTRIES_MAX = 1_000
SIGNERS_MAX = 20
NATIVE = "native"


def asset_key(code: str, issuer: str) -> str:
    return f"{code}:{issuer}"


def split_asset_key(key: str) -> tuple[str, str]:
    code, _, issuer = key.partition(":")
    return code, issuer


def asset_type(code: str) -> str:
    return "credit_alphanum4" if len(code) <= 4 else "credit_alphanum12"


@dataclass
class Trustline:
    asset_code: str
    asset_issuer: str
    balance_stroops: int = 0
    limit_stroops: int = INT64_MAX
    authorized: bool = True
    last_modified_ledger: int = 0


@dataclass
class Account:
    account_id: str
    balance_stroops: int
    sequence: int
    sequence_ledger: int
    sequence_time_s: int
    last_modified_ledger: int
    last_modified_time_s: int
    subentry_count: int = 0
    master_weight: int = 1
    low_threshold: int = 0
    med_threshold: int = 0
    high_threshold: int = 0
    # Extra ed25519 signers (public key -> weight); the master key is `account_id`.
    signers: dict[str, int] = field(default_factory=dict)
    # manage_data entries, values base64 as Horizon renders them.
    data: dict[str, str] = field(default_factory=dict)
    trustlines: dict[str, Trustline] = field(default_factory=dict)
    home_domain: str = ""
    auth_required: bool = False
    auth_revocable: bool = False

    def min_balance_stroops(self) -> int:
        return (2 + self.subentry_count) * BASE_RESERVE_STROOPS

    def available_stroops(self) -> int:
        """Native balance above the reserve: what fees and payments may spend."""
        return self.balance_stroops - self.min_balance_stroops()

    def trustline(self, code: str, issuer: str) -> Trustline | None:
        return self.trustlines.get(asset_key(code, issuer))

    def signer_weights(self) -> dict[str, int]:
        """Every key that may sign for this account, master included, with its weight."""
        weights = {self.account_id: self.master_weight}
        weights.update(self.signers)
        return {key: weight for key, weight in weights.items() if weight > 0}

    def touch(self, ledger: int, close_time_s: int) -> None:
        self.last_modified_ledger = ledger
        self.last_modified_time_s = close_time_s
