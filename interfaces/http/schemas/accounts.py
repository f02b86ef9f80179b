"""Wire types for ledger accounts and transactions: the double entry as an auditor reads it."""

from __future__ import annotations

from typing import Any

import msgspec

from domain.money import format_stroops
from interfaces.http.schemas.users import LedgerLineBody, ledger_line_body
from interfaces.http.schemas.wire import AmountText, Body, EventId, SignedAmountText
from projections.ledger_entries.view import AccountTotals, EntryRow


class LedgerAccountBody(Body):
    account: str
    balance: SignedAmountText
    debits: AmountText
    credits: AmountText
    position: int


def ledger_account_body(totals: AccountTotals) -> LedgerAccountBody:
    return LedgerAccountBody(
        account=totals.account,
        balance=format_stroops(totals.balance_stroops),
        debits=format_stroops(totals.debits_stroops),
        credits=format_stroops(totals.credits_stroops),
        position=totals.position,
    )


def account_line_body(row: EntryRow) -> LedgerLineBody:
    """A statement line naming its ledger account in full (a user statement says only which
    of the user's two accounts)."""
    return msgspec.structs.replace(ledger_line_body(row), account=row.account)


class PostingBody(Body):
    debit: str
    credit: str
    amount: AmountText


class BalanceAfterBody(Body):
    account: str
    balance: SignedAmountText


class TransactionBody(Body):
    event_id: EventId
    position: int
    type: str
    postings: list[PostingBody]
    balances_after: list[BalanceAfterBody]
    event: dict[str, Any]


def transaction_body(envelope: dict[str, Any], lines: list[EntryRow]) -> TransactionBody:
    after: dict[str, int] = {}
    for line in lines:  # in posting order: the last line of an account is its balance after
        after[line.account] = line.balance_after_stroops
    return TransactionBody(
        event_id=lines[0].event_id,
        position=lines[0].position,
        type=lines[0].event_type,
        postings=[PostingBody(**p) for p in envelope.get("postings", ())],
        balances_after=[
            BalanceAfterBody(account, format_stroops(stroops)) for account, stroops in after.items()
        ],
        event=envelope,
    )
