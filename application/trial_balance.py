"""The trial balance: every ledger account's balance folded from the postings in the log, with the
ledger invariants (ARCHITECTURE §5) checked at every event rather than only at the end.

It reads the event store itself, never a read model, so `ledgerline audit replay` and
`ledgerline audit verify` answer from the source of truth. Checked at each event: postings are
well formed, no `user:*` or `escrow:*` account goes negative, and the balances an Account event
says it leaves equal the fold; at the end, all balances sum to zero.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Final

from application.ledger import Ledger
from domain.errors import InvalidAmountError
from domain.postings import apply, from_rows, is_guarded, user_available, user_reserved

PAGE_SIZE: Final = 1000
# An event commits within seconds of its timestamp (lock waits and conflict retries are bounded
# well below this), so past this margin no later position can carry an earlier time.
TIMESTAMP_SKEW_MAX: Final = timedelta(minutes=5)
# Balances an Account event records beside its postings, and the account each must equal.
_CLAIMS: Final = (
    ("available_after_stroops", user_available),
    ("reserved_after_stroops", user_reserved),
)


@dataclass(frozen=True, slots=True)
class Break:
    position: int
    problem: str


@dataclass
class TrialBalance:
    balances: dict[str, int] = field(default_factory=dict)
    breaks: list[Break] = field(default_factory=list)
    position: int = 0
    events: int = 0

    def apply(self, position: int, event: Any) -> None:
        self.position = position
        self.events += 1
        rows = getattr(event, "postings", None)
        if not rows:
            return
        try:
            postings = from_rows(rows)
        except (InvalidAmountError, ValueError, TypeError) as error:
            self.breaks.append(Break(position, f"malformed posting: {error}"))
            return
        apply(self.balances, postings)
        for account in sorted({a for p in postings for a in (p.debit, p.credit)}):
            if is_guarded(account) and self.balances[account] < 0:
                self.breaks.append(
                    Break(position, f"{account} went negative ({self.balances[account]})")
                )
        self._check_claims(position, event)

    def close(self) -> None:
        total = sum(self.balances.values())
        if total != 0:
            self.breaks.append(Break(self.position, f"postings do not sum to zero ({total})"))

    def _check_claims(self, position: int, event: Any) -> None:
        user_id = getattr(event, "user_id", None)
        if not user_id:
            return
        for attribute, account_of in _CLAIMS:
            claimed = getattr(event, attribute, None)
            folded = self.balances.get(account_of(user_id), 0)
            if claimed is not None and claimed != folded:
                account = account_of(user_id)
                self.breaks.append(
                    Break(position, f"the event says {account} is {claimed}; postings: {folded}")
                )


def history(ledger: Ledger, up_to: int, after: int = 0) -> Iterator[tuple[int, Any]]:
    """Every stored event with a position in (after, up_to], in order, read page by page."""
    while after < up_to:
        page = ledger.read(after=after, limit=PAGE_SIZE, stop=up_to)
        if not page:
            return
        yield from page
        after = page[-1][0]


def fold(ledger: Ledger, up_to: int) -> TrialBalance:
    """The trial balance as of position `up_to` (inclusive)."""
    trial = TrialBalance()
    for position, event in history(ledger, up_to):
        trial.apply(position, event)
    trial.close()
    return trial


def position_at(ledger: Ledger, moment: datetime) -> int:
    """The last position whose event happened at or before `moment` (0 when none did)."""
    found = 0
    for position, event in history(ledger, ledger.head_position()):
        if event.timestamp <= moment:
            found = position
        elif event.timestamp > moment + TIMESTAMP_SKEW_MAX:
            break
    return found
