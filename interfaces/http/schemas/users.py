"""Wire types for users, balances and statement lines."""

from __future__ import annotations

from typing import Literal

from application.balances import BalanceChange
from application.users import UserSnapshot
from domain.money import Amount, format_stroops
from interfaces.http.edge.responses import iso
from interfaces.http.schemas.wire import BalanceBody, Body, Request
from projections.balances.view import BalanceRow
from projections.ledger_entries.view import EntryRow
from projections.users.view import UserRow


class CreateUserRequest(Request):
    external_user_id: str
    email: str | None = None
    type: str = "BOTH"


class AdjustBalanceRequest(Request):
    amount: str
    reason: str
    currency: str | None = None


class UserWalletBody(Body):
    address: str
    status: str


class UserBody(Body):
    id: str
    external_user_id: str
    email: str | None
    type: str
    status: str
    balance: BalanceBody
    wallet: UserWalletBody | None
    created_at: str | None
    updated_at: str | None


def _balance(available: int, reserved: int, currency: str) -> BalanceBody:
    return BalanceBody(
        available=Amount(available, currency).to_wire(),
        reserved=Amount(reserved, currency).to_wire(),
        total=Amount(available + reserved, currency).to_wire(),
        currency=currency,
    )


def user_body(user: UserRow | UserSnapshot) -> UserBody:
    return UserBody(
        id=user.user_id,
        external_user_id=user.external_user_id,
        email=user.email,
        type=user.user_type,
        status=user.status,
        balance=_balance(user.available_stroops, user.reserved_stroops, user.currency),
        wallet=UserWalletBody(user.wallet_address, user.wallet_status or "PENDING")
        if user.wallet_address
        else None,
        created_at=iso(user.created_at),
        updated_at=iso(user.updated_at),
    )


class UserBalanceBody(Body):
    user_id: str
    available: str
    reserved: str
    total: str
    currency: str
    updated_at: str | None


def balance_body(row: BalanceRow) -> UserBalanceBody:
    balance = _balance(row.available_stroops, row.reserved_stroops, row.currency)
    return UserBalanceBody(
        user_id=row.user_id,
        available=balance.available,
        reserved=balance.reserved,
        total=balance.total,
        currency=row.currency,
        updated_at=iso(row.updated_at),
    )


class HeldBalanceBody(Body):
    available: str
    reserved: str


class BalanceOperationBody(Body):
    user_id: str
    operation: Literal["credit", "debit"]
    amount: str
    currency: str
    previous_balance: HeldBalanceBody
    new_balance: HeldBalanceBody
    balance: BalanceBody
    occurred_at: str | None


def balance_operation_body(change: BalanceChange) -> BalanceOperationBody:
    currency = change.amount.currency
    return BalanceOperationBody(
        user_id=change.user_id,
        operation=change.operation,
        amount=change.amount.to_wire(),
        currency=currency,
        previous_balance=HeldBalanceBody(
            Amount(change.previous_available_stroops, currency).to_wire(),
            Amount(change.previous_reserved_stroops, currency).to_wire(),
        ),
        new_balance=HeldBalanceBody(
            Amount(change.available_stroops, currency).to_wire(),
            Amount(change.reserved_stroops, currency).to_wire(),
        ),
        balance=_balance(change.available_stroops, change.reserved_stroops, currency),
        occurred_at=iso(change.occurred_at),
    )


class LedgerLineBody(Body):
    position: int
    event_id: str
    type: str
    account: str
    direction: Literal["credit", "debit"]
    amount: str
    balance_after: str
    counterparty: str
    occurred_at: str | None


def ledger_line_body(row: EntryRow) -> LedgerLineBody:
    return LedgerLineBody(
        position=row.position,
        event_id=row.event_id,
        type=row.event_type,
        account=row.account.rsplit(":", 1)[-1],
        direction="credit" if row.amount_stroops > 0 else "debit",
        amount=Amount(abs(row.amount_stroops)).to_wire(),
        balance_after=format_stroops(row.balance_after_stroops),
        counterparty=row.counterparty,
        occurred_at=iso(row.occurred_at),
    )
