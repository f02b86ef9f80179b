"""Random sequences of money commands, run through the real application on PostgreSQL beside an
independent oracle: postings always sum to zero, no balance ever goes negative, and what the
log folds to is what the oracle expects."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable

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
from application.ledger import Ledger, retry_on_conflict
from domain import identifiers
from domain.accounts import Account, account_id_for
from domain.errors import DomainError
from domain.money import Amount
from domain.postings import EXTERNAL_ADJUSTMENTS, apply, broken_invariants, from_rows
from infrastructure.postgres.event_store import event_store_env
from tests.support.oracle import Oracle

pytestmark = [pytest.mark.property, pytest.mark.integration]

CONTEXT = CommandContext(request_id="property")
AMOUNTS = st.integers(min_value=1, max_value=5_000)
HOLDS = st.sampled_from(["ord_a", "ord_b", "wd_c"])
# Everything a command may do in a batch, keyed by the oracle method that predicts it.
BATCH_MOVES = {
    "credit": lambda amount: (
        lambda a: a.credit(Amount(amount), source="adjustment", counterparty=EXTERNAL_ADJUSTMENTS)
    ),
    "debit": lambda amount: (
        lambda a: a.debit(
            Amount(amount), destination="adjustment", counterparty=EXTERNAL_ADJUSTMENTS
        )
    ),
}
QUEUE_WAIT_S = 10


class LedgerMachine(RuleBasedStateMachine):
    ledger: Ledger

    def __init__(self) -> None:
        super().__init__()
        self.oracle = Oracle()
        self.user_ids: list[str] = []

    @initialize(count=st.integers(min_value=1, max_value=3))
    def open_accounts(self, count: int) -> None:
        for _ in range(count):
            user_id = identifiers.public_id(identifiers.USER, uuid.uuid4())
            account = Account(user_id=user_id, currency="USDC")
            self.ledger.commit(account, context=CONTEXT, outcome=lambda position: position)
            self.user_ids.append(user_id)
            self.oracle.open(user_id)

    def _command(self, user: str, change: Callable[[Account], None]) -> bool:
        def attempt() -> bool:
            account = self.ledger.get(Account, account_id_for(user))
            assert account is not None
            try:
                change(account)
            except DomainError:
                return False
            self.ledger.commit(account, context=CONTEXT, outcome=lambda position: True)
            return True

        return retry_on_conflict(attempt)

    @precondition(lambda self: self.user_ids)
    @rule(data=st.data(), amount=AMOUNTS)
    def credit(self, data: st.DataObject, amount: int) -> None:
        user = data.draw(st.sampled_from(self.user_ids))
        done = self._command(
            user,
            lambda a: a.credit(
                Amount(amount), source="adjustment", counterparty=EXTERNAL_ADJUSTMENTS
            ),
        )
        assert done == self.oracle.credit(user, amount)

    @precondition(lambda self: self.user_ids)
    @rule(data=st.data(), amount=AMOUNTS)
    def debit(self, data: st.DataObject, amount: int) -> None:
        user = data.draw(st.sampled_from(self.user_ids))
        done = self._command(
            user,
            lambda a: a.debit(
                Amount(amount), destination="adjustment", counterparty=EXTERNAL_ADJUSTMENTS
            ),
        )
        assert done == self.oracle.debit(user, amount)

    @precondition(lambda self: self.user_ids)
    @rule(data=st.data(), ref=HOLDS, amount=AMOUNTS)
    def reserve(self, data: st.DataObject, ref: str, amount: int) -> None:
        user = data.draw(st.sampled_from(self.user_ids))
        done = self._command(user, lambda a: a.reserve(Amount(amount), hold_ref=ref))
        assert done == self.oracle.reserve(user, ref, amount)

    @precondition(lambda self: self.user_ids)
    @rule(data=st.data())
    def batch(self, data: st.DataObject) -> None:
        """Several commands reach the committer together, in a known order: each is decided
        against what the ones before it left, exactly as the oracle applies them one by one."""
        commands = data.draw(
            st.lists(
                st.tuples(
                    st.sampled_from(self.user_ids), st.sampled_from(sorted(BATCH_MOVES)), AMOUNTS
                ),
                min_size=2,
                max_size=6,
            )
        )
        outcomes: list[bool | None] = [None] * len(commands)
        release, deciding = threading.Event(), threading.Event()

        def hold(account: Account) -> None:
            deciding.set()
            release.wait(QUEUE_WAIT_S)

        def run(index: int, user: str, move: str, amount: int) -> None:
            try:
                outcomes[index] = self.ledger.change(
                    Account,
                    account_id_for(user),
                    BATCH_MOVES[move](amount),
                    context=CONTEXT,
                    outcome=lambda account, position: True,
                )
            except DomainError:
                outcomes[index] = False

        threads = [
            threading.Thread(
                target=self.ledger.change,
                args=(Account, account_id_for(self.user_ids[0]), hold),
                kwargs={"context": CONTEXT, "outcome": lambda a, p: None},
            )
        ]
        threads[0].start()
        assert deciding.wait(QUEUE_WAIT_S)
        for index, command in enumerate(commands):  # one at a time, so the queue keeps this order
            threads.append(threading.Thread(target=run, args=(index, *command)))
            threads[-1].start()
            deadline = time.monotonic() + QUEUE_WAIT_S
            while self.ledger.commands_waiting() < index + 1 and time.monotonic() < deadline:
                time.sleep(0.001)
        release.set()
        for thread in threads:
            thread.join(timeout=QUEUE_WAIT_S)
        expected = [getattr(self.oracle, move)(user, amount) for user, move, amount in commands]
        assert outcomes == expected

    @precondition(lambda self: self.user_ids)
    @rule(data=st.data(), ref=HOLDS)
    def release(self, data: st.DataObject, ref: str) -> None:
        user = data.draw(st.sampled_from(self.user_ids))
        done = self._command(user, lambda a: a.release_reservation(hold_ref=ref, reason="cancel"))
        assert done == self.oracle.release(user, ref)

    @precondition(lambda self: self.user_ids)
    @rule(data=st.data(), ref=HOLDS, amount=AMOUNTS)
    def spend(self, data: st.DataObject, ref: str, amount: int) -> None:
        user = data.draw(st.sampled_from(self.user_ids))
        done = self._command(
            user,
            lambda a: a.spend_reservation(
                Amount(amount), hold_ref=ref, reason="payout", counterparty="external:stellar"
            ),
        )
        assert done == self.oracle.spend(user, ref, amount)

    @invariant()
    def stored_balances_match_the_oracle(self) -> None:
        for user in self.user_ids:
            account = self.ledger.get(Account, account_id_for(user))
            assert account is not None
            expected = self.oracle.users[user]
            assert account.available_stroops == expected.available
            assert account.reserved_stroops == expected.reserved
            assert account.holds == expected.holds

    def teardown(self) -> None:
        """Folds every posting these accounts ever recorded, straight from the event store."""
        balances: dict[str, int] = {}
        for user in self.user_ids:
            for event in self.ledger.events.get(account_id_for(user)):
                apply(balances, from_rows(getattr(event, "postings", [])))
        assert broken_invariants(balances) == []
        for user in self.user_ids:
            assert balances.get(f"user:{user}:available", 0) == self.oracle.users[user].available
            assert balances.get(f"user:{user}:reserved", 0) == self.oracle.users[user].reserved


def test_random_command_sequences_keep_the_books_balanced(database_url: str) -> None:
    ledger = Ledger(env=event_store_env(database_url))
    LedgerMachine.ledger = ledger
    try:
        # 20 sequences of 25 steps: the batch rule runs its commands on threads through the
        # group committer, so each sequence costs seconds; 40 took the suite past its budget.
        run_state_machine_as_test(
            LedgerMachine, settings=settings(max_examples=20, stateful_step_count=25)
        )
    finally:
        ledger.close()
