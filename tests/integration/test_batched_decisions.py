"""Commands that reach the group committer together are decided in sequence against the state
the ones before them left, and recorded in one transaction; a refusal fails only its command."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pytest

from application.balances import BalanceChange, Balances
from application.context import CommandContext
from application.ledger import Ledger
from domain.accounts import Account, account_id_for
from domain.errors import InsufficientFundsError
from domain.money import Amount
from infrastructure.postgres.event_store import event_store_env
from interfaces.services import Services

pytestmark = pytest.mark.integration
CONTEXT = CommandContext(request_id="batched-decisions")
QUEUE_WAIT_S = 10


def funded_user(services: Services, stroops: int) -> str:
    user = services.use_cases.users.create_user(f"batch-{uuid.uuid4().hex}", None, "BOTH", CONTEXT)
    services.use_cases.balances.adjust(
        user.user.user_id, "credit", Amount(stroops), "seed", CONTEXT
    )
    return user.user.user_id


@contextmanager
def committer_held(ledger: Ledger, holder: str) -> Iterator[threading.Event]:
    """Keeps `ledger`'s committer busy deciding a command on `holder`'s account until the
    yielded event is set, so every command submitted meanwhile lands in the next batch."""
    release, deciding = threading.Event(), threading.Event()

    def hold(account: Account) -> None:
        deciding.set()
        release.wait(QUEUE_WAIT_S)

    thread = threading.Thread(
        target=ledger.change,
        args=(Account, account_id_for(holder), hold),
        kwargs={"context": CONTEXT, "outcome": lambda account, position: None},
    )
    thread.start()
    assert deciding.wait(QUEUE_WAIT_S)
    try:
        yield release
    finally:
        release.set()
        thread.join(timeout=QUEUE_WAIT_S)


def started(outcomes: list[object], index: int, command: Callable[[], object]) -> threading.Thread:
    """A thread running `command`, its result or error kept in `outcomes[index]`."""

    def run() -> None:
        try:
            outcomes[index] = command()
        except Exception as error:
            outcomes[index] = error

    thread = threading.Thread(target=run)
    thread.start()
    return thread


def wait_queued(ledger: Ledger, count: int) -> None:
    deadline = time.monotonic() + QUEUE_WAIT_S
    while ledger.commands_waiting() < count and time.monotonic() < deadline:
        time.sleep(0.005)
    assert ledger.commands_waiting() == count


def queued(ledger: Ledger, count: int, command: Callable[[], object]) -> list[object]:
    """Starts `count` runs of `command` and waits until all of them wait in the committer."""
    outcomes: list[object] = [None] * count
    queued.threads = [started(outcomes, i, command) for i in range(count)]  # type: ignore[attr-defined]
    wait_queued(ledger, count)
    return outcomes


def queued_in_order(ledger: Ledger, commands: list[Callable[[], object]]) -> list[object]:
    """Starts each command once the one before it waits in the committer: the batch decides
    them in this order."""
    outcomes: list[object] = [None] * len(commands)
    queued.threads = []  # type: ignore[attr-defined]
    for index, command in enumerate(commands):
        queued.threads.append(started(outcomes, index, command))  # type: ignore[attr-defined]
        wait_queued(ledger, index + 1)
    return outcomes


def moved_past_by_theirs(user: str, ours: Ledger, theirs: Ledger) -> None:
    """`ours` records the account of `user` (100) at 110; `theirs` then debits the store's to
    60, so the state `ours` would decide on is stale."""
    Balances(ours).adjust(user, "credit", Amount(10), "ours", CONTEXT)
    Balances(theirs).adjust(user, "debit", Amount(50), "theirs", CONTEXT)


def balance_copier(ledger: Ledger, source: str, seen: list[int]) -> Callable[[Account], None]:
    """A decision crediting its account with what `ledger` finds the source holding (noted in
    `seen`): it reads the source without writing it."""

    def copy_the_source_balance(account: Account) -> None:
        seen.append(ledger.require(Account, account_id_for(source)).available_stroops)
        account.credit(Amount(seen[-1]), source="adjustment", counterparty="external:test")

    return copy_the_source_balance


def joined() -> None:
    for thread in queued.threads:  # type: ignore[attr-defined]
        thread.join(timeout=QUEUE_WAIT_S)


@pytest.fixture
def ledger(database_url: str) -> Iterator[Ledger]:
    built = Ledger(env=event_store_env(database_url))
    yield built
    built.close()


def test_debits_batched_on_one_account_spend_exactly_what_was_there(
    services: Services, ledger: Ledger
) -> None:
    holder, payer = funded_user(services, 1), funded_user(services, 1_000)
    balances = Balances(ledger)
    version_before = balances.account(payer).version
    with committer_held(ledger, holder):
        outcomes = queued(
            ledger, 5, lambda: balances.adjust(payer, "debit", Amount(300), "batch", CONTEXT)
        )
    joined()
    succeeded = [o for o in outcomes if isinstance(o, BalanceChange)]
    refused = [o for o in outcomes if isinstance(o, InsufficientFundsError)]
    assert (len(succeeded), len(refused)) == (3, 2), outcomes
    account = services.use_cases.balances.account(payer)
    assert account.available_stroops == 100
    assert account.version == version_before + 3  # the refused left no event behind


def test_each_batched_command_answers_with_the_balance_its_own_decision_left(
    services: Services, ledger: Ledger
) -> None:
    holder, payee = funded_user(services, 1), funded_user(services, 5)
    balances = Balances(ledger)
    with committer_held(ledger, holder):
        outcomes = queued(
            ledger, 4, lambda: balances.adjust(payee, "credit", Amount(10), "batch", CONTEXT)
        )
    joined()
    changes = sorted(
        (o for o in outcomes if isinstance(o, BalanceChange)), key=lambda c: c.position
    )
    assert [(c.previous_available_stroops, c.available_stroops) for c in changes] == [
        (5, 15),
        (15, 25),
        (25, 35),
        (35, 45),
    ]
    assert len({c.position for c in changes}) == 4


def test_a_refused_command_in_a_batch_leaves_the_others_committed_and_itself_unrecorded(
    services: Services, ledger: Ledger
) -> None:
    holder, rich, poor = (funded_user(services, n) for n in (1, 500, 50))
    balances = Balances(ledger)
    poor_version = balances.account(poor).version
    work = iter([(rich, 100), (poor, 80), (rich, 100)])
    lock = threading.Lock()

    def debit() -> object:
        with lock:
            user, stroops = next(work)
        return balances.adjust(user, "debit", Amount(stroops), "batch", CONTEXT)

    with committer_held(ledger, holder):
        outcomes = queued(ledger, 3, debit)
    joined()
    assert sum(isinstance(o, InsufficientFundsError) for o in outcomes) == 1, outcomes
    assert services.use_cases.balances.account(rich).available_stroops == 300
    assert services.use_cases.balances.account(poor).available_stroops == 50
    assert services.use_cases.balances.account(poor).version == poor_version


def test_batches_racing_in_two_processes_for_the_same_money_never_overdraw(
    services: Services, database_url: str
) -> None:
    """Two Ledgers (two API processes) each decide a batch of debits from the same version:
    one batch commits, the other's version check refuses it and its commands decide again on
    the balance the winner left."""
    holder, payer = funded_user(services, 1), funded_user(services, 1_000)
    ledgers = [Ledger(env=event_store_env(database_url)) for _ in range(2)]
    try:
        for built in ledgers:  # warm each cache so both decide from the same version
            Balances(built).account(payer)
        batches: list[list[object]] = []
        held = [committer_held(built, holder) for built in ledgers]
        releases = [h.__enter__() for h in held]
        thread_sets = []
        for built in ledgers:
            balances = Balances(built)
            batches.append(
                queued(
                    built, 4, lambda b=balances: b.adjust(payer, "debit", Amount(150), "r", CONTEXT)
                )
            )
            thread_sets.append(queued.threads)  # type: ignore[attr-defined]
        for release in releases:
            release.set()
        for h in held:
            h.__exit__(None, None, None)
        for threads in thread_sets:
            for thread in threads:
                thread.join(timeout=QUEUE_WAIT_S)
        outcomes = [o for batch in batches for o in batch]
        assert sum(isinstance(o, BalanceChange) for o in outcomes) == 6, outcomes
        assert sum(isinstance(o, InsufficientFundsError) for o in outcomes) == 2, outcomes
        assert services.use_cases.balances.account(payer).available_stroops == 100
    finally:
        for built in ledgers:
            built.close()


def test_a_debit_refused_on_the_state_this_process_recorded_is_confirmed_against_the_store(
    services: Services, database_url: str
) -> None:
    """The committer decides on the state its own process last recorded; when another process
    has credited the account since, a debit that state would refuse is tried again on the
    store's state, and passes."""
    user = funded_user(services, 100)
    ours, theirs = (Ledger(env=event_store_env(database_url)) for _ in range(2))
    try:
        Balances(ours).adjust(user, "credit", Amount(10), "ours", CONTEXT)  # ours: 110 known
        Balances(theirs).adjust(user, "credit", Amount(1_000), "theirs", CONTEXT)  # store: 1,110
        change = Balances(ours).adjust(user, "debit", Amount(500), "ours", CONTEXT)
        assert (change.previous_available_stroops, change.available_stroops) == (1_110, 610)
        with pytest.raises(InsufficientFundsError):  # confirmed: the store holds 610 too
            Balances(ours).adjust(user, "debit", Amount(700), "ours", CONTEXT)
    finally:
        ours.close()
        theirs.close()


