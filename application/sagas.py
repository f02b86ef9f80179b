"""Operator actions on sagas, whatever their kind: park one whose step exhausted its retries,
and retry a parked one. A saga is named by the public id of the aggregate that runs it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from uuid import UUID

from application.context import CommandContext
from domain import identifiers
from domain.errors import NotFoundError, ValidationError


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
