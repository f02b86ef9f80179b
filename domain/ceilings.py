"""The most money one command may carry and one guarded ledger account may hold, checked before
anything is recorded, so no event ever states an amount or a balance the chain could not hold.

- AMOUNT_STROOPS_MAX: one amount in one command. A Stellar payment carries a signed 64-bit
  stroop count, so nothing larger can come in or go out (`Amount.parse` enforces it).
- USER_BALANCE_STROOPS_MAX: a user's available + reserved. All of it sits in one wallet's USDC
  trustline, whose balance is a signed 64-bit stroop count too.
- ESCROW_BALANCE_STROOPS_MAX: an escrow's balance. It is the order's amount, funded by one
  payment from the buyer's wallet, so it is bounded like any amount (the contract's own i128
  is wider; the funding payment is not).

Accounts that hold nobody's money (`platform:fees`, `external:*`) have no ceiling: they are
running totals of postings, never aggregates, and read models store them as they grow.
Refusals are LIMIT_EXCEEDED (422) naming the limit and its value.
"""

from __future__ import annotations

from typing import Any, Final

from domain.errors import LimitExceededError
from domain.money import STROOPS_MAX, format_stroops

AMOUNT_STROOPS_MAX: Final = STROOPS_MAX
USER_BALANCE_STROOPS_MAX: Final = STROOPS_MAX
ESCROW_BALANCE_STROOPS_MAX: Final = STROOPS_MAX

# The names refusals and GET /config give each ceiling.
AMOUNT: Final = "amount"
USER_BALANCE: Final = "userBalance"
ESCROW_BALANCE: Final = "escrowBalance"

CEILINGS_STROOPS: Final = {
    AMOUNT: AMOUNT_STROOPS_MAX,
    USER_BALANCE: USER_BALANCE_STROOPS_MAX,
    ESCROW_BALANCE: ESCROW_BALANCE_STROOPS_MAX,
}


def exceeded(limit: str, what: str, **details: Any) -> LimitExceededError:
    """The refusal of `what`, which would pass the ceiling called `limit`."""
    ceiling = format_stroops(CEILINGS_STROOPS[limit])
    return LimitExceededError(
        f"{what} would pass {ceiling}, the most {_MEANING[limit]}",
        limit=limit,
        max=ceiling,
        **details,
    )


def check_user_balance(total_after_stroops: int, user_id: str) -> None:
    """Refuses a change that would leave a user's available + reserved past its ceiling."""
    if total_after_stroops > USER_BALANCE_STROOPS_MAX:
        raise exceeded(USER_BALANCE, "this credit", userId=user_id)


def check_escrow_balance(amount_stroops: int) -> None:
    """Refuses an order whose escrow would hold more than an escrow can be funded with."""
    if amount_stroops > ESCROW_BALANCE_STROOPS_MAX:
        raise exceeded(ESCROW_BALANCE, "this order's escrow")


_MEANING: Final = {
    AMOUNT: "one Stellar payment can carry",
    USER_BALANCE: "one wallet can hold on chain",
    ESCROW_BALANCE: "one funding payment can put in an escrow",
}
