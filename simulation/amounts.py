"""Money as the wire writes it (decimal strings of USDC, up to 7 decimals) and as the auditor
counts it (integer stroops). The simulation keeps its own conversion: it checks the service,
so it must not borrow the service's arithmetic."""

from __future__ import annotations

from decimal import Decimal
from typing import Final

STROOPS_PER_UNIT: Final = 10_000_000


def to_stroops(wire: str | int | float) -> int:
    value = Decimal(str(wire)) * STROOPS_PER_UNIT
    if value != value.to_integral_value():
        raise ValueError(f"{wire!r} has more than 7 decimals")
    return int(value)


def to_wire(stroops: int) -> str:
    """A decimal string with up to 7 decimals (what the API and the sandbox accept)."""
    sign = "-" if stroops < 0 else ""
    whole, part = divmod(abs(stroops), STROOPS_PER_UNIT)
    return f"{sign}{whole}.{part:07d}".rstrip("0").rstrip(".") if part else f"{sign}{whole}"


def cents(units: float) -> int:
    """`units` of USDC rounded down to the cent, in stroops (amounts the load chooses)."""
    return int(units * 100) * (STROOPS_PER_UNIT // 100)
