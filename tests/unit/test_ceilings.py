"""No command takes an amount, a user's balance or an escrow past what the chain can carry, and
each refusal names its limit; money the chain already moved is booked whatever the ceiling."""

from __future__ import annotations

import pytest

from domain.accounts import Account
from domain.ceilings import (
    AMOUNT_STROOPS_MAX,
    ESCROW_BALANCE_STROOPS_MAX,
    USER_BALANCE_STROOPS_MAX,
)
from domain.errors import LimitExceededError
from domain.money import Amount
from domain.postings import EXTERNAL_ADJUSTMENTS, EXTERNAL_STELLAR
from tests.unit.test_escrow_steps import order

pytestmark = pytest.mark.unit

USER = "usr_0000000000000000000007"
CHAIN_MAX = "922337203685.4775807"  # 2**63 - 1 stroops: one int64, as Stellar counts them


def account_holding(available: int, reserved: int = 0) -> Account:
    account = Account(user_id=USER, currency="USDC")
    account.credit(Amount(available + reserved), source="deposit", counterparty=EXTERNAL_STELLAR)
    if reserved:
        account.reserve(Amount(reserved), hold_ref="ord_1")
    account.collect_events()
    return account


def adjust(account: Account, stroops: int) -> None:
    account.credit(Amount(stroops), source="adjustment", counterparty=EXTERNAL_ADJUSTMENTS)


def test_every_ceiling_is_what_one_int64_of_stroops_holds() -> None:
    assert AMOUNT_STROOPS_MAX == USER_BALANCE_STROOPS_MAX == ESCROW_BALANCE_STROOPS_MAX
    assert Amount(AMOUNT_STROOPS_MAX).to_wire() == CHAIN_MAX


def test_a_credit_up_to_the_ceiling_is_booked() -> None:
    account = account_holding(10)
    adjust(account, USER_BALANCE_STROOPS_MAX - 10)
    assert account.available_stroops == USER_BALANCE_STROOPS_MAX


def test_a_credit_past_the_ceiling_is_refused_naming_it_and_records_nothing() -> None:
    account = account_holding(USER_BALANCE_STROOPS_MAX)
    with pytest.raises(LimitExceededError) as refused:
        adjust(account, 1)
    assert refused.value.details["limit"] == "userBalance"
    assert refused.value.details["max"] == CHAIN_MAX
    assert refused.value.details["userId"] == USER
    assert account.collect_events() == []
    assert account.available_stroops == USER_BALANCE_STROOPS_MAX


def test_reserved_money_counts_toward_the_ceiling() -> None:
    account = account_holding(available=5, reserved=USER_BALANCE_STROOPS_MAX - 10)
    adjust(account, 5)
    with pytest.raises(LimitExceededError):
        adjust(account, 1)


def test_two_largest_credits_leave_the_first_booked_and_refuse_the_second() -> None:
    account = Account(user_id=USER, currency="USDC")
    largest = Amount.parse(CHAIN_MAX)
    account.credit(largest, source="adjustment", counterparty=EXTERNAL_ADJUSTMENTS)
    with pytest.raises(LimitExceededError):
        account.credit(largest, source="adjustment", counterparty=EXTERNAL_ADJUSTMENTS)
    assert account.available_stroops == USER_BALANCE_STROOPS_MAX


def test_money_the_chain_already_paid_is_booked_past_the_ceiling() -> None:
    account = account_holding(USER_BALANCE_STROOPS_MAX)
    account.credit(Amount(1), source="deposit", counterparty=EXTERNAL_STELLAR, on_chain=True)
    assert account.available_stroops == USER_BALANCE_STROOPS_MAX + 1


def test_an_amount_past_one_payment_is_limit_exceeded_naming_the_limit() -> None:
    assert Amount.parse(CHAIN_MAX).stroops == AMOUNT_STROOPS_MAX
    for text in ("922337203685.4775808", "99999999999999999999", "1" + "0" * 30):
        with pytest.raises(LimitExceededError) as refused:
            Amount.parse(text)
        assert refused.value.details == {"limit": "amount", "max": CHAIN_MAX, "value": text}


def test_an_order_whose_escrow_could_not_be_funded_in_one_payment_is_refused() -> None:
    assert order(amount=ESCROW_BALANCE_STROOPS_MAX).amount_stroops == ESCROW_BALANCE_STROOPS_MAX
    with pytest.raises(LimitExceededError) as refused:
        order(amount=ESCROW_BALANCE_STROOPS_MAX + 1)
    assert refused.value.details["limit"] == "escrowBalance"
