"""Queries over statement lines and ledger account balances (the `AccountBalances` read port)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from application.ports import AccountBalances, BooksAsOf
from domain.errors import NotFoundError
from domain.postings import EXTERNAL_AIRTM
from projections.pagination import (
    Page,
    check_limit,
    decode_cursor,
    decode_name_cursor,
    page_by_name,
    page_of,
)

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


# Totals folded from the statement lines up to a position: every line carries its account's
# balance after it, so the balance as of P is the last line at or before P — exact at every
# position, never a replay. Totals stay numeric (SUM over bigint is): accounts without a
# ceiling (external:*, platform:fees) may move more than one bigint through them in all.
_TOTALS = (
    "SELECT account,"
    " (array_agg(balance_after_stroops ORDER BY position DESC, line DESC))[1] AS balance_stroops,"
    " COALESCE(SUM(-amount_stroops) FILTER (WHERE amount_stroops < 0), 0)"
    " AS debits_stroops,"
    " COALESCE(SUM(amount_stroops) FILTER (WHERE amount_stroops > 0), 0)"
    " AS credits_stroops,"
    " max(position) AS position"
    " FROM rm_ledger_entries.entries"
    " WHERE (%(as_of)s::bigint IS NULL OR position <= %(as_of)s)"
)


def _totals(row: dict[str, Any]) -> AccountTotals:
    """The numeric columns as the exact integers they are."""
    return AccountTotals(
        row["account"],
        int(row["balance_stroops"]),
        int(row["debits_stroops"]),
        int(row["credits_stroops"]),
        int(row["position"]),
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


# What the books owe each user as of a position: the last line at or before it of each of their
# two accounts, summed per user, in one set-based pass (DISTINCT ON walks the primary key).
_USER_BALANCES = (
    "SELECT split_part(account, ':', 2) AS user_id, SUM(balance_after_stroops) AS balance_stroops"
    " FROM (SELECT DISTINCT ON (account) account, balance_after_stroops"
    " FROM rm_ledger_entries.entries"
    " WHERE (account LIKE 'user:%%:available' OR account LIKE 'user:%%:reserved')"
    " AND position <= %(as_of)s ORDER BY account, position DESC, line DESC) AS last_lines"
    " GROUP BY 1"
)


# Every account's balance as of a position, the same way, and per user what crossed the fiat ramp
# by then (their lines against external:airtm: top-ups in, fiat withdrawals out).
_BALANCES_AS_OF = (
    "SELECT DISTINCT ON (account) account, balance_after_stroops"
    " FROM rm_ledger_entries.entries WHERE position <= %(as_of)s"
    " ORDER BY account, position DESC, line DESC"
)
_OFF_CHAIN_AS_OF = (
    "SELECT split_part(account, ':', 2) AS user_id, SUM(amount_stroops) AS off_chain_stroops"
    " FROM rm_ledger_entries.entries"
    " WHERE account LIKE 'user:%%' AND counterparty = %(ramp)s AND position <= %(as_of)s"
    " GROUP BY 1 HAVING SUM(amount_stroops) <> 0"
)


class LedgerEntriesView(AccountBalances, BooksAsOf):
    def __init__(self, pool: Any, reached: Callable[[], int] | None = None) -> None:
        """`reached`, when given, is the projection store's position: the tracking row's, or
        past it when the events after it move no money (the runner passes over those without
        committing)."""
        self._pool = pool
        self._reached = reached

    def statement(
        self,
        accounts: list[str],
        limit: int | None,
        cursor: str | None,
        as_of: int | None = None,
    ) -> Page[EntryRow]:
        """Lines of `accounts` at or before position `as_of` (default: all), newest first."""
        limit = check_limit(limit)
        before = decode_cursor(cursor)
        with self._pool.connection() as conn:
            rows = conn.execute(
                "SELECT account, position, line, event_id, event_type, amount_stroops,"
                " balance_after_stroops, counterparty, occurred_at FROM rm_ledger_entries.entries"
                " WHERE account = ANY(%(accounts)s) AND (%(before)s::bigint IS NULL"
                " OR position * %(k)s + line < %(before)s)"
                " AND (%(as_of)s::bigint IS NULL OR position <= %(as_of)s)"
                " ORDER BY position DESC, line DESC LIMIT %(limit)s",
                {
                    "accounts": accounts,
                    "before": before,
                    "k": _LINES_PER_POSITION,
                    "limit": limit + 1,
                    "as_of": as_of,
                },
            ).fetchall()
        return page_of([_entry(r) for r in rows], limit, lambda r: r.sort_key)

    def position(self) -> int:
        """The log position the statement lines have reached."""
        if self._reached is not None:
            return self._reached()
        with self._pool.connection() as conn:
            row = conn.execute("SELECT position FROM rm_ledger_entries.tracking").fetchone()
        return int(row["position"]) if row else 0

    def accounts(self, as_of: int | None = None) -> list[AccountTotals]:
        """Every ledger account a posting at or before `as_of` (default: all) touched, by name."""
        with self._pool.connection() as conn:
            rows = conn.execute(
                _TOTALS + " GROUP BY account ORDER BY account", {"as_of": as_of}
            ).fetchall()
        return [_totals(r) for r in rows]

    def accounts_page(
        self, limit: int | None, cursor: str | None, as_of: int | None = None
    ) -> Page[AccountTotals]:
        """A page of `accounts`, by name, after the account `cursor` names."""
        limit = check_limit(limit)
        after = decode_name_cursor(cursor)
        with self._pool.connection() as conn:
            rows = conn.execute(
                _TOTALS + " AND (%(after)s::text IS NULL OR account > %(after)s)"
                " GROUP BY account ORDER BY account LIMIT %(limit)s",
                {"as_of": as_of, "after": after, "limit": limit + 1},
            ).fetchall()
        return page_by_name([_totals(r) for r in rows], limit, lambda a: a.account)

    def account(self, account: str, as_of: int | None = None) -> AccountTotals:
        """One account's totals as of `as_of`; zero before its first posting, and
        LedgerAccountNotFoundError when no posting has ever touched it."""
        with self._pool.connection() as conn:
            row = conn.execute(
                _TOTALS + " AND account = %(account)s GROUP BY account",
                {"as_of": as_of, "account": account},
            ).fetchone()
            if row is None:
                touched = conn.execute(
                    "SELECT 1 FROM rm_ledger_entries.entries WHERE account = %s LIMIT 1",
                    (account,),
                ).fetchone()
                if touched is None:
                    raise LedgerAccountNotFoundError(
                        f"no posting has touched ledger account {account}"
                    )
                return AccountTotals(account, 0, 0, 0, 0)
        return _totals(row)

    def balance_as_of(self, account: str, position: int) -> tuple[int, datetime | None]:
        """`account`'s balance after its last line at or before `position`, and when that line
        happened; (0, None) before its first."""
        with self._pool.connection() as conn:
            row = conn.execute(
                "SELECT balance_after_stroops, occurred_at FROM rm_ledger_entries.entries"
                " WHERE account = %s AND position <= %s ORDER BY position DESC, line DESC LIMIT 1",
                (account, position),
            ).fetchone()
        return (0, None) if row is None else (int(row["balance_after_stroops"]), row["occurred_at"])

    def user_balances_as_of(self, position: int) -> dict[str, int]:
        """Every user a posting at or before `position` touched: available + reserved stroops
        as of it."""
        with self._pool.connection() as conn:
            rows = conn.execute(_USER_BALANCES, {"as_of": position}).fetchall()
        return {r["user_id"]: int(r["balance_stroops"]) for r in rows}

    def balances_as_of(self, position: int) -> dict[str, int]:
        """Every ledger account a posting at or before `position` touched: its balance then."""
        with self._pool.connection() as conn:
            rows = conn.execute(_BALANCES_AS_OF, {"as_of": position}).fetchall()
        return {r["account"]: int(r["balance_after_stroops"]) for r in rows}

    def off_chain_as_of(self, position: int) -> dict[str, int]:
        """Per user, the net of their lines against the fiat ramp up to `position` (what their
        wallet does not hold of their balance); users it is zero for are left out."""
        with self._pool.connection() as conn:
            rows = conn.execute(
                _OFF_CHAIN_AS_OF, {"as_of": position, "ramp": EXTERNAL_AIRTM}
            ).fetchall()
        return {r["user_id"]: int(r["off_chain_stroops"]) for r in rows}

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
        return [_entry(r) for r in rows]

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
