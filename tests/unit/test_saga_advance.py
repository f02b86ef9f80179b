"""One way a saga step runs: prepare, then submit what was prepared, then conclude with what
became of it; nothing is submitted when there is nothing prepared."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from uuid import UUID

import pytest

from application.context import SYSTEM, CommandContext
from application.sagas import advance

pytestmark = pytest.mark.unit


@dataclass
class Step:
    """A saga step that writes down what it was asked, in order."""

    ready: bool
    calls: list[str] = field(default_factory=list)

    def prepare(self, saga_uuid: UUID, context: CommandContext) -> str | None:
        self.calls.append("prepare")
        return f"envelope of {saga_uuid}" if self.ready else None

    def submit(self, prepared: str) -> str:
        self.calls.append(f"submit {prepared}")
        return "applied"

    def conclude(self, prepared: str, submitted: str, context: CommandContext) -> None:
        self.calls.append(f"conclude {prepared}: {submitted}")


def test_a_prepared_step_is_submitted_then_concluded_with_what_became_of_it() -> None:
    saga = uuid.uuid4()
    step = Step(ready=True)
    advance(step, saga, SYSTEM)
    assert step.calls == [
        "prepare",
        f"submit envelope of {saga}",
        f"conclude envelope of {saga}: applied",
    ]


def test_nothing_is_submitted_when_the_saga_waits_or_is_done() -> None:
    step = Step(ready=False)
    advance(step, uuid.uuid4(), SYSTEM)
    assert step.calls == ["prepare"]
