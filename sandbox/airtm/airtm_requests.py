"""The bodies of AirTM's create routes, validated as the V2 schemas state them.

V2 declares `additionalProperties: false`, so an unknown field is a 400, as is an amount with
more than two decimals or a payin whose items do not add up to its amount. The payout body also
takes OFFER-HUB's `destinationType` / `destinationRef` (a bank destination), which V2 lacks.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sandbox.airtm.airtm_model import (
    AIRTM_BALANCE,
    BANK,
    CODE_LENGTH_MAX,
    DESCRIPTION_LENGTH_MAX,
    DESTINATION_TYPES,
    AirtmError,
    cents_from_number,
    check_email,
)

PAYIN_FIELDS = frozenset({"code", "amount", "description", "items", "confirmationUri", "cancelUri"})
PAYOUT_FIELDS = frozenset(
    {
        "airtmUserEmail",
        "amount",
        "commit",
        "code",
        "enterpriseFee",
        "notes",
        "internalNote",
        "requireIdVerified",
        "destinationType",
        "destinationRef",
    }
)


@dataclass(frozen=True)
class PayinRequest:
    code: str
    amount_cents: int
    description: str
    items: tuple[tuple[str, int, int], ...]
    confirmation_uri: str
    cancel_uri: str


@dataclass(frozen=True)
class PayoutRequest:
    email: str
    gross_cents: int
    enterprise_fee_cents: int
    notes: str
    code: str | None
    commit: bool
    destination_type: str
    destination_ref: str | None


def parse_payin(body: object) -> PayinRequest:
    document = _object(body, PAYIN_FIELDS)
    amount = cents_from_number(document.get("amount"), "amount")
    confirmation, cancel = document.get("confirmationUri"), document.get("cancelUri")
    if not (_is_url(confirmation) and _is_url(cancel)):
        raise AirtmError(400, "VALIDATION_ERROR", "confirmationUri and cancelUri must be URLs")
    return PayinRequest(
        code=_code(document.get("code")),
        amount_cents=amount,
        description=_text(document.get("description"), "description"),
        items=_items(document.get("items"), amount),
        confirmation_uri=str(confirmation),
        cancel_uri=str(cancel),
    )


def parse_payout(body: object) -> PayoutRequest:
    document = _object(body, PAYOUT_FIELDS)
    gross = cents_from_number(document.get("amount"), "amount")
    fee = document.get("enterpriseFee")
    enterprise_fee = 0 if fee in (None, 0) else cents_from_number(fee, "enterpriseFee")
    if enterprise_fee >= gross:
        raise AirtmError(400, "VALIDATION_ERROR", "enterpriseFee must be below amount")
    destination_type = document.get("destinationType", AIRTM_BALANCE)
    if destination_type not in DESTINATION_TYPES:
        raise AirtmError(400, "VALIDATION_ERROR", "destinationType is airtm_balance or bank")
    destination_ref = document.get("destinationRef")
    if destination_type == BANK and not (isinstance(destination_ref, str) and destination_ref):
        raise AirtmError(400, "VALIDATION_ERROR", "a bank payout needs its destinationRef")
    commit = document.get("commit", False)
    if not isinstance(commit, bool):
        raise AirtmError(400, "VALIDATION_ERROR", "commit must be a boolean")
    code = document.get("code")
    return PayoutRequest(
        email=check_email(document.get("airtmUserEmail"), "airtmUserEmail"),
        gross_cents=gross,
        enterprise_fee_cents=enterprise_fee,
        notes=_text(document.get("notes"), "notes"),
        code=None if code is None else _code(code),
        commit=commit,
        destination_type=str(destination_type),
        destination_ref=str(destination_ref) if destination_type == BANK else None,
    )


def _object(body: object, allowed: frozenset[str]) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise AirtmError(400, "VALIDATION_ERROR", "The body must be a JSON object")
    extra = sorted(set(body) - allowed)
    if extra:
        raise AirtmError(400, "VALIDATION_ERROR", f"Unknown properties: {', '.join(extra)}")
    return body


def _code(value: object) -> str:
    if not isinstance(value, str) or not 1 <= len(value) <= CODE_LENGTH_MAX:
        raise AirtmError(400, "VALIDATION_ERROR", f"code must be 1 to {CODE_LENGTH_MAX} characters")
    return value


def _text(value: object, name: str) -> str:
    if not isinstance(value, str) or not 1 <= len(value) <= DESCRIPTION_LENGTH_MAX:
        raise AirtmError(
            400, "VALIDATION_ERROR", f"{name} must be 1 to {DESCRIPTION_LENGTH_MAX} characters"
        )
    return value


def _items(value: object, amount_cents: int) -> tuple[tuple[str, int, int], ...]:
    if not isinstance(value, list) or not value:
        raise AirtmError(400, "VALIDATION_ERROR", "items must be a non-empty list")
    items = []
    for item in value:
        document = _object(item, frozenset({"description", "amount", "quantity"}))
        quantity = document.get("quantity")
        if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity < 1:
            raise AirtmError(400, "VALIDATION_ERROR", "an item's quantity is a whole number ≥ 1")
        cents = cents_from_number(document.get("amount"), "item amount")
        items.append((_text(document.get("description"), "item description"), cents, quantity))
    if sum(cents * quantity for _, cents, quantity in items) != amount_cents:
        raise AirtmError(400, "VALIDATION_ERROR", "amount must equal the sum of the items")
    return tuple(items)


def _is_url(value: object) -> bool:
    return isinstance(value, str) and value.startswith(("http://", "https://"))
