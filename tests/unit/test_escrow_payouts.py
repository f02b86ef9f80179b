"""Payouts out of an escrow: the stored record reads back unchanged, the totals add up per party
(the resolution's part apart), and no payout exceeds what the escrow holds."""

from __future__ import annotations

import pytest

from domain.errors import InvalidStateError
from domain.escrow_fees import release_payout
from domain.escrow_payouts import PayoutRecord, PayoutTotals, Resolution, fee_postings
from domain.order_states import BUYER, SELLER

pytestmark = pytest.mark.unit

STORED = {
    "net": [["SELLER", 9_470], ["BUYER", 0]],
    "protocolFeeStroops": 30,
    "platformFeeStroops": 500,
    "totalStroops": 10_000,
    "balancesAfter": {"SELLER": 19_470, "BUYER": 5},
}


def test_a_stored_payout_reads_back_as_the_same_record() -> None:
    record = PayoutRecord.from_record(STORED)
    assert (record.total_stroops, record.net_to(SELLER), record.net_to("NOBODY")) == (
        10_000,
        9_470,
        0,
    )
    assert record.as_record() == STORED


def test_a_payout_record_is_the_fee_math_and_the_balances_after() -> None:
    payout = release_payout(10_000, 500, SELLER)
    record = PayoutRecord.of(payout, {SELLER: 19_470})
    assert record.as_record() == {
        "net": [[SELLER, 9_470]],
        "protocolFeeStroops": 30,
        "platformFeeStroops": 500,
        "totalStroops": 10_000,
        "balancesAfter": {SELLER: 19_470},
    }


def test_totals_add_each_payout_and_keep_the_resolutions_part_apart() -> None:
    released = PayoutRecord(((SELLER, 90),), 1, 9, 100, {SELLER: 90})
    resolved = PayoutRecord(((SELLER, 45), (BUYER, 45)), 1, 9, 100, {SELLER: 135, BUYER: 45})
    totals = PayoutTotals().adding(released, resolution=False).adding(resolved, resolution=True)
    assert totals.paid == {SELLER: 135, BUYER: 45}
    assert totals.resolved == {SELLER: 45, BUYER: 45}
    assert totals.outcome_record() == {
        "paid": {SELLER: 135, BUYER: 45},
        "balancesAfter": {SELLER: 135, BUYER: 45},
    }
    assert PayoutTotals.from_outcome_record(totals.outcome_record()).paid == totals.paid
    assert PayoutTotals().paid == {}  # adding never changed the empty totals


def test_a_payout_beyond_the_escrow_balance_is_refused_and_fees_are_its_postings() -> None:
    payout = release_payout(10_000, 500, SELLER)
    with pytest.raises(InvalidStateError, match="exceeds"):
        fee_postings("escrow:ord_x", 9_999, payout)
    assert fee_postings("escrow:ord_x", 10_000, payout) == [
        ["escrow:ord_x", "platform:fees", 500],
        ["escrow:ord_x", "external:trustless_work_fees", 30],
    ]


def test_a_resolution_reads_the_allocation_rows_events_store() -> None:
    resolution = Resolution.of("SPLIT", [[1, 12, 3], [2, 0, 5]])
    assert resolution.allocations == ((1, 12, 3), (2, 0, 5))
    assert resolution.reason is None
