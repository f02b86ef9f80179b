"""A large, realistic event log, written through the application layer (not HTTP, not SQL).

Commands are decided by the aggregates' own methods — so every rule holds: no debit beyond
what is available, reservations released exactly once — and recorded by `Ledger.commit`, the
application's one write path (metadata on every event, the recorder, snapshots of busy
accounts). Many commands share one commit, as the group committer batches concurrent ones, so a
million events take a minute or two instead of an hour. The mix is a marketplace's: users
joining (user, account, wallet), deposits, manual credits and debits, orders created, reserved
and cancelled, withdrawals requested and cancelled; a tenth of the users take half the
commands. The seed (printed in the JSON) drives the mix — which command, on whom, for how much;
identifiers are fresh each run, so a log can be built twice into one database.
"""

from __future__ import annotations

import contextlib
import math
import os
import random
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Final

from stellar_sdk import StrKey

from ops.bench.service import (
    EXTERNAL_ADJUSTMENTS,
    EXTERNAL_STELLAR,
    Account,
    Amount,
    CommandContext,
    Deposit,
    DomainError,
    Ledger,
    Order,
    User,
    Wallet,
    Withdrawal,
)

CURRENCY: Final = "USDC"
UNIT: Final = 10**7
COMMANDS_PER_COMMIT: Final = 250
# Unsettled orders and withdrawals kept open at once; past this, commands settle them.
OPEN_MAX: Final = 2_000
HOT_USER_FRACTION: Final = 0.1
HOT_COMMAND_SHARE: Final = 0.5
# (command, weight): about 1.4 events per command, ~30 events per user over the log.
MIX: Final = (
    ("join", 4),
    ("deposit", 12),
    ("credit", 20),
    ("debit", 14),
    ("order", 10),
    ("reserve", 8),
    ("cancel_order", 6),
    ("withdraw", 6),
    ("cancel_withdrawal", 2),
)


def _address() -> str:
    return StrKey.encode_ed25519_public_key(os.urandom(32))


@dataclass
class Member:
    user: User
    account: Account
    wallet: Wallet


@dataclass
class Population:
    members: list[Member] = field(default_factory=list)
    by_user: dict[str, Member] = field(default_factory=dict)
    created_orders: list[Order] = field(default_factory=list)
    reserved_orders: list[Order] = field(default_factory=list)
    withdrawals: list[Withdrawal] = field(default_factory=list)


