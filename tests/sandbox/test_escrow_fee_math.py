"""Properties of Trustless Work's fee math, against the contract's formulas written out here.

Releases: 0.3 % and the platform fee, each floored to the stroop, and the receiver gets the rest.
Resolutions: the same fees on the distributed total, charged pro rata and floored per recipient.
Either way nothing is created or lost.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sandbox.contracts.escrow_fees import distribution_split, release_split

pytestmark = [pytest.mark.integration, pytest.mark.property]

# Up to a billion USDC, in stroops; fees from 0 to the contract's 99 % cap.
amounts = st.integers(min_value=1, max_value=10**16)
fee_bps = st.integers(min_value=0, max_value=9_900)


@given(amount=amounts, bps=fee_bps)
def test_a_release_splits_the_amount_exactly_with_floored_fees(amount: int, bps: int) -> None:
    split = release_split(amount, bps)
    assert split.trustless_work_stroops == amount * 30 // 10_000
    assert split.platform_stroops == amount * bps // 10_000
    assert split.trustless_work_stroops + split.platform_stroops + split.receiver_stroops == amount
    assert split.receiver_stroops >= 0


@given(shares=st.lists(amounts, min_size=1, max_size=5), bps=fee_bps)
def test_a_resolution_conserves_the_total_and_charges_each_share_pro_rata(
    shares: list[int], bps: int
) -> None:
    distributions = [(f"recipient-{i}", share) for i, share in enumerate(shares)]
    split = distribution_split(distributions, bps)
    total = sum(shares)
    trustless_work_total = total * 30 // 10_000
    platform_total = total * bps // 10_000
    for (_, share), (_, net) in zip(distributions, split.net_stroops, strict=True):
        expected_fee = share * trustless_work_total // total + share * platform_total // total
        assert net == share - expected_fee
    assert split.trustless_work_stroops <= trustless_work_total
    assert split.platform_stroops <= platform_total
    assert (
        split.trustless_work_stroops
        + split.platform_stroops
        + sum(net for _, net in split.net_stroops)
        == total
    )
