"""Stellar amounts: integer stroops inside the sandbox, 7-decimal strings on the Horizon wire.

Every balance the sandbox holds is an int of stroops (10^-7 of a unit), for XLM and every issued
asset alike. Floats never touch a balance: wire text is parsed digit by digit and Trustless Work's
JSON numbers are read as `Decimal` before they are scaled.
"""

from __future__ import annotations

import re
from decimal import Decimal

STROOPS_PER_UNIT = 10_000_000
DECIMALS_MAX = 7
# Stellar amounts and balances are signed 64-bit integers of stroops.
INT64_MAX = 2**63 - 1

_AMOUNT_TEXT = re.compile(r"([0-9]{1,12})(?:\.([0-9]{1,7}))?")


class AmountError(ValueError):
    """The text or number is not a valid Stellar amount (sign, precision or range)."""


def format_stroops(stroops: int) -> str:
    """Renders Horizon's fixed 7-decimal form, e.g. 125000000 -> "12.5000000"."""
    sign = "-" if stroops < 0 else ""
    whole, fraction = divmod(abs(stroops), STROOPS_PER_UNIT)
    return f"{sign}{whole}.{fraction:07d}"


def parse_stroops(text: str) -> int:
    """Reads a non-negative decimal string with at most 7 decimals into stroops."""
    match = _AMOUNT_TEXT.fullmatch(text.strip())
    if match is None:
        raise AmountError(f"not a non-negative amount with at most 7 decimals: {text[:40]!r}")
    whole, fraction = match.group(1), match.group(2) or ""
    stroops = int(whole) * STROOPS_PER_UNIT + int(fraction.ljust(DECIMALS_MAX, "0"))
    if stroops > INT64_MAX:
        raise AmountError(f"amount exceeds the int64 stroop range: {text[:40]!r}")
    return stroops


def stroops_from_decimal(value: Decimal) -> int:
    """Scales a human number (TW's `amount: 250.5`) to stroops, refusing an 8th decimal."""
    if not value.is_finite():
        raise AmountError("amount must be a finite number")
    scaled = value * STROOPS_PER_UNIT
    if scaled != scaled.to_integral_value():
        raise AmountError(f"amount has more than {DECIMALS_MAX} decimals: {value}")
    stroops = int(scaled)
    if abs(stroops) > INT64_MAX:
        raise AmountError(f"amount exceeds the int64 stroop range: {value}")
    return stroops


def decimal_from_stroops(stroops: int) -> Decimal:
    """The exact human number for stroops, without trailing zeros (236.75, not 236.7500000)."""
    value = Decimal(stroops).scaleb(-DECIMALS_MAX)
    normalized = value.normalize()
    # normalize() turns 100 into 1E+2; quantize back to an integer exponent for plain output.
    if normalized == normalized.to_integral_value():
        return normalized.quantize(Decimal(1))
    return normalized
