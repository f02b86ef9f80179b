"""Optimistic concurrency: racing writers on one account never overdraw it."""

from __future__ import annotations

import threading
import uuid

import pytest

from application.context import CommandContext
from application.orders import OrderLimits, Orders, OrderTerms
from domain.errors import InsufficientFundsError
from domain.money import Amount
from interfaces.services import Services

pytestmark = pytest.mark.integration
CONTEXT = CommandContext(request_id="concurrency")
UNIT = 10**7


def funded_user(services: Services, stroops: int) -> str:
    user = services.use_cases.users.create_user(f"race-{uuid.uuid4().hex}", None, "BOTH", CONTEXT)
    services.use_cases.balances.adjust(
        user.user.user_id, "credit", Amount(stroops), "seed", CONTEXT
    )
    return user.user.user_id


def race(count: int, action: object) -> list[object]:
    barrier = threading.Barrier(count)
    outcomes: list[object] = [None] * count

    def run(index: int) -> None:
        barrier.wait()
        try:
            outcomes[index] = action()  # type: ignore[operator]
        except Exception as error:
            outcomes[index] = error

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return outcomes


def test_two_debits_racing_for_the_same_money_cannot_both_succeed(services: Services) -> None:
    user = funded_user(services, 100)
    outcomes = race(
        2, lambda: services.use_cases.balances.adjust(user, "debit", Amount(80), "race", CONTEXT)
    )
    refused = [o for o in outcomes if isinstance(o, InsufficientFundsError)]
    assert len(refused) == 1, outcomes
    assert services.use_cases.balances.account(user).available_stroops == 20


def test_many_racing_debits_spend_exactly_what_was_there(services: Services) -> None:
    user = funded_user(services, 1_000)
    outcomes = race(
        8, lambda: services.use_cases.balances.adjust(user, "debit", Amount(300), "race", CONTEXT)
    )
    succeeded = [o for o in outcomes if not isinstance(o, Exception)]
    assert all(isinstance(o, InsufficientFundsError) for o in outcomes if o not in succeeded)
    assert len(succeeded) == 3
    assert services.use_cases.balances.account(user).available_stroops == 100


def test_writers_in_separate_processes_conflict_optimistically_and_never_overdraw(
    services: Services, database_url: str
) -> None:
    """Two Ledger instances share no in-process locks (like two API processes): their debits
    collide on the account's version, the loser retries against the new balance."""
    from application.balances import Balances
    from application.ledger import Ledger
    from infrastructure.postgres.event_store import event_store_env

    user = funded_user(services, 100)
    ledgers = [Ledger(env=event_store_env(database_url)) for _ in range(2)]
    try:
        for ledger in ledgers:  # warm each cache so both decide from the same version
            Balances(ledger).account(user)
        turn = iter(ledgers)
        lock = threading.Lock()

        def debit() -> object:
            with lock:
                ledger = next(turn)
            return Balances(ledger).adjust(user, "debit", Amount(80), "race", CONTEXT)

        outcomes = race(2, debit)
        assert sum(isinstance(o, InsufficientFundsError) for o in outcomes) == 1, outcomes
        assert services.use_cases.balances.account(user).available_stroops == 20
    finally:
        for ledger in ledgers:
            ledger.close()


def two_orders_for(orders: Orders, services: Services, buyer: str, amount: Amount) -> list[str]:
    seller = services.use_cases.users.create_user(
        f"seller-{uuid.uuid4().hex}", None, "SELLER", CONTEXT
    )
    return [
        orders.create(
            OrderTerms(buyer, seller.user.user_id, amount, f"order {n}"), CONTEXT
        ).order.public_id
        for n in range(2)
    ]


def test_two_orders_racing_for_a_buyers_last_funds_reserve_exactly_one(services: Services) -> None:
    buyer = funded_user(services, 100 * UNIT)
    first, second = two_orders_for(services.use_cases.orders, services, buyer, Amount(80 * UNIT))
    reserving = iter((first, second))
    lock = threading.Lock()

    def reserve() -> object:
        with lock:
            order_id = next(reserving)
        return services.use_cases.orders.reserve(order_id, CONTEXT)

    outcomes = race(2, reserve)
    assert sum(isinstance(o, InsufficientFundsError) for o in outcomes) == 1, outcomes
    account = services.use_cases.balances.account(buyer)
    assert (account.available_stroops, account.reserved_stroops) == (20 * UNIT, 80 * UNIT)
    statuses = sorted(services.use_cases.orders.get(o).status for o in (first, second))
    assert statuses == ["FUNDS_RESERVED", "ORDER_CREATED"]


def test_orders_reserving_from_separate_processes_never_overdraw_the_buyer(
    services: Services, database_url: str
) -> None:
    """As above, through two Ledger instances (two API processes): the account's version
    decides, the loser retries against the new balance and is refused."""
    from application.ledger import Ledger
    from infrastructure.postgres.event_store import event_store_env

    buyer = funded_user(services, 100 * UNIT)
    first, second = two_orders_for(services.use_cases.orders, services, buyer, Amount(80 * UNIT))
    ledgers = [Ledger(env=event_store_env(database_url)) for _ in range(2)]
    try:
        limits = OrderLimits(1, 10**15, 500)
        apps = [Orders(ledger, services.resources.clock, limits) for ledger in ledgers]
        for app, order_id in zip(apps, (first, second), strict=True):
            app.get(order_id)  # warm each cache so both decide from the same version
        work = iter(zip(apps, (first, second), strict=True))
        lock = threading.Lock()

        def reserve() -> object:
            with lock:
                app, order_id = next(work)
            return app.reserve(order_id, CONTEXT)

        outcomes = race(2, reserve)
        assert sum(isinstance(o, InsufficientFundsError) for o in outcomes) == 1, outcomes
        account = services.use_cases.balances.account(buyer)
        assert (account.available_stroops, account.reserved_stroops) == (20 * UNIT, 80 * UNIT)
    finally:
        for ledger in ledgers:
            ledger.close()