def test_a_credit_decided_on_a_state_another_process_moved_past_is_decided_again(
    services: Services, database_url: str
) -> None:
    """A decision on a stale recorded state conflicts at commit (the version check) and is
    decided again on the store's state: nothing is lost or counted twice."""
    user = funded_user(services, 100)
    ours, theirs = (Ledger(env=event_store_env(database_url)) for _ in range(2))
    try:
        Balances(ours).adjust(user, "credit", Amount(1), "ours", CONTEXT)
        Balances(theirs).adjust(user, "debit", Amount(50), "theirs", CONTEXT)
        change = Balances(ours).adjust(user, "credit", Amount(7), "ours", CONTEXT)
        assert (change.previous_available_stroops, change.available_stroops) == (51, 58)
        assert services.use_cases.balances.account(user).available_stroops == 58
    finally:
        ours.close()
        theirs.close()


def test_a_state_a_decision_reads_without_writing_is_confirmed_against_the_store(
    services: Services, database_url: str
) -> None:
    """No version check covers an aggregate a decision only reads: if this process's recorded
    state of it is stale, the command is decided again on the store's."""
    reader, source = funded_user(services, 100), funded_user(services, 100)
    ours, theirs = (Ledger(env=event_store_env(database_url)) for _ in range(2))
    try:
        moved_past_by_theirs(source, ours, theirs)
        seen: list[int] = []
        copy_the_source_balance = balance_copier(ours, source, seen)

        ours.change(
            Account,
            account_id_for(reader),
            copy_the_source_balance,
            context=CONTEXT,
            outcome=lambda account, position: None,
        )
        assert seen[-1] == 60
        assert services.use_cases.balances.account(reader).available_stroops == 160
    finally:
        ours.close()
        theirs.close()


