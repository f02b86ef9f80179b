"""Money leaving an order's escrow: the decision that splits it, each payout as its event records
it, and what the order paid each party in all.

A payout is computed by the contracts' own fee math (`escrow_fees.Payout`); its event stores it
as a record with camelCase keys, with each recipient's available balance after it, and those
records must stay readable forever, so `PayoutRecord.as_record/from_record` are the one place
the keys are spelled. The escrow never pays out more than it holds (`fee_postings` refuses).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from domain.errors import InvalidStateError
from domain.escrow_fees import Payout
from domain.postings import EXTERNAL_TRUSTLESS_WORK_FEES, PLATFORM_FEES, Posting, as_rows

Rows = list[list[str | int]]


@dataclass(frozen=True, slots=True)
class Resolution:
    """How the escrow's money is to leave it: the decision, and per milestone still held the
    [index, seller, buyer] stroops (none for a release, which pays each milestone in full)."""

    decision: str
    allocations: tuple[tuple[int, int, int], ...] = ()
    reason: str | None = None  # a refund's

    @classmethod
    def of(
        cls, decision: str, allocations: Iterable[Iterable[int]], reason: str | None = None
    ) -> Resolution:
        """From the [index, seller, buyer] rows an event stores."""
        rows = []
        for row in allocations:
            index, seller, buyer = row
            rows.append((index, seller, buyer))
        return cls(decision, tuple(rows), reason)


@dataclass(frozen=True, slots=True)
class PayoutRecord:
    """One payout out of the escrow, as its event stores it."""

    net: tuple[tuple[str, int], ...]  # (party, stroops) each recipient received
    protocol_fee_stroops: int
    platform_fee_stroops: int
    total_stroops: int  # what left the escrow: the net amounts plus both fees
    balances_after: Mapping[str, int]  # each recipient's available balance after it

    @classmethod
    def of(cls, payout: Payout, balances_after: Mapping[str, int]) -> PayoutRecord:
        return cls(
            payout.net,
            payout.protocol_fee,
            payout.platform_fee,
            payout.total,
            dict(balances_after),
        )

    def net_to(self, party: str) -> int:
        return dict(self.net).get(party, 0)

    def as_record(self) -> dict[str, Any]:
        return {
            "net": [[party, amount] for party, amount in self.net],
            "protocolFeeStroops": self.protocol_fee_stroops,
            "platformFeeStroops": self.platform_fee_stroops,
            "totalStroops": self.total_stroops,
            "balancesAfter": dict(self.balances_after),
        }

    @classmethod
    def from_record(cls, record: Mapping[str, Any]) -> PayoutRecord:
        return cls(
            tuple((str(party), int(amount)) for party, amount in record["net"]),
            record["protocolFeeStroops"],
            record["platformFeeStroops"],
            record["totalStroops"],
            dict(record["balancesAfter"]),
        )


@dataclass(frozen=True, slots=True)
class PayoutTotals:
    """What the escrow paid each party in all (net of fees), the part of it a dispute's
    resolution paid, and each party's available balance after its last payout."""

    paid: Mapping[str, int] = field(default_factory=dict)
    resolved: Mapping[str, int] = field(default_factory=dict)
    balances_after: Mapping[str, int] = field(default_factory=dict)

    def adding(self, payout: PayoutRecord, *, resolution: bool) -> PayoutTotals:
        paid, resolved = dict(self.paid), dict(self.resolved)
        for party, amount in payout.net:
            paid[party] = paid.get(party, 0) + amount
            if resolution:
                resolved[party] = resolved.get(party, 0) + amount
        return PayoutTotals(paid, resolved, {**self.balances_after, **payout.balances_after})

    def outcome_record(self) -> dict[str, Any]:
        """The `outcome` of the order's Released/Refunded event: paid in all, balances after."""
        return {"paid": dict(self.paid), "balancesAfter": dict(self.balances_after)}

    @classmethod
    def from_outcome_record(cls, record: Mapping[str, Any]) -> PayoutTotals:
        """What an `outcome` says (it does not tell the resolution's part apart)."""
        return cls(paid=dict(record["paid"]), balances_after=dict(record["balancesAfter"]))


def fee_postings(escrow_account: str, balance_stroops: int, payout: Payout) -> Rows:
    """The fee legs of a payout out of an escrow holding `balance_stroops` (recipients are
    credited by their own accounts); refuses to pay out more than the escrow holds."""
    if payout.total > balance_stroops:
        raise InvalidStateError(
            "payout exceeds the escrow balance",
            balance=balance_stroops,
            payout=payout.total,
        )
    legs = (
        (PLATFORM_FEES, payout.platform_fee),
        (EXTERNAL_TRUSTLESS_WORK_FEES, payout.protocol_fee),
    )
    return as_rows(Posting(escrow_account, fee, amount) for fee, amount in legs if amount)
