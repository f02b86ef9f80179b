"""Trustless Work's fee math, exactly as its V1 contracts compute it, so our postings move the
same stroops the chain moves.

A release pays the protocol fee (0.3 %) and the platform fee, both rounded down to the stroop,
and the receiver gets the rest. A dispute resolution charges the same fees on the distributed
total, pro rata to each recipient (each share of each fee rounded down), and the recipients keep
the rounding dust. Either way the parts sum to the amount paid out of the escrow.

The sandbox computes the same fees in `sandbox/contracts/escrow_fees.py`, written apart on
purpose: `tests/unit/test_escrow_fees.py` checks each against the other, so a slip in one shows
as a difference. Do not make either import the other (an import-linter contract forbids the
sandbox to import Ledgerline).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

PROTOCOL_FEE_BPS: Final = 30
BPS_DENOMINATOR: Final = 10_000
PLATFORM_FEE_BPS_MAX: Final = 9_900  # the contracts refuse a platform fee above 99 %


@dataclass(frozen=True, slots=True)
class Payout:
    """What leaving the escrow pays: net amounts per recipient key, and the two fees."""

    net: tuple[tuple[str, int], ...]
    protocol_fee: int
    platform_fee: int

    @property
    def total(self) -> int:
        return self.protocol_fee + self.platform_fee + sum(amount for _, amount in self.net)


def release_payout(amount: int, platform_fee_bps: int, receiver: str) -> Payout:
    check_fee(platform_fee_bps)
    protocol = amount * PROTOCOL_FEE_BPS // BPS_DENOMINATOR
    platform = amount * platform_fee_bps // BPS_DENOMINATOR
    return Payout(((receiver, amount - protocol - platform),), protocol, platform)


def distribution_payout(distributions: list[tuple[str, int]], platform_fee_bps: int) -> Payout:
    """Fees on the total, charged to each recipient in proportion to its share."""
    total = sum(amount for _, amount in distributions)
    assert total > 0, "a distribution pays something"
    assert all(amount > 0 for _, amount in distributions), "the contract refuses zero amounts"
    fees = release_payout(total, platform_fee_bps, "")
    protocol = platform = 0
    net = []
    for recipient, amount in distributions:
        own_protocol = amount * fees.protocol_fee // total
        own_platform = amount * fees.platform_fee // total
        protocol += own_protocol
        platform += own_platform
        net.append((recipient, amount - own_protocol - own_platform))
    payout = Payout(tuple(net), protocol, platform)
    assert payout.total == total, "the fees conserve the amount paid out"
    return payout


def check_fee(platform_fee_bps: int) -> None:
    if not 0 <= platform_fee_bps <= PLATFORM_FEE_BPS_MAX:
        raise ValueError(f"platform fee must be 0 to {PLATFORM_FEE_BPS_MAX} basis points")
