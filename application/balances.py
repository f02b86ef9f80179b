"""Use cases that move a user's money directly: an operator's manual credit or debit.

Each adjustment names its reason and is recorded as its own event against
`external:adjustments`, so auditors see every manual change and the reconciler can explain the
drift it creates between ledger and chain.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Final, Literal

from application.context import CommandContext
from application.ledger import Ledger, recorded
from domain import identifiers
from domain.accounts import Account, account_id_for
from domain.errors import ValidationError
from domain.money import Amount
from domain.postings import EXTERNAL_ADJUSTMENTS
from domain.users import UserNotFoundError

REASON_LENGTH_MAX: Final = 500

Direction = Literal["credit", "debit"]


@dataclass(frozen=True, slots=True)
class BalanceChange:
    user_id: str
    operation: Direction
    amount: Amount
    previous_available_stroops: int
    previous_reserved_stroops: int
    available_stroops: int
    reserved_stroops: int
    occurred_at: datetime
    position: int


class Balances:
    def __init__(self, ledger: Ledger) -> None:
        self._ledger = ledger

    def adjust(
        self,
        user_id: str,
        direction: Direction,
        amount: Amount,
        reason: str,
        context: CommandContext,
    ) -> BalanceChange:
        """Credits or debits `amount`; a debit beyond available raises INSUFFICIENT_FUNDS."""
        if not reason.strip() or len(reason) > REASON_LENGTH_MAX:
            raise ValidationError(
                f"reason must be 1 to {REASON_LENGTH_MAX} characters", field="reason"
            )
        identifiers.parse_public_id(identifiers.USER, user_id)
        before: list[tuple[int, int]] = []

        def move(account: Account) -> None:
            before[:] = [(account.available_stroops, account.reserved_stroops)]
            if direction == "credit":
                account.credit(
                    amount, source="adjustment", counterparty=EXTERNAL_ADJUSTMENTS, note=reason
                )
            else:
                account.debit(
                    amount,
                    destination="adjustment",
                    counterparty=EXTERNAL_ADJUSTMENTS,
                    note=reason,
                )

        return self._ledger.change(
            Account,
            account_id_for(user_id),
            move,
            context=context,
            missing=UserNotFoundError("user not found", userId=user_id),
            outcome=lambda account, position: BalanceChange(
                user_id=user_id,
                operation=direction,
                amount=amount,
                previous_available_stroops=before[0][0],
                previous_reserved_stroops=before[0][1],
                available_stroops=account.available_stroops,
                reserved_stroops=account.reserved_stroops,
                occurred_at=account.modified_on,
                position=recorded(position),
            ),
        )

    def account(self, user_id: str) -> Account:
        missing = UserNotFoundError("user not found", userId=user_id)
        return self._ledger.require(Account, account_id_for(user_id), missing)
