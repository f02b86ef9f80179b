"""Our fee math is the contracts' own: what the books move equals what the chain moves."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.escrow_fees import distribution_payout, release_payout
from sandbox.contracts.escrow_fees import distribution_split, release_split

pytestmark = pytest.mark.unit
STROOPS = st.integers(min_value=1, max_value=10**15)
FEES = st.integers(min_value=0, max_value=9_900)


def test_a_release_of_250_at_5_percent_pays_the_documented_example() -> None:
    payout = release_payout(2_500_000_000, 500, "SELLER")
    assert (payout.protocol_fee, payout.platform_fee, payout.net) == (
        7_500_000,
        125_000_000,
        (("SELLER", 2_367_500_000),),
    )


@given(amount=STROOPS, fee=FEES)
def test_a_release_pays_what_the_contract_pays(amount: int, fee: int) -> None:
    ours, chain = release_payout(amount, fee, "SELLER"), release_split(amount, fee)
    assert (ours.protocol_fee, ours.platform_fee, ours.net[0][1]) == (
        chain.trustless_work_stroops,
        chain.platform_stroops,
        chain.receiver_stroops,
    )
    assert ours.total == amount


@given(shares=st.lists(STROOPS, min_size=1, max_size=3), fee=FEES)
def test_a_distribution_pays_what_the_contract_pays(shares: list[int], fee: int) -> None:
    parties = [(f"P{i}", amount) for i, amount in enumerate(shares)]
    ours, chain = distribution_payout(parties, fee), distribution_split(parties, fee)
    assert ours.net == chain.net_stroops
    assert (ours.protocol_fee, ours.platform_fee) == (
        chain.trustless_work_stroops,
        chain.platform_stroops,
    )
    assert ours.total == sum(shares)


def test_a_platform_fee_above_99_percent_is_refused() -> None:
    with pytest.raises(ValueError, match="platform fee"):
        release_payout(100, 9_901, "SELLER")
