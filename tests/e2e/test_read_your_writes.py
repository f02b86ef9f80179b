"""X-Min-Position: a read waits for its read models to reach the caller's write, and says so
when they cannot (503 with Retry-After, or 400 for a position no command ever answered) instead
of answering stale data."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

from tests.support.stack import Stack, running_stack

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def frozen_stack(database_factory: object, redis_url: str) -> Iterator[Stack]:
    """A stack whose read models never move: no runner applies the log."""
    with running_stack(database_factory(), redis_url, with_runner=False) as running:  # type: ignore[operator]
        yield running


def test_a_read_after_a_write_sees_it(stack: Stack) -> None:
    client = stack.client()
    created = client.post("/users", json={"externalUserId": f"ryw-{uuid.uuid4().hex}"})
    user, position = created.json()["data"]["id"], created.json()["meta"]["position"]
    credited = client.post(f"/users/{user}/balance/credit", json={"amount": "4", "reason": "r"})
    position = credited.json()["meta"]["position"]
    balance = client.get(f"/users/{user}/balance", headers={"X-Min-Position": str(position)})
    assert balance.status_code == 200
    assert balance.json()["data"]["available"] == "4.00"


def test_a_position_beyond_the_log_is_a_400_at_once(stack: Stack) -> None:
    response = stack.client().get("/users", headers={"X-Min-Position": "999999999999"})
    assert response.status_code == 400
    assert response.json()["error"]["details"]["field"] == "X-Min-Position"


def test_a_read_model_that_cannot_catch_up_in_time_is_a_503_not_stale_data(
    frozen_stack: Stack,
) -> None:
    client = frozen_stack.client()
    created = client.post("/users", json={"externalUserId": f"ryw-{uuid.uuid4().hex}"})
    assert created.status_code == 201, created.text
    user, position = created.json()["data"]["id"], created.json()["meta"]["position"]
    response = client.get(f"/users/{user}", headers={"X-Min-Position": str(position)})
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "1"
    error = response.json()["error"]
    assert error["code"] == "POSITION_NOT_REACHED"
    assert error["details"]["minPosition"] == position
