"""Double entry inside events: every money event carries postings that move stroops between
ledger accounts.

A posting `(debit, credit, amount)` moves `amount` out of `debit` and into `credit`, so an
account's balance is the sum of its credits minus its debits and the sum over all accounts is
zero by construction. Ledger account names are data, not aggregates; the ones that mirror user
money (`user:*`, `escrow:*`) must never go negative, while `external:*` mirror the outside world
and are negative by the amount that came in.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from domain.errors import InvalidAmountError

PLATFORM_FEES = "platform:fees"
EXTERNAL_STELLAR = "external:stellar"
EXTERNAL_TRUSTLESS_WORK_FEES = "external:trustless_work_fees"
# The fiat ramp (AirTM): top-ups credited from it, fiat withdrawals paid out to it. Money that
# crossed it is in our books but not in the user's Stellar wallet (see Account.off_chain).
EXTERNAL_AIRTM = "external:airtm"
# Manual credits and debits by an operator: money the chain did not move, kept apart so an
# auditor sees every adjustment in one place and the reconciler can explain the drift.
EXTERNAL_ADJUSTMENTS = "external:adjustments"

# Accounts that mirror money held for someone; their balance may never be negative.
GUARDED_PREFIXES = ("user:", "escrow:")


def user_available(user_id: str) -> str:
    return f"user:{user_id}:available"


def user_reserved(user_id: str) -> str:
    return f"user:{user_id}:reserved"


def escrow(order_id: str) -> str:
    return f"escrow:{order_id}"


def is_guarded(account: str) -> bool:
    return account.startswith(GUARDED_PREFIXES)


@dataclass(frozen=True, slots=True)
class Posting:
    debit: str
    credit: str
    amount_stroops: int

    def __post_init__(self) -> None:
        if type(self.amount_stroops) is not int or self.amount_stroops <= 0:
            raise InvalidAmountError("a posting moves a positive whole number of stroops")
        if self.debit == self.credit:
            raise ValueError(f"a posting needs two different accounts, got {self.debit}")

    def as_row(self) -> list[str | int]:
        """The JSON-native form stored inside events."""
        return [self.debit, self.credit, self.amount_stroops]

    @classmethod
    def from_row(cls, row: Iterable[str | int]) -> Posting:
        debit, credit, amount = row
        return cls(str(debit), str(credit), int(amount))


def as_rows(postings: Iterable[Posting]) -> list[list[str | int]]:
    return [p.as_row() for p in postings]


def from_rows(rows: Iterable[Iterable[str | int]]) -> list[Posting]:
    return [Posting.from_row(r) for r in rows]


def apply(balances: dict[str, int], postings: Iterable[Posting]) -> None:
    """Folds postings into per-account balances (credits minus debits)."""
    for p in postings:
        balances[p.debit] = balances.get(p.debit, 0) - p.amount_stroops
        balances[p.credit] = balances.get(p.credit, 0) + p.amount_stroops


def broken_invariants(balances: Mapping[str, int]) -> list[str]:
    """Names the ledger invariants that `balances` violates (empty when the books are sound)."""
    problems = []
    total = sum(balances.values())
    if total != 0:
        problems.append(f"postings do not sum to zero (sum {total})")
    problems.extend(
        f"{account} is negative ({amount})"
        for account, amount in sorted(balances.items())
        if is_guarded(account) and amount < 0
    )
    return problems
