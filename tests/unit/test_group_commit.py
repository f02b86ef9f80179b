"""The group committer prepares a batch's commands in order and records the decided ones
together; a refusal fails alone, an outage tells the rest of the batch at once."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from eventsourcing.application import ProcessingEvent
from eventsourcing.persistence import OperationalError

from application.group_commit import GroupCommitter, Prepared
from domain.errors import InsufficientFundsError

WAIT_S = 5


@contextmanager
def no_scope() -> Iterator[None]:
    yield


class Recorder:
    def __init__(self) -> None:
        self.batches: list[list[Any]] = []

    def __call__(self, processing: ProcessingEvent[Any]) -> list[Any]:
        self.batches.append(list(processing.events))
        processing.saved_kwargs["on_recorded"](None, list(range(len(processing.events))))
        return list(processing.events)


def decided(event: str) -> Prepared:
    processing: ProcessingEvent[Any] = ProcessingEvent()
    processing.events.append(event)  # type: ignore[arg-type]
    return Prepared(processing, lambda cursor, positions: None, lambda recordings: recordings)


def submitted_together(committer: GroupCommitter, prepares: list[Any]) -> list[Any]:
    """Holds the committer with a first command until every one of `prepares` waits."""
    release, outcomes = threading.Event(), [None] * len(prepares)

    def hold() -> Prepared:
        release.wait(WAIT_S)
        return decided("hold")

    def run(index: int) -> None:
        try:
            outcomes[index] = committer.submit(prepares[index])
        except BaseException as error:
            outcomes[index] = error

    holder = threading.Thread(target=committer.submit, args=(hold,))
    holder.start()
    while committer.waiting() > 0:
        time.sleep(0.001)
    time.sleep(0.01)  # the holder is being prepared
    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(prepares))]
    for thread in threads:
        thread.start()
    while committer.waiting() < len(prepares):
        time.sleep(0.001)
    release.set()
    for thread in [holder, *threads]:
        thread.join(WAIT_S)
    return outcomes


def refused() -> Prepared:
    raise InsufficientFundsError("not enough")


def unreachable() -> Prepared:
    raise OperationalError("the store did not answer")


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


@pytest.fixture
def committer(recorder: Recorder) -> Iterator[GroupCommitter]:
    built = GroupCommitter(recorder, "test", no_scope)
    yield built
    built.close()


def test_a_refused_command_fails_alone_and_the_others_are_recorded_in_one_batch(
    committer: GroupCommitter, recorder: Recorder
) -> None:
    outcomes = submitted_together(committer, [lambda: decided("a"), refused, lambda: decided("c")])
    assert outcomes[0] == ["a"] and outcomes[2] == ["c"]
    assert isinstance(outcomes[1], InsufficientFundsError)
    assert recorder.batches[-1] == ["a", "c"]


def test_an_outage_while_deciding_tells_the_rest_of_the_batch_at_once(
    committer: GroupCommitter, recorder: Recorder
) -> None:
    tried: list[str] = []

    def later() -> Prepared:
        tried.append("later")
        return decided("later")

    outcomes = submitted_together(committer, [lambda: decided("a"), unreachable, later])
    assert outcomes[0] == ["a"]
    assert all(isinstance(o, OperationalError) for o in outcomes[1:])
    assert tried == []
