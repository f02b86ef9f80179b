"""The recorder reads the log as eventsourcing's own query does — the same rows, in the same
order, for every combination of bounds and topics — as tuples its mapper reads like
notifications."""

from __future__ import annotations

import uuid

import pytest
from eventsourcing.postgres import PostgresApplicationRecorder

from application.context import CommandContext
from domain.money import Amount
from interfaces.bootstrap import ensure_projections
from interfaces.services import Services

pytestmark = pytest.mark.integration
CONTEXT = CommandContext(request_id="log-rows")


def as_stock(notification: object) -> tuple[object, ...]:
    return tuple(
        getattr(notification, name)
        for name in ("id", "originator_id", "originator_version", "topic", "state")
    )


def test_every_query_shape_reads_the_rows_eventsourcing_reads(services: Services) -> None:
    use_cases = services.use_cases
    user = use_cases.users.create_user(f"rows-{uuid.uuid4().hex}", None, "BOTH", CONTEXT)
    for stroops in (10, 20, 30):
        use_cases.balances.adjust(user.user.user_id, "credit", Amount(stroops), "rows", CONTEXT)
    ledger = services.resources.ledger
    recorder = ledger.recorder
    head = ledger.head_position()
    topics = sorted({row.topic for row in recorder.select_notifications(start=None, limit=50)})
    shapes = [
        {"start": None, "limit": 50},
        {"start": head - 3, "limit": 2},
        {"start": head - 3, "limit": 10, "inclusive_of_start": False},
        {"start": 1, "limit": 1000, "stop": head - 1},
        # Up to a stop without topics (a rebuild's pages): cut by the limit, then by the stop.
        {"start": head - 4, "limit": 2, "stop": head, "inclusive_of_start": False},
        {"start": None, "limit": 3, "stop": head - 1},
        {"start": head - 2, "limit": 10, "stop": head - 1},
        {"start": 0, "limit": 1000, "topics": topics[:2]},
        {
            "start": head - 5,
            "limit": 3,
            "stop": head,
            "topics": tuple(topics),
            "inclusive_of_start": False,
        },
    ]
    for shape in shapes:
        ours = recorder.select_notifications(**shape)  # type: ignore[arg-type]
        stock = PostgresApplicationRecorder.select_notifications(recorder, **shape)  # type: ignore[arg-type]
        assert [tuple(row) for row in ours] == [as_stock(n) for n in stock], shape
        assert all(type(row.state) is bytes for row in ours)
    assert ledger.read(after=head - 3, limit=10) == [
        (n.id, ledger.mapper.to_domain_event(n))
        for n in PostgresApplicationRecorder.select_notifications(
            recorder, start=head - 3, limit=10, inclusive_of_start=False
        )
    ]


def credit_a_new_user(services: Services) -> None:
    use_cases = services.use_cases
    user = use_cases.users.create_user(f"stats-{uuid.uuid4().hex}", None, "BOTH", CONTEXT)
    for stroops in (10, 20, 30):
        use_cases.balances.adjust(user.user.user_id, "credit", Amount(stroops), "stats", CONTEXT)


def planned_and_stored_rows(services: Services) -> tuple[float, int]:
    """The planner's row count of the log (-1 before any statistics) and the real one."""
    recorder = services.resources.ledger.recorder
    table = recorder.events_table_name  # type: ignore[attr-defined]
    with recorder.datastore.get_connection() as conn:  # type: ignore[attr-defined]
        row = conn.execute(
            "SELECT c.reltuples AS planned, (SELECT count(*) FROM " + table + ") AS stored"
            " FROM pg_class c WHERE c.relname = %s",
            (table,),
        ).fetchone()
    return float(row["planned"]), int(row["stored"])


def test_a_rebuild_first_brings_the_logs_statistics_up_to_date(fresh_services: Services) -> None:
    """Without statistics a long read of one topic is planned as a sort of everything left on
    every page; a rebuild asks the database to sample the log first."""
    ensure_projections(fresh_services)
    credit_a_new_user(fresh_services)
    assert planned_and_stored_rows(fresh_services)[0] == -1
    fresh_services.resources.projections["balances"].rebuild()
    planned, stored = planned_and_stored_rows(fresh_services)
    assert planned == stored > 0


def test_a_new_read_model_over_a_written_log_brings_its_statistics_up_to_date(
    fresh_services: Services,
) -> None:
    credit_a_new_user(fresh_services)
    assert planned_and_stored_rows(fresh_services)[0] == -1
    ensure_projections(fresh_services)  # every read model is new here, and catches up from 0
    planned, stored = planned_and_stored_rows(fresh_services)
    assert planned == stored > 0