def test_a_batch_of_credits_on_states_this_process_recorded_asks_the_store_nothing_first(
    services: Services, ledger: Ledger
) -> None:
    """Each command of the batch writes what it decided on, and the version check at the
    batch's commit covers every write: no state needs confirming before it."""
    holder = funded_user(services, 1)
    payees = [funded_user(services, 5) for _ in range(4)]
    balances = Balances(ledger)
    for payee in payees:  # recorded by this process: decided on without loading
        balances.adjust(payee, "credit", Amount(1), "known", CONTEXT)
    asked: list[uuid.UUID] = []
    moved = ledger._decided._moved

    def counted(aggregate_id: uuid.UUID, version: int) -> bool:
        asked.append(aggregate_id)
        return moved(aggregate_id, version)

    ledger._decided._moved = counted
    work = iter(payees)
    lock = threading.Lock()

    def credit() -> object:
        with lock:
            payee = next(work)
        return balances.adjust(payee, "credit", Amount(10), "batch", CONTEXT)

    with committer_held(ledger, holder):
        outcomes = queued(ledger, len(payees), credit)
    joined()
    assert all(isinstance(o, BalanceChange) for o in outcomes), outcomes
    assert asked == []
    for payee in payees:
        assert services.use_cases.balances.account(payee).available_stroops == 16


@pytest.mark.parametrize(
    ("order", "decided_on"),
    [(("write", "read"), [111, 61]), (("read", "write"), [110, 61])],
    ids=["written-earlier-in-the-batch", "read-before-the-batch-writes-it"],
)
def test_a_stale_state_a_batch_reads_never_decides_what_it_commits(
    services: Services, database_url: str, order: tuple[str, str], decided_on: list[int]
) -> None:
    """Another process has moved the source account past this process's recorded state. Read
    after an earlier command of the batch wrote it, the source is covered by that write's
    version check, which refuses the batch at commit, and both commands decide again on the
    store's state; read before anything in the batch writes it, it is confirmed against the
    store first. Either way the copy credited is the store's balance, never the stale one."""
    holder, reader, source = (funded_user(services, 100) for _ in range(3))
    ours, theirs = (Ledger(env=event_store_env(database_url)) for _ in range(2))
    try:
        moved_past_by_theirs(source, ours, theirs)
        seen: list[int] = []
        copy_the_source_balance = balance_copier(ours, source, seen)

        commands: dict[str, Callable[[], object]] = {
            "write": lambda: Balances(ours).adjust(source, "credit", Amount(1), "ours", CONTEXT),
            "read": lambda: ours.change(
                Account,
                account_id_for(reader),
                copy_the_source_balance,
                context=CONTEXT,
                outcome=lambda account, position: None,
            ),
        }
        with committer_held(ours, holder):
            outcomes = queued_in_order(ours, [commands[name] for name in order])
        joined()
        assert not any(isinstance(o, Exception) for o in outcomes), outcomes
        assert seen == decided_on
        assert services.use_cases.balances.account(source).available_stroops == 61
        assert services.use_cases.balances.account(reader).available_stroops == 161
    finally:
        ours.close()
        theirs.close()
