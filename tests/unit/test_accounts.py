"""The Account aggregate guards a user's available and reserved money."""

from __future__ import annotations

import pytest

from domain.accounts import (
    Account,
    FundsAlreadyReservedError,
    ReservationMismatchError,
    ReservationNotFoundError,
)
from domain.errors import InsufficientFundsError, InvalidAmountError
from domain.money import Amount
from domain.postings import (
    EXTERNAL_ADJUSTMENTS,
    EXTERNAL_STELLAR,
    apply,
    broken_invariants,
    from_rows,
)

pytestmark = pytest.mark.unit

USER = "usr_0000000000000000000001"


def funded(stroops: int) -> Account:
    account = Account(user_id=USER, currency="USDC")
    if stroops:
        account.credit(Amount(stroops), source="deposit", counterparty=EXTERNAL_STELLAR)
    return account


def folded(account: Account) -> dict[str, int]:
    balances: dict[str, int] = {}
    for event in account.collect_events():
        apply(balances, from_rows(getattr(event, "postings", [])))
    return balances


class TestCredit:
    def test_credit_adds_to_available_and_posts_from_the_counterparty(self) -> None:
        account = funded(100)
        assert (account.available_stroops, account.reserved_stroops) == (100, 0)
        assert folded(account) == {EXTERNAL_STELLAR: -100, f"user:{USER}:available": 100}

    def test_zero_is_not_a_credit(self) -> None:
        with pytest.raises(InvalidAmountError):
            funded(0).credit(Amount(0), source="x", counterparty=EXTERNAL_STELLAR)


class TestDebit:
    def test_debit_within_available_succeeds(self) -> None:
        account = funded(100)
        account.debit(Amount(40), destination="adjustment", counterparty=EXTERNAL_ADJUSTMENTS)
        assert account.available_stroops == 60

    def test_debit_beyond_available_is_refused_and_changes_nothing(self) -> None:
        account = funded(100)
        with pytest.raises(InsufficientFundsError) as refused:
            account.debit(Amount(101), destination="x", counterparty=EXTERNAL_ADJUSTMENTS)
        assert refused.value.details["available"] == "0.00001"
        assert account.available_stroops == 100
        assert len(account.pending_events) == 2


class TestReservations:
    def test_reserve_moves_available_to_reserved_for_a_reference(self) -> None:
        account = funded(100)
        account.reserve(Amount(70), hold_ref="ord_a")
        assert (account.available_stroops, account.reserved_stroops) == (30, 70)
        assert account.held_for("ord_a").stroops == 70

    def test_reserving_twice_for_the_same_reference_is_refused(self) -> None:
        account = funded(100)
        account.reserve(Amount(10), hold_ref="ord_a")
        with pytest.raises(FundsAlreadyReservedError):
            account.reserve(Amount(10), hold_ref="ord_a")

    def test_reserve_beyond_available_is_refused(self) -> None:
        with pytest.raises(InsufficientFundsError):
            funded(100).reserve(Amount(101), hold_ref="ord_a")

    def test_release_returns_the_whole_hold_to_available(self) -> None:
        account = funded(100)
        account.reserve(Amount(70), hold_ref="ord_a")
        account.release_reservation(hold_ref="ord_a", reason="cancel")
        assert (account.available_stroops, account.reserved_stroops) == (100, 0)
        assert account.held_for("ord_a").stroops == 0

    def test_a_release_cannot_take_another_references_hold(self) -> None:
        account = funded(100)
        account.reserve(Amount(70), hold_ref="ord_a")
        with pytest.raises(ReservationNotFoundError):
            account.release_reservation(hold_ref="ord_b", reason="cancel")

    def test_spending_sends_held_money_out_and_keeps_the_rest_held(self) -> None:
        account = funded(100)
        account.reserve(Amount(70), hold_ref="ord_a")
        account.spend_reservation(
            Amount(50), hold_ref="ord_a", reason="escrow_funded", counterparty="escrow:ord_a"
        )
        assert (account.available_stroops, account.reserved_stroops) == (30, 20)
        assert account.held_for("ord_a").stroops == 20

    def test_spending_more_than_held_is_refused(self) -> None:
        account = funded(100)
        account.reserve(Amount(70), hold_ref="ord_a")
        with pytest.raises(ReservationMismatchError):
            account.spend_reservation(
                Amount(71), hold_ref="ord_a", reason="x", counterparty="escrow:ord_a"
            )


def test_every_event_records_balances_that_match_the_fold_of_its_postings() -> None:
    account = funded(1_000)
    account.reserve(Amount(300), hold_ref="wd_1")
    account.spend_reservation(
        Amount(300), hold_ref="wd_1", reason="withdrawn", counterparty=EXTERNAL_STELLAR
    )
    account.debit(Amount(100), destination="adjustment", counterparty=EXTERNAL_ADJUSTMENTS)
    balances = folded(account)
    assert broken_invariants(balances) == []
    assert balances[f"user:{USER}:available"] == account.available_stroops == 600
    assert balances.get(f"user:{USER}:reserved", 0) == account.reserved_stroops == 0
