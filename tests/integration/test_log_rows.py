"""The recorder reads the log as eventsourcing's own query does — the same rows, in the same
order, for every combination of bounds and topics — as tuples its mapper reads like
notifications."""

from __future__ import annotations

import uuid

import pytest
from eventsourcing.postgres import PostgresApplicationRecorder

from application.context import CommandContext
from domain.money import Amount
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
