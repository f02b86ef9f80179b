"""Money as an exact integer number of stroops (10^-7 of one unit) of one currency.

Never a float. Arithmetic across currencies is refused. On the wire an amount is a decimal string:
input accepts up to 7 decimals ("10", "10.5", "0.0000001"); output has at least 2 decimals and no
trailing zeros beyond them ("10.00", "0.1234567"). Signs, exponents, NaN and an 8th decimal are
refused with INVALID_AMOUNT; a well-formed amount above Stellar's int64 stroop count is
LIMIT_EXCEEDED (domain/ceilings.py names the limit).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from domain.errors import InvalidAmountError

STROOPS_PER_UNIT = 10_000_000
DECIMALS_MAX = 7
DECIMALS_MIN_ON_WIRE = 2
# Stellar amounts are signed 64-bit stroop counts; nothing we record may exceed what the chain can.
STROOPS_MAX = 2**63 - 1
DEFAULT_CURRENCY = "USDC"
# Longer than any amount the chain can carry (19 digits, a point, 7 decimals) with room to spare:
# a longer text is malformed, not merely too large.
WIRE_LENGTH_MAX = 40

_WIRE_AMOUNT = re.compile(r"(0|[1-9][0-9]*)(?:\.([0-9]{1,7}))?")


@dataclass(frozen=True, slots=True, order=True)
class Amount:
    """A non-negative quantity of one currency, in stroops."""

    stroops: int
    currency: str = DEFAULT_CURRENCY

    def __post_init__(self) -> None:
        if type(self.stroops) is not int:
            raise InvalidAmountError("amounts are integers of stroops", value=repr(self.stroops))
        if not 0 <= self.stroops <= STROOPS_MAX:
            raise InvalidAmountError("amount out of range", stroops=self.stroops)
        if not self.currency:
            raise InvalidAmountError("an amount needs a currency")

    @classmethod
    def parse(cls, text: object, currency: str = DEFAULT_CURRENCY) -> Amount:
        """Reads a wire decimal string; zero is allowed here (use `parse_positive` to refuse it)."""
        if not isinstance(text, str):
            raise InvalidAmountError('amount must be a decimal string, e.g. "10.50"')
        match = _WIRE_AMOUNT.fullmatch(text) if len(text) <= WIRE_LENGTH_MAX else None
        if match is None:
            raise InvalidAmountError(
                "amount must be a non-negative decimal string with at most 7 decimals",
                value=text[:64],
            )
        whole, fraction = match.group(1), match.group(2) or ""
        stroops = int(whole) * STROOPS_PER_UNIT + int(fraction.ljust(DECIMALS_MAX, "0"))
        if stroops > STROOPS_MAX:
            # Imported here: the ceilings are stated in amounts, so that module imports this one.
            from domain.ceilings import AMOUNT, exceeded

            raise exceeded(AMOUNT, "this amount", value=text)
        return cls(stroops, currency)

    @classmethod
    def parse_positive(cls, text: object, currency: str = DEFAULT_CURRENCY) -> Amount:
        amount = cls.parse(text, currency)
        if amount.stroops == 0:
            raise InvalidAmountError("amount must be greater than zero", value=text)
        return amount

    @classmethod
    def zero(cls, currency: str = DEFAULT_CURRENCY) -> Amount:
        return cls(0, currency)

    def to_wire(self) -> str:
        return wire_text(self.stroops)

    def __str__(self) -> str:
        return self.to_wire()

    def __add__(self, other: Amount) -> Amount:
        return Amount(self.stroops + self._same(other).stroops, self.currency)

    def __sub__(self, other: Amount) -> Amount:
        difference = self.stroops - self._same(other).stroops
        if difference < 0:
            raise InvalidAmountError("amounts cannot go negative", currency=self.currency)
        return Amount(difference, self.currency)

    def is_zero(self) -> bool:
        return self.stroops == 0

    def _same(self, other: Amount) -> Amount:
        if self.currency != other.currency:
            raise InvalidAmountError(
                "cannot combine amounts of different currencies",
                left=self.currency,
                right=other.currency,
            )
        return other


def format_stroops(stroops: int) -> str:
    """Wire form of a stroop count that may be negative (ledger accounts like external:*)."""
    sign = "-" if stroops < 0 else ""
    return sign + Amount(abs(stroops)).to_wire()


def wire_text(stroops: int) -> str:
    """The wire decimal of a valid stroop count (`Amount(stroops).to_wire()` without building
    the Amount: the event feed writes several per event, a rebuild millions)."""
    whole, fraction = divmod(stroops, STROOPS_PER_UNIT)
    if not fraction:
        return f"{whole}.00"
    digits = f"{fraction:07d}".rstrip("0")
    return f"{whole}.{digits:0<{DECIMALS_MIN_ON_WIRE}}"