class LogBuilder:
    def __init__(self, ledger: Ledger, seed: int) -> None:
        self._ledger = ledger
        self._rng = random.Random(seed)
        self._people = Population()
        self._touched: dict[Any, Any] = {}
        self._commands = 0
        self.events = 0

    def build(
        self, events_min: int, progress: Callable[[int], None], deadline: float = math.inf
    ) -> int:
        """Records commands until at least `events_min` events are in the log, or until the
        monotonic `deadline` passes (a machine too busy to build it in time)."""
        kinds = [kind for kind, _ in MIX]
        weights = [weight for _, weight in MIX]
        while self.events < events_min and time.monotonic() < deadline:
            for _ in range(COMMANDS_PER_COMMIT):
                kind = self._rng.choices(kinds, weights)[0]
                if len(self._people.members) < 2:
                    kind = "join"
                # A command the aggregate refuses (e.g. short of funds) records nothing.
                with contextlib.suppress(DomainError):
                    getattr(self, f"_{kind}")()
            self._commit()
            progress(self.events)
        return self.events

    def _commit(self) -> None:
        aggregates = list(self._touched.values())
        self._touched.clear()
        pending = sum(len(a.pending_events) for a in aggregates)
        if not pending:
            return
        self._commands += 1
        context = CommandContext(request_id=f"bench-log-{self._commands}", api_key_id="bench")
        self._ledger.commit(*aggregates, context=context, outcome=lambda position: position)
        self.events += pending

    def _touch(self, *aggregates: Any) -> None:
        for aggregate in aggregates:
            self._touched[aggregate.id] = aggregate

    def _member(self) -> Member:
        members = self._people.members
        hot = max(int(len(members) * HOT_USER_FRACTION), 1)
        if self._rng.random() < HOT_COMMAND_SHARE:
            return members[self._rng.randrange(hot)]
        return members[self._rng.randrange(len(members))]

    def _amount(self, low: int, high: int) -> Amount:
        return Amount(self._rng.randint(low * 100, high * 100) * UNIT // 100, CURRENCY)

    # -- commands ---------------------------------------------------------------------------

    def _join(self) -> None:
        user = User(external_user_id=f"bench-{uuid.uuid4()}", email=None, user_type="BUYER")
        account = Account(user_id=user.public_id, currency=CURRENCY)
        wallet = Wallet(user_id=user.public_id, address=_address(), network="sandbox")
        member = Member(user, account, wallet)
        self._people.members.append(member)
        self._people.by_user[user.public_id] = member
        self._touch(user, account, wallet)

    def _deposit(self) -> None:
        member = self._member()
        amount = self._amount(10, 200)
        tx_hash = os.urandom(32).hex()
        deposit = Deposit(
            operation_id=uuid.uuid4().hex,
            user_id=member.user.public_id,
            address=member.wallet.address,
            from_address=_address(),
            amount_stroops=amount.stroops,
            currency=CURRENCY,
            transaction_hash=tx_hash,
            chain_time=datetime.now(UTC),
        )
        member.account.credit(
            amount,
            source="stellar_deposit",
            counterparty=EXTERNAL_STELLAR,
            source_id=deposit.public_id,
            transaction_hash=tx_hash,
        )
        self._touch(deposit, member.account)

    def _credit(self) -> None:
        member = self._member()
        member.account.credit(
            self._amount(1, 50),
            source="adjustment",
            counterparty=EXTERNAL_ADJUSTMENTS,
            note="bench",
        )
        self._touch(member.account)

    def _debit(self) -> None:
        member = self._member()
        member.account.debit(
            self._amount(1, 60),
            destination="adjustment",
            counterparty=EXTERNAL_ADJUSTMENTS,
            note="bench",
        )
        self._touch(member.account)

    def _order(self) -> None:
        if len(self._people.created_orders) >= OPEN_MAX:
            self._reserve()
            return
        buyer, seller = self._member(), self._member()
        if buyer is seller:
            return
        order = Order(
            id=uuid.uuid4(),
            buyer_id=buyer.user.public_id,
            seller_id=seller.user.public_id,
            amount_stroops=self._amount(1, 80).stroops,
            currency=CURRENCY,
            title="bench order",
            description=None,
            client_order_ref=None,
            marketplace_metadata=None,
            platform_fee_bps=500,
            auto_release=None,
            milestones=[],
        )
        self._people.created_orders.append(order)
        self._touch(order)

    def _account_of(self, user_id: str) -> Account:
        return self._people.by_user[user_id].account

    def _reserve(self) -> None:
        orders = self._people.created_orders
        if not orders:
            return
        order = orders.pop(self._rng.randrange(len(orders)))
        buyer = self._account_of(order.buyer_id)
        buyer.reserve(Amount(order.amount_stroops, CURRENCY), hold_ref=order.public_id)
        order.mark_funds_reserved(buyer.available_stroops, buyer.reserved_stroops)
        self._people.reserved_orders.append(order)
        self._touch(order, buyer)

    def _cancel_order(self) -> None:
        orders = self._people.reserved_orders
        if not orders:
            return
        order = orders.pop(self._rng.randrange(len(orders)))
        buyer = self._account_of(order.buyer_id)
        if order.cancel("buyer", "bench"):
            buyer.release_reservation(hold_ref=order.public_id, reason="cancel")
        self._touch(order, buyer)

    def _withdraw(self) -> None:
        if len(self._people.withdrawals) >= OPEN_MAX:
            self._cancel_withdrawal()
            return
        member = self._member()
        amount = self._amount(5, 50)
        withdrawal = Withdrawal(
            id=uuid.uuid4(),
            user_id=member.user.public_id,
            source_address=member.wallet.address,
            amount_stroops=amount.stroops,
            currency=CURRENCY,
            destination_type="crypto",
            destination_ref=_address(),
            description=None,
        )
        member.account.reserve(amount, hold_ref=withdrawal.public_id)
        withdrawal.hold(member.account.available_stroops, member.account.reserved_stroops)
        self._people.withdrawals.append(withdrawal)
        self._touch(withdrawal, member.account)

    def _cancel_withdrawal(self) -> None:
        withdrawals = self._people.withdrawals
        if not withdrawals:
            return
        withdrawal = withdrawals.pop(self._rng.randrange(len(withdrawals)))
        account = self._account_of(withdrawal.user_id)
        withdrawal.cancel("user", "bench")
        account.release_reservation(hold_ref=withdrawal.public_id, reason="withdrawal_canceled")
        self._touch(withdrawal, account)
