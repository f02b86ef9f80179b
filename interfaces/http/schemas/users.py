"""Wire types for users, balances and statement lines."""

from __future__ import annotations

from datetime import datetime

from application.balances import BalanceChange
from application.users import UserSnapshot
from domain.errors import ValidationError
from domain.money import Amount, format_stroops
from interfaces.http.edge.responses import iso
from interfaces.http.schemas.vocabulary import (
    BalanceOperation,
    Direction,
    UserStatus,
    UserType,
    WalletStatus,
)
from interfaces.http.schemas.wire import (
    ADJUSTMENT_REFERENCE_LENGTH_MAX,
    AdjustmentReason,
    AdjustmentReference,
    AmountIn,
    AmountText,
    BalanceBody,
    Body,
    Code,
    Email,
    EventId,
    ExternalUserId,
    Request,
    SignedAmountText,
    StellarAddress,
    Timestamp,
    UserId,
    either,
)
from projections.balances.view import BalanceRow
from projections.ledger_entries.view import EntryRow
from projections.users.view import UserRow


class CreateUserRequest(Request):
    external_user_id: ExternalUserId
    email: Email | None = None
    type: UserType = "BOTH"


class AdjustBalanceRequest(Request):
    """A manual credit or debit. OFFER-HUB's names are accepted where they mean the same:
    `description` is our `reason`, and `reference` is stored in the event's metadata."""

    amount: AmountIn
    reason: AdjustmentReason | None = None
    currency: Code | None = None
    description: AdjustmentReason | None = None
    reference: AdjustmentReference | None = None

    @property
    def note(self) -> str:
        return str(either(self.reason, self.description, "reason"))

    @property
    def checked_reference(self) -> str | None:
        if (
            self.reference is not None
            and not 1 <= len(self.reference) <= ADJUSTMENT_REFERENCE_LENGTH_MAX
        ):
            raise ValidationError(
                f"reference must be 1 to {ADJUSTMENT_REFERENCE_LENGTH_MAX} characters",
                field="reference",
            )
        return self.reference


class UserWalletBody(Body):
    address: StellarAddress
    status: WalletStatus


class UserBody(Body):
    id: UserId
    external_user_id: str
    email: str | None
    type: UserType
    status: UserStatus
    balance: BalanceBody
    wallet: UserWalletBody | None
    created_at: Timestamp | None
    updated_at: Timestamp | None


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
    user_id: UserId
    available: AmountText
    reserved: AmountText
    total: AmountText
    currency: str
    updated_at: Timestamp | None


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


def balance_as_of_body(
    row: BalanceRow, available_stroops: int, reserved_stroops: int, updated_at: datetime | None
) -> UserBalanceBody:
    """The user's balance at a past position: `updated_at` is when it last moved by then (None
    before its first posting)."""
    balance = _balance(available_stroops, reserved_stroops, row.currency)
    return UserBalanceBody(
        user_id=row.user_id,
        available=balance.available,
        reserved=balance.reserved,
        total=balance.total,
        currency=row.currency,
        updated_at=iso(updated_at),
    )


class HeldBalanceBody(Body):
    available: AmountText
    reserved: AmountText


class BalanceOperationBody(Body):
    user_id: UserId
    operation: BalanceOperation
    amount: AmountText
    currency: str
    previous_balance: HeldBalanceBody
    new_balance: HeldBalanceBody
    balance: BalanceBody
    occurred_at: Timestamp | None


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
    event_id: EventId
    type: str
    account: str
    direction: Direction
    amount: AmountText
    balance_after: SignedAmountText
    counterparty: str
    occurred_at: Timestamp | None


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
