"""Top-ups and fiat withdrawals under AirTM's reports delivered at random: duplicated, late and
out of order, through the real use cases on PostgreSQL. Whatever the order, a top-up is credited
exactly once when (and only when) its payin succeeded, a withdrawal's hold leaves the books once
when its payout completed or returns once when it did not, nothing contradicts, postings sum to
zero and no balance goes negative."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from application.context import CommandContext
from application.fiat_withdrawals import FiatWithdrawals
from application.ledger import Ledger
from application.payment_providers import (
    PAYIN_AWAITING_CONFIRMATION,
    PAYIN_CANCELED,
    PAYIN_FAILED,
    PAYIN_PROCESSING,
    PAYIN_SUCCEEDED,
    PAYOUT_AWAITING_RECIPIENT,
    PAYOUT_CANCELED,
    PAYOUT_COMPLETED,
    PAYOUT_CREATED,
    PAYOUT_FAILED,
    PAYOUT_IN_FLIGHT,
    Payin,
    Payout,
)
from application.topups import TopUpLimits, TopUps
from domain import identifiers
from domain.accounts import Account, account_id_for
from domain.money import Amount
from domain.postings import EXTERNAL_ADJUSTMENTS, apply, broken_invariants, from_rows
from domain.topups import TopUp
from domain.withdrawals import Withdrawal
from infrastructure.postgres.event_store import event_store_env

pytestmark = [pytest.mark.property, pytest.mark.integration]

CONTEXT = CommandContext(request_id="fiat-property")
CENT = 100_000
FUNDS = 1_000 * 10_000_000
CENTS = st.integers(min_value=100, max_value=20_000)  # 1.00 to 200.00
PAYIN_ENDINGS = [
    [PAYIN_AWAITING_CONFIRMATION, PAYIN_PROCESSING, PAYIN_SUCCEEDED],
    [PAYIN_AWAITING_CONFIRMATION, PAYIN_PROCESSING, PAYIN_FAILED],
    [PAYIN_AWAITING_CONFIRMATION, PAYIN_CANCELED],
]
PAYOUT_ENDINGS = [
    [PAYOUT_CREATED, PAYOUT_IN_FLIGHT, PAYOUT_COMPLETED],
    [PAYOUT_CREATED, PAYOUT_IN_FLIGHT, PAYOUT_AWAITING_RECIPIENT, PAYOUT_COMPLETED],
    [PAYOUT_CREATED, PAYOUT_IN_FLIGHT, PAYOUT_FAILED],
    [PAYOUT_CREATED, PAYOUT_IN_FLIGHT, PAYOUT_AWAITING_RECIPIENT, PAYOUT_CANCELED],
]


@dataclass
class Item:
    public_id: str
    amount_stroops: int
    lifecycle: list[str]
    reached: int = 0  # how far along its lifecycle the provider is
    delivered: set[int] = field(default_factory=set)  # which reports we received

    @property
    def final_delivered(self) -> str | None:
        last = len(self.lifecycle) - 1
        return self.lifecycle[last] if last in self.delivered else None


class FiatMachine(RuleBasedStateMachine):
    ledger: Ledger

    def __init__(self) -> None:
        super().__init__()
        no_provider: Any = None
        self.topups = TopUps(self.ledger, no_provider, no_provider, TopUpLimits(1, FUNDS), "x")
        self.withdrawals = FiatWithdrawals(self.ledger, no_provider, no_provider, 0)
        self.user_id = identifiers.public_id(identifiers.USER, uuid.uuid4())
        self.payins: list[Item] = []
        self.payouts: list[Item] = []

    @initialize()
    def open_account(self) -> None:
        account = Account(user_id=self.user_id, currency="USDC")
        account.credit(Amount(FUNDS), source="adjustment", counterparty=EXTERNAL_ADJUSTMENTS)
        self.ledger.commit(account, context=CONTEXT, outcome=lambda p: p)

    @rule(cents=CENTS, ending=st.sampled_from(PAYIN_ENDINGS))
    def start_topup(self, cents: int, ending: list[str]) -> None:
        topup = TopUp(
            id=uuid.uuid4(), user_id=self.user_id, provider="airtm", provider_user_id="airtm-u",
            amount_stroops=cents * CENT, currency="USDC", description=None,
        )  # fmt: skip
        self.ledger.commit(topup, context=CONTEXT, outcome=lambda p: p)
        self.payins.append(Item(topup.public_id, cents * CENT, ending))

    @rule(cents=CENTS, ending=st.sampled_from(PAYOUT_ENDINGS))
    def start_withdrawal(self, cents: int, ending: list[str]) -> None:
        account = self.ledger.require(Account, account_id_for(self.user_id))
        if account.available_stroops < cents * CENT:
            return
        withdrawal = Withdrawal(
            id=uuid.uuid4(), user_id=self.user_id, source_address="payee@airtm.example",
            amount_stroops=cents * CENT, currency="USDC", destination_type="airtm_balance",
            destination_ref="payee@airtm.example", description=None,
        )  # fmt: skip
        account.reserve(Amount(cents * CENT), hold_ref=withdrawal.public_id)
        withdrawal.commit(account.available_stroops, account.reserved_stroops)
        self.ledger.commit(account, withdrawal, context=CONTEXT, outcome=lambda p: p)
        self.payouts.append(Item(withdrawal.public_id, cents * CENT, ending))

    @precondition(lambda self: self.payins or self.payouts)
    @rule(data=st.data())
    def provider_moves_on(self, data: st.DataObject) -> None:
        item = data.draw(st.sampled_from(self.payins + self.payouts))
        item.reached = min(item.reached + 1, len(item.lifecycle) - 1)

    @precondition(lambda self: self.payins)
    @rule(data=st.data())
    def a_payin_report_arrives(self, data: st.DataObject) -> None:
        item = data.draw(st.sampled_from(self.payins))
        index = data.draw(st.integers(0, item.reached))  # any report sent so far, again or late
        amount = item.amount_stroops
        fee = amount // 100 // CENT * CENT
        payin = Payin(
            payin_id=f"payin-{item.public_id}", code=item.public_id,
            status=item.lifecycle[index], amount_stroops=amount, fee_stroops=fee,
            net_stroops=amount - fee, checkout_uri="https://checkout.example/payin/x",
        )  # fmt: skip
        changed = self.topups.apply(payin, CONTEXT)
        assert changed.contradiction is None, changed.contradiction
        item.delivered.add(index)

    @precondition(lambda self: self.payouts)
    @rule(data=st.data())
    def a_payout_report_arrives(self, data: st.DataObject) -> None:
        item = data.draw(st.sampled_from(self.payouts))
        index = data.draw(st.integers(0, item.reached))
        amount = item.amount_stroops
        fee = amount // 100 // CENT * CENT
        payout = Payout(
            payout_id=f"payout-{item.public_id}", code=item.public_id,
            status=item.lifecycle[index], gross_stroops=amount, amount_stroops=amount,
            net_stroops=amount - fee, provider_fee_stroops=fee, enterprise_fee_stroops=0,
        )  # fmt: skip
        changed = self.withdrawals.apply(payout, CONTEXT)
        assert changed.contradiction is None, changed.contradiction
        item.delivered.add(index)

    @invariant()
    def the_account_holds_what_the_reports_say(self) -> None:
        account = self.ledger.get(Account, account_id_for(self.user_id))
        if account is None:
            return
        credited = sum(
            i.amount_stroops - i.amount_stroops // 100 // CENT * CENT
            for i in self.payins
            if i.final_delivered == PAYIN_SUCCEEDED
        )
        paid = sum(i.amount_stroops for i in self.payouts if i.final_delivered == PAYOUT_COMPLETED)
        held = sum(i.amount_stroops for i in self.payouts if i.final_delivered is None)
        assert account.reserved_stroops == held
        assert account.available_stroops == FUNDS + credited - paid - held
        assert account.off_chain_stroops == credited - paid

    def teardown(self) -> None:
        balances: dict[str, int] = {}
        ids = [account_id_for(self.user_id)]
        ids += [identifiers.parse_public_id(identifiers.TOPUP, i.public_id) for i in self.payins]
        for aggregate_id in ids:
            for event in self.ledger.events.get(aggregate_id):
                apply(balances, from_rows(getattr(event, "postings", [])))
        assert broken_invariants(balances) == []


def test_reports_in_any_order_keep_the_fiat_books_balanced(database_factory: object) -> None:
    # Its own log: on the session's, the session stack's runner would relay these top-ups' saga
    # messages to workers that have no AirTM, and their failures (a traceback per retry,
    # formatted in worker threads) race `ast.parse` in the tests after this one on CPython 3.11.
    ledger = Ledger(env=event_store_env(database_factory()))  # type: ignore[operator]
    FiatMachine.ledger = ledger
    try:
        run_state_machine_as_test(FiatMachine, settings=settings(stateful_step_count=30))
    finally:
        ledger.close()
