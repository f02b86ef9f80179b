"""Sagas, whatever their kind: the one way a step runs, and the operator's actions on them.

A step is `prepare` (plan it, and sign and record its envelope unless one is recorded), `submit`
(settle that recorded envelope: look it up, resubmit the same bytes only while they can land;
`chain_steps.settle`) and `conclude` (record what the chain did, or raise so the broker retries
later). `advance` is that sequence, for the escrow (`escrow_saga`), a withdrawal's payment
(`withdrawal_payments`) and a wallet's activation (`wallet_activation`) alike: a crash between
any two phases leaves a state the next `advance` resumes from without a second transaction.

Operators park a saga whose step exhausted its retries and retry a parked one; a saga is named
by the public id of the aggregate that runs it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, Protocol, TypeVar
from uuid import UUID

from application.context import CommandContext
from domain import identifiers
from domain.errors import NotFoundError, ValidationError

P = TypeVar("P")  # a prepared step: which step, and its recorded envelope
S = TypeVar("S")  # what became of the envelope


class SagaStep(Protocol, Generic[P, S]):
    def prepare(self, saga_uuid: UUID, context: CommandContext) -> P | None:
        """The saga's current step with its recorded envelope (signed and recorded now if it
        had none); None when there is nothing to submit: the saga waits, is parked or done,
        another worker moved it on, or the step needed no transaction and is recorded done."""

    def submit(self, prepared: P) -> S:
        """What became of the step's recorded envelope, (re)submitted only while it can land."""

    def conclude(self, prepared: P, submitted: S, context: CommandContext) -> None:
        """Records what the chain did, or raises so the broker retries the step later."""


def advance(step: SagaStep[P, S], saga_uuid: UUID, context: CommandContext) -> None:
    """Performs the saga's current step once (nothing when it waits, is parked or is done)."""
    prepared = step.prepare(saga_uuid, context)
    if prepared is not None:
        step.conclude(prepared, step.submit(prepared), context)


@dataclass(frozen=True, slots=True)
class SagaRetried:
    saga_id: str
    position: int


class SagaNotFoundError(NotFoundError):
    code = "SAGA_NOT_FOUND"


Park = Callable[[UUID, str, CommandContext], None]
Retry = Callable[[UUID, CommandContext], int]


class Sagas:
    def __init__(self) -> None:
        self._parks: dict[str, Park] = {}
        self._retries: dict[str, Retry] = {}

    def register(self, prefix: str, park: Park, retry: Retry) -> None:
        """Adds a kind of saga, run by aggregates whose public ids start with `prefix`."""
        self._parks[prefix] = park
        self._retries[prefix] = retry

    def park(self, saga_id: str, reason: str, context: CommandContext) -> None:
        """Parks the saga at its current step (its retries are exhausted)."""
        prefix, saga_uuid = self._parse(saga_id)
        self._parks[prefix](saga_uuid, reason, context)

    def retry(self, saga_id: str, context: CommandContext) -> SagaRetried:
        """Resumes a parked saga at its step; INVALID_STATE when it is not parked."""
        prefix, saga_uuid = self._parse(saga_id)
        return SagaRetried(saga_id, self._retries[prefix](saga_uuid, context))

    def _parse(self, saga_id: str) -> tuple[str, UUID]:
        prefix = saga_id.partition("_")[0]
        if prefix not in self._retries:
            raise ValidationError(
                f"not a saga id; expected one of {', '.join(p + '_…' for p in self._retries)}",
                field="sagaId",
            )
        try:
            return prefix, identifiers.parse_public_id(prefix, saga_id)
        except ValidationError:
            raise SagaNotFoundError("saga not found", sagaId=saga_id) from None
