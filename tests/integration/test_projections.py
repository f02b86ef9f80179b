"""Read models: every event applied exactly once across runner restarts, and a rebuild from the
log yields exactly what incremental processing built."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from psycopg import Cursor

from application.context import CommandContext
from application.ledger import topic_of
from domain.money import Amount
from domain.postings import broken_invariants
from domain.users import User
from interfaces.bootstrap import ensure_projections
from interfaces.services import Services
from interfaces.workers.loops import default_loops, runner_of
from projections.log_reader import LogReader
from projections.rebuild import rebuild_together
from projections.stalls import EventNotAppliedError
from projections.store import ProjectionStore
from projections.users.projection import UsersProjection
from tests.support.read_models import snapshot
from tests.support.waiting import wait_until

pytestmark = pytest.mark.integration
CONTEXT = CommandContext(request_id="projections")


def populate(services: Services, users: int) -> list[str]:
    ids = []
    for n in range(users):
        created = services.use_cases.users.create_user(
            f"p-{uuid.uuid4().hex}", None, "BOTH", CONTEXT
        )
        user = created.user.user_id
        services.use_cases.balances.adjust(user, "credit", Amount(1_000 + n), "seed", CONTEXT)
        services.use_cases.balances.adjust(user, "debit", Amount(7), "fee", CONTEXT)
        ids.append(user)
    return ids


def small_pages(services: Services) -> None:
    """Pages of 5 events, so a runner stopped early is stopped in the middle of the log."""
    stores, resources = services.resources.projections, services.resources
    stores.update(
        {
            name: ProjectionStore(store.projection, resources.pool, resources.ledger, page_size=5)
            for name, store in stores.items()
        }
    )


def test_each_projection_applies_every_event_once_across_a_runner_restart(
    fresh_services: Services,
) -> None:
    services = fresh_services
    small_pages(services)
    ensure_projections(services)
    populate(services, 12)
    first = runner_of(services, default_loops(services))
    first.start()
    wait_until(
        lambda: services.resources.projections["event_feed"].position() > 10, message="progress"
    )
    first.stop()
    populate(services, 5)
    second = runner_of(services, default_loops(services))
    second.start()
    head = services.resources.ledger.head_position()
    for store in services.resources.projections.values():
        wait_until(lambda s=store: s.position() >= head, message=f"{store.name} to catch up")
    second.stop()

    with services.resources.pool.connection() as conn:
        events = conn.execute("SELECT count(*) AS n FROM rm_event_feed.events").fetchone()
        stored = conn.execute("SELECT count(*) AS n FROM ledger_events").fetchone()
        balances = conn.execute(
            "SELECT user_id, available_stroops FROM rm_balances.balances"
        ).fetchall()
    assert events["n"] == stored["n"]
    ledger_balances = services.views.ledger_entries.balances()
    assert broken_invariants(ledger_balances) == []
    for row in balances:
        expected = services.use_cases.balances.account(row["user_id"]).available_stroops
        assert row["available_stroops"] == expected
        assert ledger_balances[f"user:{row['user_id']}:available"] == expected


def test_rebuild_yields_exactly_what_incremental_processing_built(
    fresh_services: Services,
) -> None:
    services = fresh_services
    ensure_projections(services)
    populate(services, 6)
    for store in services.resources.projections.values():
        store.catch_up()
    before = snapshot(services)
    assert before["rm_users.users"] and before["rm_ledger_entries.entries"]
    for store in services.resources.projections.values():
        store.rebuild()
    assert snapshot(services) == before
    indexes_before = indexes(services)
    stores = list(services.resources.projections.values())
    assert rebuild_together(stores, services.resources.ledger, page_size=7) > 0
    assert snapshot(services) == before
    assert indexes(services) == indexes_before  # built after the load, none forgotten
    assert "events_user_ids_idx" in indexes_before["rm_event_feed"]


def indexes(services: Services) -> dict[str, set[str]]:
    with services.resources.pool.connection() as conn:
        rows = conn.execute(
            "SELECT schemaname, indexname FROM pg_indexes WHERE schemaname LIKE 'rm\\_%'"
        ).fetchall()
    found: dict[str, set[str]] = {}
    for row in rows:
        found.setdefault(row["schemaname"], set()).add(row["indexname"])
    return found


def test_a_rebuild_while_the_runner_runs_loses_and_duplicates_nothing(
    fresh_services: Services,
) -> None:
    services = fresh_services
    ensure_projections(services)
    runner = runner_of(services, default_loops(services))
    runner.start()
    try:
        populate(services, 4)
        services.resources.projections["ledger_entries"].rebuild()
        populate(services, 4)
        head = services.resources.ledger.head_position()
        for store in services.resources.projections.values():
            wait_until(lambda s=store: s.position() >= head, message=f"{store.name}")
    finally:
        runner.stop()
    live = snapshot(services)
    for store in services.resources.projections.values():
        store.rebuild()
    assert snapshot(services) == live
    rebuild_together(list(services.resources.projections.values()), services.resources.ledger)
    assert snapshot(services) == live


def test_a_rebuild_of_every_model_that_one_cannot_finish_leaves_every_live_model_as_it_was(
    fresh_services: Services,
) -> None:
    services = fresh_services
    resources = services.resources
    ensure_projections(services)
    populate(services, 3)
    for store in resources.projections.values():
        store.catch_up()
    live = snapshot(services)
    stores = [*resources.projections.values()]
    stores.append(ProjectionStore(BrokenCopyOfUsers(), resources.pool, resources.ledger))
    with pytest.raises(EventNotAppliedError):
        rebuild_together(stores, resources.ledger)
    assert snapshot(services) == live
    with resources.pool.connection() as conn:
        leftovers = conn.execute(
            "SELECT nspname FROM pg_namespace WHERE nspname LIKE 'rm\\_%\\_\\_next'"
        ).fetchall()
    assert leftovers == []


def test_a_projection_whose_version_changed_is_rebuilt_when_its_loop_starts(
    fresh_services: Services,
) -> None:
    services = fresh_services
    ensure_projections(services)
    populate(services, 2)
    store = services.resources.projections["users"]
    store.catch_up()
    with services.resources.pool.connection() as conn:
        conn.execute("UPDATE rm_users.tracking SET version = 0")
        conn.execute("DELETE FROM rm_users.users")
    assert store.status().needs_rebuild
    runner = runner_of(services, default_loops(services))
    runner.start()
    try:
        wait_until(lambda: not store.status().needs_rebuild, message="rebuild")
        wait_until(lambda: store.status().lag == 0, message="catch up")
    finally:
        runner.stop()
    with services.resources.pool.connection() as conn:
        assert conn.execute("SELECT count(*) AS n FROM rm_users.users").fetchone()["n"] == 2


class BrokenUsersProjection(UsersProjection):
    """The users read model with a handler that fails on every event it meets."""

    def apply(self, cursor: Cursor[Any], event: Any, position: int) -> None:
        raise RuntimeError("a handler bug")


class BrokenCopyOfUsers(BrokenUsersProjection):
    """The same, as a read model of its own beside the real one."""

    name = "broken_users"


def test_a_failing_projection_stops_only_itself_while_the_others_share_the_reader(
    fresh_services: Services,
) -> None:
    services = fresh_services
    resources = services.resources
    resources.projections["users"] = ProjectionStore(
        BrokenUsersProjection(), resources.pool, resources.ledger
    )
    ensure_projections(services)
    loops = default_loops(services)
    assert len({id(loop.reader) for loop in loops if loop.reader}) == 1
    runner = runner_of(services, loops)
    runner.start()
    try:
        populate(services, 3)
        head = resources.ledger.head_position()
        for name, store in resources.projections.items():
            if name != "users":
                wait_until(lambda s=store: s.position() >= head, message=f"{name}")
        # It stops just before the first event it cannot apply: position 1 unless the runner's
        # event feed recorded the audit chain's version there first (it races the commands).
        first_user = resources.ledger.read(after=0, limit=1, topics=[topic_of(User.Created)])
        assert resources.projections["users"].position() == first_user[0][0] - 1
    finally:
        runner.stop()


def stored_position(services: Services, schema: str) -> int:
    with services.resources.pool.connection() as conn:
        row = conn.execute(f"SELECT position FROM {schema}.tracking").fetchone()
    assert row is not None
    return int(row["position"])


def test_a_page_a_projection_does_not_read_costs_it_no_transaction_yet_counts_as_applied(
    fresh_services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    services = fresh_services
    resources = services.resources
    ensure_projections(services)
    reader = LogReader(resources.ledger)
    generation = [0]
    reader.follow(lambda: generation[0])
    disputes, balances = resources.projections["disputes"], resources.projections["balances"]
    populate(services, 2)  # users and credits: nothing a dispute projection reads
    head = resources.ledger.head_position()
    generation[0] += 1

    assert disputes.catch_up(reader=reader) == head
    assert balances.catch_up(reader=reader) == head
    assert stored_position(services, "rm_disputes") == 0  # passed over: no transaction
    assert stored_position(services, "rm_balances") == head
    assert disputes.position() == head
    assert disputes.has_applied(head)
    assert not disputes.has_applied(head + 1)  # never a position not yet committed

    monkeypatch.setattr("projections.store.IDLE_FLUSH_S", 0.0)
    assert disputes.catch_up(reader=reader) == 0  # the log is quiet: the position is stored
    assert stored_position(services, "rm_disputes") == head


def test_a_projection_that_passed_over_events_still_stops_before_the_first_it_reads(
    fresh_services: Services,
) -> None:
    services = fresh_services
    resources = services.resources
    resources.projections["users"] = ProjectionStore(
        BrokenUsersProjection(), resources.pool, resources.ledger
    )
    ensure_projections(services)
    first_user_event = resources.ledger.head_position() + 1
    populate(services, 1)
    assert resources.projections["users"].position() == first_user_event - 1
    assert not resources.projections["users"].has_applied(first_user_event)
