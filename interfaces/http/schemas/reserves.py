"""Wire types for the proof of reserves: per class of holder, what the books hold for it as of a
position against what the chain holds for it now."""

from __future__ import annotations

import msgspec

from application.reserves import ReserveClass, ReservesReport
from domain.money import format_stroops
from interfaces.http.edge.responses import iso
from interfaces.http.schemas.wire import AmountText, Body, SignedAmountText, Timestamp


class BookedAccountBody(Body):
    account: str  # a ledger account, or `user:*:available` / `user:*:reserved` for all users'
    balance: SignedAmountText


class ReserveClassBody(Body):
    name: str = msgspec.field(name="class")
    booked: SignedAmountText
    accounts: list[BookedAccountBody]
    off_chain: SignedAmountText
    expected_on_chain: SignedAmountText
    on_chain: AmountText
    surplus: SignedAmountText
    covered: bool
    holders: int


class ReservesBody(Body):
    asset: str
    position: int
    observed_at: Timestamp
    covered: bool
    classes: list[ReserveClassBody]


def _class_body(held: ReserveClass) -> ReserveClassBody:
    return ReserveClassBody(
        name=held.name,
        booked=format_stroops(held.owed_stroops),
        accounts=[
            BookedAccountBody(account, format_stroops(stroops))
            for account, stroops in held.owed_by_account.items()
        ],
        off_chain=format_stroops(held.off_chain_stroops),
        expected_on_chain=format_stroops(held.expected_on_chain_stroops),
        on_chain=format_stroops(held.on_chain_stroops),
        surplus=format_stroops(held.surplus_stroops),
        covered=held.covered,
        holders=held.holders,
    )


def reserves_body(report: ReservesReport) -> ReservesBody:
    return ReservesBody(
        asset=report.asset,
        position=report.position,
        observed_at=str(iso(report.observed_at)),
        covered=report.covered,
        classes=[_class_body(held) for held in report.classes],
    )
