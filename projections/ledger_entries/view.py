"""Queries over statement lines and ledger account balances (the `AccountBalances` read port)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from application.ports import AccountBalances
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
        return page_of([_entry(r) for r in rows], limit, lambda r: r.sort_key)

    def balances(self) -> dict[str, int]:
        with self._pool.connection() as conn:
            rows = conn.execute(
                "SELECT account, balance_stroops FROM rm_ledger_entries.account_balances"
            ).fetchall()
        return {r["account"]: int(r["balance_stroops"]) for r in rows}

    def balance_of(self, account: str) -> int:
        with self._pool.connection() as conn:
            row = conn.execute(
                "SELECT balance_stroops FROM rm_ledger_entries.account_balances WHERE account = %s",
                (account,),
            ).fetchone()
        return int(row["balance_stroops"]) if row else 0


def _entry(row: dict[str, Any]) -> EntryRow:
    # Running balances are numeric (read as Decimal, always whole): stroops are ints.
    return EntryRow(**{**row, "balance_after_stroops": int(row["balance_after_stroops"])})
