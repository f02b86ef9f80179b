"""AirTM's JSON documents read into the fiat port's values, and our amounts written for AirTM.

AirTM moves US dollars in cents; we book USDC in stroops (one USD taken as one USDC), so an
amount crosses only when it is a whole number of cents (10^5 stroops). Statuses are normalised
to the port's constants: V2's names, OFFER-HUB's names for the same states (its client used
them), and AirTM's intermediate payout statuses (`PROCESSING`, `SIGNED`, `ERROR`, the
`BRIDGE_*` family) all map to one of them; anything else is UNKNOWN and nothing is decided on it.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any, Final

from application.payment_providers import (
    PAYIN_AWAITING_CONFIRMATION,
    PAYIN_CANCELED,
    PAYIN_FAILED,
    PAYIN_PROCESSING,
    PAYIN_SUCCEEDED,
    PAYOUT_AWAITING_RECIPIENT,
    PAYOUT_CANCELED,
    PAYOUT_COMPLETED,
    PAYOUT_CREATED,
    PAYOUT_FAILED,
    PAYOUT_IN_FLIGHT,
    UNKNOWN,
    Payin,
    Payout,
    ProviderUser,
)
from domain.errors import InvalidAmountError, ProviderError
from domain.money import STROOPS_PER_UNIT

STROOPS_PER_CENT: Final = STROOPS_PER_UNIT // 100

PAYIN_STATUSES: Final = {
    "CREATED": PAYIN_AWAITING_CONFIRMATION,
    "AWAITING_USER_CONFIRMATION": PAYIN_AWAITING_CONFIRMATION,
    "PROCESSING": PAYIN_PROCESSING,
    "CONFIRMED": PAYIN_SUCCEEDED,
    "SUCCEEDED": PAYIN_SUCCEEDED,
    "FAILED": PAYIN_FAILED,
    "BRIDGE_FAILED": PAYIN_FAILED,
    "CANCELED": PAYIN_CANCELED,
    "BRIDGE_CANCELED": PAYIN_CANCELED,
}
PAYOUT_STATUSES: Final = {
    "CREATED": PAYOUT_CREATED,
    "COMMITTED": PAYOUT_IN_FLIGHT,
    "PROCESSING": PAYOUT_IN_FLIGHT,
    "PENDING_SIGNATURE": PAYOUT_IN_FLIGHT,
    "SIGNED": PAYOUT_IN_FLIGHT,
    "CANCEL_REQUESTED": PAYOUT_IN_FLIGHT,
    "ERROR": PAYOUT_IN_FLIGHT,  # V2: "a temporary error state … retried until final"
    "BRIDGE_CREATED": PAYOUT_IN_FLIGHT,
    "PENDING": PAYOUT_AWAITING_RECIPIENT,
    "PENDING_USER_ACTION": PAYOUT_AWAITING_RECIPIENT,
    "BRIDGE_USER_SIGNUP_PENDING": PAYOUT_AWAITING_RECIPIENT,
    "COMPLETED": PAYOUT_COMPLETED,
    "BRIDGE_COMPLETED": PAYOUT_COMPLETED,
    "COSMOEM_COMPLETED": PAYOUT_COMPLETED,
    "FAILED": PAYOUT_FAILED,
    "BRIDGE_FAILED": PAYOUT_FAILED,
    "BRIDGE_MAX_RETRIES_REACHED": PAYOUT_FAILED,
    "CANCELED": PAYOUT_CANCELED,
}


def check_cents(stroops: int) -> None:
    if stroops % STROOPS_PER_CENT:
        raise InvalidAmountError("AirTM moves whole cents: the amount may have at most 2 decimals")


def number_from_stroops(stroops: int) -> Decimal:
    """The dollar amount AirTM reads: 105000000 stroops -> 10.5."""
    return (Decimal(stroops) / STROOPS_PER_UNIT).quantize(Decimal("0.01"))


def stroops_from_number(value: object, field: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal | str):
        raise ProviderError(f"AirTM sent a {field} that is not a number")
    try:
        amount = Decimal(str(value)) * STROOPS_PER_UNIT
    except InvalidOperation:
        raise ProviderError(f"AirTM sent a {field} that is not a number") from None
    if not amount.is_finite() or amount != amount.to_integral_value() or amount < 0:
        raise ProviderError(f"AirTM sent a {field} finer than a stroop: {value}")
    return int(amount)


def payin_from(document: dict[str, Any], checkout_base_url: str) -> Payin:
    payin_id = _text(document, "id")
    amount = stroops_from_number(document.get("amount"), "amount")
    fee = stroops_from_number(document.get("airtmFee", 0), "airtmFee")
    net = document.get("netAmount")
    return Payin(
        payin_id=payin_id,
        code=_text(document, "code"),
        status=PAYIN_STATUSES.get(str(document.get("status")), UNKNOWN),
        amount_stroops=amount,
        fee_stroops=fee,
        net_stroops=amount - fee if net is None else stroops_from_number(net, "netAmount"),
        checkout_uri=f"{checkout_base_url}/payin/{payin_id}",
        payer_id=_optional(document, "airtmUserId"),
        failure_reason=_optional(document, "failureReason")
        or _optional(document, "reasonDescription"),
    )


def payout_from(document: dict[str, Any]) -> Payout:
    amount = stroops_from_number(document.get("amount"), "amount")
    enterprise_fee = stroops_from_number(document.get("enterpriseFee") or 0, "enterpriseFee")
    gross = document.get("grossAmount")
    net = document.get("netAmount")
    return Payout(
        payout_id=_text(document, "id"),
        code=str(document.get("code") or ""),
        status=PAYOUT_STATUSES.get(str(document.get("status")), UNKNOWN),
        gross_stroops=amount + enterprise_fee
        if gross is None
        else stroops_from_number(gross, "grossAmount"),
        amount_stroops=amount,
        net_stroops=amount if net is None else stroops_from_number(net, "netAmount"),
        provider_fee_stroops=stroops_from_number(document.get("airtmFee") or 0, "airtmFee"),
        enterprise_fee_stroops=enterprise_fee,
        reason_code=_optional(document, "reasonCode"),
        reason=_optional(document, "reasonDescription"),
    )


def user_from(document: dict[str, Any], email: str) -> ProviderUser:
    return ProviderUser(
        user_id=_text(document, "id"),
        email=email,
        active=document.get("status") == "active",
        verified=document.get("isVerified") is True,
    )


def _text(document: dict[str, Any], field: str) -> str:
    value = document.get(field)
    if not isinstance(value, str) or not value:
        raise ProviderError(f"AirTM sent a document without its {field}")
    return value


def _optional(document: dict[str, Any], field: str) -> str | None:
    value = document.get(field)
    return None if value is None else str(value)[:500]
