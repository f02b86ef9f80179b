"""A milestone is a frozen value: its stored record reads back as the same value, one rule says
which of its requests is in flight, and each request is refused when it cannot be taken."""

from __future__ import annotations

import pytest

from domain.errors import InvalidAmountError, InvalidStateError, ValidationError
from domain.milestones import Milestone, MilestoneRequest, allocate, check_milestones
from domain.order_states import MilestoneStatus

pytestmark = pytest.mark.unit

# A milestone as events written before the value type existed store it.
STORED = {
    "ref": "design",
    "title": "Design",
    "amountStroops": 200_000_000,
    "status": "COMPLETED",
    "completionRequested": True,
    "approvalRequested": True,
    "approved": False,
    "releaseRequested": False,
    "released": False,
    "disputed": False,
    "resolved": False,
}


def test_a_stored_record_reads_back_as_the_same_record() -> None:
    milestone = Milestone.from_record(STORED)
    assert (milestone.ref, milestone.amount_stroops, milestone.status) == (
        "design",
        200_000_000,
        MilestoneStatus.COMPLETED,
    )
    assert milestone.as_record() == STORED
    assert list(milestone.as_record()) == list(STORED)  # the stored key order too
    assert type(milestone.as_record()["status"]) is str


def test_a_new_milestone_is_open_with_nothing_asked() -> None:
    fresh = Milestone("m0", "M", 10)
    assert (fresh.status, fresh.pending_request(), fresh.is_held) == ("OPEN", None, True)


def test_the_request_in_flight_is_the_first_one_not_yet_on_chain() -> None:
    milestone = Milestone("m0", "M", 10).with_request(MilestoneRequest.COMPLETION)
    assert milestone.pending_request() is MilestoneRequest.COMPLETION
    milestone = milestone.with_completion().with_request(MilestoneRequest.APPROVAL)
    assert milestone.pending_request() is MilestoneRequest.APPROVAL
    milestone = milestone.with_approval().with_request(MilestoneRequest.RELEASE)
    assert milestone.pending_request() is MilestoneRequest.RELEASE
    released = milestone.with_release()
    assert (released.pending_request(), released.is_held) == (None, False)


def test_approval_and_release_need_a_completed_milestone_and_each_is_asked_once() -> None:
    open_one = Milestone("m0", "M", 10)
    for request in (MilestoneRequest.APPROVAL, MilestoneRequest.RELEASE):
        with pytest.raises(InvalidStateError, match="only a completed milestone"):
            open_one.check_request(request)
    asked = open_one.with_request(MilestoneRequest.COMPLETION)
    with pytest.raises(InvalidStateError, match="already completed"):
        asked.check_request(MilestoneRequest.COMPLETION)
    done = asked.with_completion()
    done.check_request(MilestoneRequest.APPROVAL)
    with pytest.raises(InvalidStateError, match="already approved"):
        done.with_approval().check_request(MilestoneRequest.APPROVAL)
    with pytest.raises(InvalidStateError, match="already released"):
        done.with_request(MilestoneRequest.RELEASE).check_request(MilestoneRequest.RELEASE)


def test_a_resolution_ends_the_dispute_and_the_hold() -> None:
    resolved = Milestone("m0", "M", 10).with_dispute().with_resolution()
    assert (resolved.disputed, resolved.resolved, resolved.is_held) == (False, True, False)


def test_milestones_must_be_unique_few_enough_and_sum_to_the_order() -> None:
    check_milestones([Milestone("a", "A", 4), Milestone("b", "B", 6)], 10)
    with pytest.raises(InvalidAmountError):
        check_milestones([Milestone("a", "A", 4)], 10)
    with pytest.raises(ValidationError, match="unique"):
        check_milestones([Milestone("a", "A", 5), Milestone("a", "B", 5)], 10)
    with pytest.raises(ValidationError, match="at most"):
        check_milestones([Milestone(f"m{i}", "M", 1) for i in range(11)], 11)


def test_a_split_fills_the_first_milestones_with_the_sellers_share() -> None:
    assert allocate([(0, 30), (1, 70)], 50) == [[0, 30, 0], [1, 20, 50]]
    assert allocate([(2, 10)], 0) == [[2, 0, 10]]
