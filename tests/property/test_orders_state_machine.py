"""Random sequences of order commands and chain outcomes, on the aggregates themselves: whatever
the marketplace asks and whatever the chain does, postings sum to zero, no user or escrow balance
goes negative, every balance equals the fold of the postings, and an order replayed from its
events is the order we hold."""

from __future__ import annotations

import copy
import uuid
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    initialize,
    invariant,
    rule,
    run_state_machine_as_test,
)

from domain import identifiers
from domain.accounts import Account
from domain.errors import DomainError
from domain.escrow_settlement import record_step
from domain.escrow_steps import FUND, next_step
from domain.milestones import Milestone
from domain.money import Amount
from domain.order_states import BUYER, CLOSED, DECISIONS, SELLER, SPLIT
from domain.orders import Order
from domain.postings import EXTERNAL_STELLAR, apply, broken_invariants, from_rows

pytestmark = pytest.mark.property

NOW = datetime(2026, 11, 22, tzinfo=UTC)
AMOUNTS = st.integers(min_value=1, max_value=10**9)
FEES = st.sampled_from([0, 1, 30, 500, 2_500, 9_900])


class OrdersMachine(RuleBasedStateMachine):
    orders = Bundle("orders")

    def __init__(self) -> None:
        super().__init__()
        self.accounts: dict[str, Account] = {}
        self.live: dict[str, Order] = {}
        self.events: list[Any] = []
        self.hashes = 0

    @initialize()
    def open_accounts(self) -> None:
        for _ in range(3):
            user_id = identifiers.public_id(identifiers.USER, uuid.uuid4())
            account = Account(user_id=user_id, currency="USDC")
            self.accounts[user_id] = account
        self._collect()

    # -- the marketplace ---------------------------------------------------------------------

    @rule(user=st.integers(0, 2), amount=AMOUNTS)
    def deposit(self, user: int, amount: int) -> None:
        account = list(self.accounts.values())[user]
        self._attempt(
            lambda: account.credit(Amount(amount), source="deposit", counterparty=EXTERNAL_STELLAR)
        )

    @rule(
        target=orders,
        buyer=st.integers(0, 2),
        seller_offset=st.integers(1, 2),
        amount=AMOUNTS,
        parts=st.integers(0, 3),
        fee=FEES,
    )
    def create(self, buyer: int, seller_offset: int, amount: int, parts: int, fee: int) -> str:
        users = list(self.accounts)
        milestones = []
        if parts and amount >= parts:
            share = amount // parts
            amounts = [share] * (parts - 1) + [amount - share * (parts - 1)]
            milestones = [Milestone(f"m{i}", f"M{i}", a) for i, a in enumerate(amounts)]
        order = Order.open(
            id=uuid.uuid4(),
            buyer_id=users[buyer],
            seller_id=users[(buyer + seller_offset) % 3],
            amount_stroops=amount,
            currency="USDC",
            title="t",
            description=None,
            client_order_ref=None,
            marketplace_metadata=None,
            platform_fee_bps=fee,
            auto_release=None,
            milestones=milestones,
        )
        self.live[order.public_id] = order
        self._collect()
        return order.public_id

    @rule(order_id=orders)
    def reserve(self, order_id: str) -> None:
        order = self.live[order_id]
        buyer = self.accounts[order.buyer_id]

        def command() -> None:
            buyer.reserve(Amount(order.amount_stroops), hold_ref=order_id)
            order.mark_funds_reserved(buyer.available_stroops, buyer.reserved_stroops)

        self._attempt(command)

    @rule(order_id=orders)
    def cancel(self, order_id: str) -> None:
        order = self.live[order_id]

        def command() -> None:
            if order.cancel("test", None):
                self.accounts[order.buyer_id].release_reservation(
                    hold_ref=order_id, reason="cancel"
                )

        self._attempt(command)

    @rule(order_id=orders)
    def request_escrow(self, order_id: str) -> None:
        self._attempt(self.live[order_id].request_escrow)

    @rule(order_id=orders)
    def request_funding(self, order_id: str) -> None:
        self._attempt(self.live[order_id].request_funding)

    @rule(order_id=orders, index=st.integers(0, 2), kind=st.sampled_from(["c", "a", "r"]))
    def milestone(self, order_id: str, index: int, kind: str) -> None:
        order = self.live[order_id]
        ref = f"m{index}"
        command = {
            "c": order.request_milestone_completion,
            "a": order.request_milestone_approval,
            "r": order.request_milestone_release,
        }[kind]
        self._attempt(lambda: command(ref))

    @rule(order_id=orders, automatic=st.booleans())
    def release(self, order_id: str, automatic: bool) -> None:
        self._attempt(lambda: self.live[order_id].request_release("test", automatic=automatic))

    @rule(order_id=orders)
    def refund(self, order_id: str) -> None:
        self._attempt(lambda: self.live[order_id].request_refund("test", "reason"))

    @rule(order_id=orders, opener=st.sampled_from([BUYER, SELLER]))
    def dispute(self, order_id: str, opener: str) -> None:
        self._attempt(lambda: self.live[order_id].open_dispute("dsp_x", opener, "OTHER"))

    @rule(order_id=orders, decision=st.sampled_from(DECISIONS), share=st.floats(0.01, 0.99))
    def resolve(self, order_id: str, decision: str, share: float) -> None:
        order = self.live[order_id]
        held = order.escrow_balance_stroops
        release = {"FULL_RELEASE": held, "FULL_REFUND": 0}.get(decision, int(held * share))
        if decision == SPLIT and not 0 < release < held:
            return
        self._attempt(lambda: order.request_resolution(decision, release, held - release, "t"))

    # -- the chain -----------------------------------------------------------------------------

    @rule(order_id=orders, fails=st.booleans())
    def chain_performs_next_step(self, order_id: str, fails: bool) -> None:
        order = self.live[order_id]
        step = next_step(order)
        if step is None:
            return
        self.hashes += 1
        accounts = {
            BUYER: self.accounts[order.buyer_id],
            SELLER: self.accounts[order.seller_id],
        }
        if fails and step.action == FUND:
            self._attempt(lambda: order.funding_failed("the chain refused", "op_underfunded"))
            return
        contract = f"C{self.hashes}"
        self._attempt(lambda: record_step(order, step, f"h{self.hashes}", contract, accounts, NOW))

    # -- invariants ------------------------------------------------------------------------------

    @invariant()
    def postings_balance_and_nothing_held_goes_negative(self) -> None:
        assert broken_invariants(self._fold()) == []

    @invariant()
    def every_balance_is_the_fold_of_its_postings(self) -> None:
        folded = self._fold()
        for user_id, account in self.accounts.items():
            assert account.available_stroops == folded.get(f"user:{user_id}:available", 0)
            assert account.reserved_stroops == folded.get(f"user:{user_id}:reserved", 0)
        for order_id, order in self.live.items():
            assert order.escrow_balance_stroops == folded.get(f"escrow:{order_id}", 0)
            if order.status == CLOSED:
                assert order.escrow_balance_stroops == 0
                assert self.accounts[order.buyer_id].held_for(order_id).is_zero()

    @invariant()
    def an_order_replayed_from_its_events_is_the_order_we_hold(self) -> None:
        for order in self.live.values():
            replayed = None
            for event in self.events:
                if event.originator_id == order.id:
                    replayed = event.mutate(replayed)
            assert replayed is not None
            assert (replayed.status, replayed.escrow_status, replayed.milestones) == (
                order.status,
                order.escrow_status,
                order.milestones,
            )
            assert replayed.escrow_balance_stroops == order.escrow_balance_stroops

    # -- helpers -----------------------------------------------------------------------------------

    def _attempt(self, command: Any) -> None:
        """Runs a command; a refused one changes nothing (as a rolled-back transaction)."""
        saved = copy.deepcopy((self.accounts, self.live))
        try:
            command()
        except DomainError:
            self.accounts, self.live = saved
            return
        self._collect()

    def _collect(self) -> None:
        for aggregate in [*self.accounts.values(), *self.live.values()]:
            self.events.extend(aggregate.collect_events())

    def _fold(self) -> dict[str, int]:
        balances: dict[str, int] = {}
        for event in self.events:
            apply(balances, from_rows(getattr(event, "postings", ())))
        return balances


def test_order_command_sequences_keep_the_books_sound() -> None:
    run_state_machine_as_test(
        OrdersMachine,
        settings=settings(max_examples=90, stateful_step_count=60, deadline=None),
    )
