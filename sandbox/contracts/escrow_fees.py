"""Trustless Work fee math, in integer stroops with floor division, as the V1 contracts compute it.

A release pays 0.3 % to Trustless Work and the platform fee to the platform, both rounded down,
and the receiver gets the rest, so the three parts always sum to the released amount. Dispute
resolution and withdrawals charge the same fees on the distributed total, pro rata per recipient,
and also conserve the total exactly (rounding dust stays with the recipients).

Ledgerline's own copy is `domain/escrow_fees.py`. The two are written apart on purpose, as an
independent oracle: `tests/unit/test_escrow_fees.py` checks each against the other. Keep them
apart (the sandbox may import nothing of Ledgerline; import-linter enforces it).
"""

from __future__ import annotations

from dataclasses import dataclass

TRUSTLESS_WORK_FEE_BPS = 30
BPS_DENOMINATOR = 10_000


@dataclass(frozen=True)
class ReleaseSplit:
    trustless_work_stroops: int
    platform_stroops: int
    receiver_stroops: int


@dataclass(frozen=True)
class DistributionSplit:
    trustless_work_stroops: int
    platform_stroops: int
    # (address, net stroops) in the order the distributions were given.
    net_stroops: tuple[tuple[str, int], ...]


def release_split(amount_stroops: int, platform_fee_bps: int) -> ReleaseSplit:
    assert amount_stroops >= 0
    assert 0 <= platform_fee_bps <= BPS_DENOMINATOR
    trustless_work = amount_stroops * TRUSTLESS_WORK_FEE_BPS // BPS_DENOMINATOR
    platform = amount_stroops * platform_fee_bps // BPS_DENOMINATOR
    split = ReleaseSplit(trustless_work, platform, amount_stroops - trustless_work - platform)
    assert split.receiver_stroops >= 0
    return split


def distribution_split(
    distributions: list[tuple[str, int]], platform_fee_bps: int
) -> DistributionSplit:
    """Fees on the total, charged to each recipient in proportion to its share."""
    total = sum(amount for _, amount in distributions)
    assert total > 0
    assert all(amount > 0 for _, amount in distributions)
    fees = release_split(total, platform_fee_bps)
    trustless_work = platform = 0
    net: list[tuple[str, int]] = []
    for address, amount in distributions:
        recipient_trustless_work = amount * fees.trustless_work_stroops // total
        recipient_platform = amount * fees.platform_stroops // total
        trustless_work += recipient_trustless_work
        platform += recipient_platform
        net.append((address, amount - recipient_trustless_work - recipient_platform))
    split = DistributionSplit(trustless_work, platform, tuple(net))
    assert trustless_work + platform + sum(n for _, n in net) == total, "fees conserve the total"
    return split
