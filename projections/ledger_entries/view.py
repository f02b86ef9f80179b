"""Queries over statement lines and ledger account balances (the `AccountBalances` read port)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from application.ports import AccountBalances
from domain.errors import NotFoundError
from projections.pagination import Page, check_limit, decode_cursor, page_of

# Statement lines are paged by (position, line) packed into one integer cursor.
_LINES_PER_POSITION = 1_000


@dataclass(frozen=True, slots=True)
class EntryRow:
    account: str
    position: int
    line: int
    event_id: str
    event_type: str
    amount_stroops: int
    balance_after_stroops: int
    counterparty: str
    occurred_at: datetime

    @property
    def sort_key(self) -> int:
        return self.position * _LINES_PER_POSITION + self.line


_TOTALS = (
    "SELECT b.account, b.balance_stroops, b.position,"
    # SUM over bigint is numeric in PostgreSQL; an account would need 2^63 stroops through it
    # (922 billion USDC) before its totals stopped fitting, and the cast refuses, never wraps.
    " COALESCE(SUM(-e.amount_stroops) FILTER (WHERE e.amount_stroops < 0), 0)::bigint"
    " AS debits_stroops,"
    " COALESCE(SUM(e.amount_stroops) FILTER (WHERE e.amount_stroops > 0), 0)::bigint"
    " AS credits_stroops"
    " FROM rm_ledger_entries.account_balances b JOIN rm_ledger_entries.entries e USING (account)"
)


class LedgerAccountNotFoundError(NotFoundError):
    code = "LEDGER_ACCOUNT_NOT_FOUND"


class TransactionNotFoundError(NotFoundError):
    code = "TRANSACTION_NOT_FOUND"


@dataclass(frozen=True, slots=True)
class AccountTotals:
    """A ledger account's balance (credits minus debits) as of `position`, its last posting."""

    account: str
    balance_stroops: int
    debits_stroops: int
    credits_stroops: int
    position: int


class LedgerEntriesView(AccountBalances):
    def __init__(self, pool: Any) -> None:
        self._pool = pool

    def statement(
        self, accounts: list[str], limit: int | None, cursor: str | None
    ) -> Page[EntryRow]:
        """Lines of `accounts`, newest first."""
        limit = check_limit(limit)
        before = decode_cursor(cursor)
        with self._pool.connection() as conn:
            rows = conn.execute(
                "SELECT account, position, line, event_id, event_type, amount_stroops,"
                " balance_after_stroops, counterparty, occurred_at FROM rm_ledger_entries.entries"
                " WHERE account = ANY(%(accounts)s) AND (%(before)s::bigint IS NULL"
                " OR position * %(k)s + line < %(before)s)"
                " ORDER BY position DESC, line DESC LIMIT %(limit)s",
                {
                    "accounts": accounts,
                    "before": before,
                    "k": _LINES_PER_POSITION,
                    "limit": limit + 1,
                },
            ).fetchall()
        return page_of([EntryRow(**r) for r in rows], limit, lambda r: r.sort_key)

    def accounts(self) -> list[AccountTotals]:
        """Every ledger account any posting has touched, by name."""
        with self._pool.connection() as conn:
            rows = conn.execute(
                _TOTALS + " GROUP BY b.account, b.balance_stroops, b.position ORDER BY b.account"
            ).fetchall()
        return [AccountTotals(**r) for r in rows]

    def account(self, account: str) -> AccountTotals:
        with self._pool.connection() as conn:
            row = conn.execute(
                _TOTALS + " WHERE b.account = %s GROUP BY b.account, b.balance_stroops, b.position",
                (account,),
            ).fetchone()
        if row is None:
            raise LedgerAccountNotFoundError(f"no posting has touched ledger account {account}")
        return AccountTotals(**row)

    def transaction(self, event_id: str) -> list[EntryRow]:
        """The statement lines of one event (both sides of each posting), in posting order."""
        with self._pool.connection() as conn:
            rows = conn.execute(
                "SELECT account, position, line, event_id, event_type, amount_stroops,"
                " balance_after_stroops, counterparty, occurred_at FROM rm_ledger_entries.entries"
                " WHERE event_id = %s ORDER BY line",
                (event_id,),
            ).fetchall()
        if not rows:
            raise TransactionNotFoundError(f"event {event_id} moved no money, or is unknown")
        return [EntryRow(**r) for r in rows]

    def balances(self) -> dict[str, int]:
        with self._pool.connection() as conn:
            rows = conn.execute(
                "SELECT account, balance_stroops FROM rm_ledger_entries.account_balances"
            ).fetchall()
        return {r["account"]: r["balance_stroops"] for r in rows}

    def balance_of(self, account: str) -> int:
        with self._pool.connection() as conn:
            row = conn.execute(
                "SELECT balance_stroops FROM rm_ledger_entries.account_balances WHERE account = %s",
                (account,),
            ).fetchone()
        return int(row["balance_stroops"]) if row else 0
