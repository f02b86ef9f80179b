"""The webhook delivery log keeps attempts for WEBHOOK_DELIVERY_RETENTION_DAYS, then housekeeping
deletes them, in batches, oldest first."""

from __future__ import annotations

import uuid

import pytest

from application.webhook_deliveries import DELIVERED, FAILED, Attempt
from interfaces.services import Services

pytestmark = pytest.mark.integration
RETENTION_DAYS = 30


def logged(services: Services, endpoint_id: str, age_days: int, outcome: str = DELIVERED) -> str:
    delivery_id = f"dlv_{uuid.uuid4().hex}"
    services.resources.deliveries.record(
        Attempt(delivery_id, endpoint_id, f"evt_{uuid.uuid4().hex}", 1, 1, outcome)
    )
    with services.resources.pool.connection() as conn:
        conn.execute(
            "UPDATE webhook_deliveries SET attempted_at = now() - make_interval(days => %s)"
            " WHERE delivery_id = %s",
            (age_days, delivery_id),
        )
    return delivery_id


def test_attempts_past_retention_are_purged_and_recent_ones_kept(services: Services) -> None:
    endpoint_id = f"whe_{uuid.uuid4().hex}"
    old = [
        logged(services, endpoint_id, RETENTION_DAYS + 1, outcome)
        for outcome in (FAILED, DELIVERED)
    ]
    recent = logged(services, endpoint_id, RETENTION_DAYS - 1)

    while services.resources.deliveries.purge_older_than(RETENTION_DAYS):
        pass  # other tests' rows may be purged too; only this endpoint's are asserted

    remaining = {
        a.delivery_id for a in services.resources.deliveries.attempts(endpoint_id, None, 10)
    }
    assert remaining == {recent}
    assert not any(services.resources.deliveries.delivered(d) for d in old)
    assert services.resources.deliveries.delivered(recent)
