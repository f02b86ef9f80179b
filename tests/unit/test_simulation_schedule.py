"""The simulation's schedule comes from its seed alone, and its client judges answers by the
API's contract: what is definitive, and which 5xx are allowed."""

from __future__ import annotations

import itertools

import pytest

from simulation.amounts import cents, to_stroops, to_wire
from simulation.caller import Answer, allowed_5xx
from simulation.limits import KILL_KINDS, Limits
from simulation.schedule import Schedule

pytestmark = pytest.mark.unit

SHORT = Limits(duration_s=60, kills=6, clients=2, workers=2)


def test_the_same_seed_gives_the_same_schedule_and_another_seed_another() -> None:
    first, again, other = (Schedule.from_seed(s, SHORT) for s in (11, 11, 12))

    assert first.digest() == again.digest()
    assert first.kills == again.kills and first.faults == again.faults
    assert list(itertools.islice(first.intents(1), 50)) == list(
        itertools.islice(again.intents(1), 50)
    )
    assert first.digest() != other.digest()


def test_a_short_run_kills_every_kind_once_inside_the_load_and_faults_three_times_as_often() -> (
    None
):
    schedule = Schedule.from_seed(5, SHORT)

    assert schedule.kills_by_kind() == dict.fromkeys(KILL_KINDS, 1)
    assert all(SHORT.chaos_starts_after_s <= k.at_s < SHORT.duration_s for k in schedule.kills)
    assert len(schedule.faults) == 3 * SHORT.kills
    assert all(1 <= f.rule["count"] <= 3 for f in schedule.faults)


def test_stores_stay_down_within_the_limits_and_workers_are_picked_among_the_running() -> None:
    schedule = Schedule.from_seed(9, Limits(duration_s=900, kills=60, workers=2))

    for kill in schedule.kills:
        if kill.kind in ("postgres", "redis-keep", "redis-wipe"):
            assert 1.0 <= kill.downtime_s <= 8.0
        assert 0 <= kill.target < 2


@pytest.mark.parametrize(
    ("status", "code", "definitive"),
    [
        (200, None, True),
        (422, "INSUFFICIENT_FUNDS", True),
        (409, "INVALID_STATE", True),
        (409, "IDEMPOTENCY_KEY_IN_PROGRESS", False),
        (429, "RATE_LIMITED", False),
        (503, "SERVICE_UNAVAILABLE", False),
        (503, "COMMIT_OUTCOME_UNKNOWN", False),
        (502, "PROVIDER_ERROR", False),
        (None, None, False),
    ],
)
def test_only_an_answer_that_settles_the_command_is_definitive(
    status: int | None, code: str | None, definitive: bool
) -> None:
    body = {"error": {"code": code}} if code else {"data": {}}
    assert Answer(status, body).definitive is definitive


def test_only_503_and_the_documented_provider_answers_are_allowed_5xx() -> None:
    assert allowed_5xx(503, "SERVICE_UNAVAILABLE")
    assert allowed_5xx(503, None)
    assert allowed_5xx(502, "PROVIDER_ERROR")
    assert allowed_5xx(504, "PROVIDER_TIMEOUT")
    assert not allowed_5xx(500, "INTERNAL_ERROR")
    assert not allowed_5xx(502, "INTERNAL_ERROR")


def test_amounts_round_trip_between_the_wire_and_stroops() -> None:
    assert to_stroops("12.5") == 125_000_000
    assert to_stroops("0.0000001") == 1
    assert to_wire(125_000_000) == "12.5"
    assert to_wire(1) == "0.0000001"
    assert cents(12.349) == 123_400_000
    with pytest.raises(ValueError):
        to_stroops("0.00000001")
