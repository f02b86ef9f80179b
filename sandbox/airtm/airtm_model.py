"""What the AirTM simulator holds: users, payins and payouts, every amount in integer US cents.

Statuses are the Enterprise API V2 names. A payin is CREATED until its payer confirms it at the
checkout (PROCESSING, money taken from the payer's wallet), then CONFIRMED once AirTM has moved
it to the enterprise (or FAILED); a payer who cancels, or a partner who deletes it, makes it
CANCELED. A payout is CREATED until committed (COMMITTED, the enterprise's balance debited),
then COMPLETED, PENDING (the recipient must act first: sign up or verify), FAILED or CANCELED
(the enterprise refunded). Final statuses never change.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Final

# Payin statuses (V2 `PayinStatus`).
PAYIN_CREATED: Final = "CREATED"
PAYIN_PROCESSING: Final = "PROCESSING"
PAYIN_CONFIRMED: Final = "CONFIRMED"
PAYIN_FAILED: Final = "FAILED"
PAYIN_CANCELED: Final = "CANCELED"
PAYIN_FINAL: Final = frozenset({PAYIN_CONFIRMED, PAYIN_FAILED, PAYIN_CANCELED})

# Payout statuses (V2 `PayoutStatus`, the ones this simulator reaches).
PAYOUT_CREATED: Final = "CREATED"
PAYOUT_COMMITTED: Final = "COMMITTED"
PAYOUT_PENDING: Final = "PENDING"
PAYOUT_COMPLETED: Final = "COMPLETED"
PAYOUT_FAILED: Final = "FAILED"
PAYOUT_CANCELED: Final = "CANCELED"
PAYOUT_FINAL: Final = frozenset({PAYOUT_COMPLETED, PAYOUT_FAILED, PAYOUT_CANCELED})

USER_ACTIVE: Final = "active"
USER_INACTIVE: Final = "inactive"
USER_STATUSES: Final = (USER_ACTIVE, USER_INACTIVE)

# Where a payout goes: the recipient's AirTM wallet (V2), or a bank account (OFFER-HUB's shape).
AIRTM_BALANCE: Final = "airtm_balance"
BANK: Final = "bank"
DESTINATION_TYPES: Final = (AIRTM_BALANCE, BANK)

CENTS_PER_DOLLAR: Final = 100
CODE_LENGTH_MAX: Final = 255
DESCRIPTION_LENGTH_MAX: Final = 250
AMOUNT_CENTS_MAX: Final = 10**12
_EMAIL: Final = re.compile(r"^[^@\s]+@[^@\s]+$")


class AirtmError(Exception):
    """An API refusal: `{code, message, data}` with an HTTP status, as the V2 API answers."""

    def __init__(self, http_status: int, code: str, message: str, **data: object):
        super().__init__(message)
        self.status = http_status
        self.code = code
        self.message = message
        self.data = data


def cents_from_number(value: object, field_name: str) -> int:
    """A positive USD amount (a JSON number, read as Decimal) with at most two decimals."""
    if isinstance(value, bool) or not isinstance(value, int | Decimal):
        raise AirtmError(
            400, "VALIDATION_ERROR", f"{field_name} must be a number", field=field_name
        )
    number = Decimal(value)
    cents = number * CENTS_PER_DOLLAR
    if not number.is_finite() or cents != cents.to_integral_value():
        raise AirtmError(
            400, "VALIDATION_ERROR", f"{field_name} must have at most 2 decimals", field=field_name
        )
    if not 1 <= cents <= AMOUNT_CENTS_MAX:
        raise AirtmError(400, "VALIDATION_ERROR", f"{field_name} must be at least 0.01")
    return int(cents)


def number_from_cents(cents: int) -> Decimal:
    """The JSON number for an amount of cents: 1050 -> 10.5."""
    return Decimal(cents).scaleb(-2)


def check_email(value: object, field_name: str = "email") -> str:
    if not isinstance(value, str) or len(value) > 320 or not _EMAIL.match(value):
        raise AirtmError(400, "VALIDATION_ERROR", "Invalid email address", email=str(value)[:80])
    return value.lower()


def fee_cents(amount_cents: int, fee_bps: int) -> int:
    """AirTM's fee, rounded down to the cent."""
    return amount_cents * fee_bps // 10_000


@dataclass
class AirtmUser:
    user_id: str
    email: str
    status: str = USER_ACTIVE
    verified: bool = True
    first_name: str = "Sandbox"
    last_name: str = "User"
    country: str = "USA"
    balance_cents: int = 0

    @property
    def eligible(self) -> bool:
        return self.status == USER_ACTIVE and self.verified


@dataclass
class Payin:
    payin_id: str
    code: str
    amount_cents: int
    fee_cents: int
    description: str
    confirmation_uri: str
    cancel_uri: str
    created_at_s: float
    # (description, amount in cents, quantity) per purchase item.
    items: list[tuple[str, int, int]] = field(default_factory=list)
    status: str = PAYIN_CREATED
    payer_id: str | None = None
    payer_email: str | None = None
    failure_reason: str | None = None
    updated_at_s: float = 0.0
    # When a PROCESSING payin settles, and how (a control call may set it to fail).
    settles_at_s: float | None = None
    forced_failure: str | None = None
    hash: str = ""

    @property
    def net_cents(self) -> int:
        return self.amount_cents - self.fee_cents


@dataclass
class Payout:
    payout_id: str
    code: str
    recipient_email: str
    gross_cents: int
    enterprise_fee_cents: int
    airtm_fee_cents: int
    notes: str
    destination_type: str
    destination_ref: str | None
    created_at_s: float
    status: str = PAYOUT_CREATED
    recipient_id: str | None = None
    reason_code: str | None = None
    reason_description: str | None = None
    updated_at_s: float = 0.0
    settles_at_s: float | None = None
    forced_failure: str | None = None
    hash: str = ""

    @property
    def amount_cents(self) -> int:
        """What leaves the enterprise's balance (V2: grossAmount - enterpriseFee)."""
        return self.gross_cents - self.enterprise_fee_cents

    @property
    def net_cents(self) -> int:
        """What the recipient receives (V2: grossAmount - enterpriseFee - airtmFee)."""
        return self.amount_cents - self.airtm_fee_cents
