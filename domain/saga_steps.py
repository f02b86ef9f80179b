"""Where a saga is with its steps, for every aggregate that runs one (an order's escrow, a
withdrawal's payment, a wallet's activation).

A step records its signed envelope *before* submitting it, and forgets it only when it can never
land (voided), so a retry after any crash settles that same envelope instead of signing a second
transaction. A step that exhausted its retries is parked, with the reason, until an operator
retries it. `StepProgress` is that bookkeeping as one frozen value: the aggregates' `@event`
bodies replace it with what its transitions return, and the guards refuse what cannot be.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Final

from domain.chain import SignedEnvelope
from domain.errors import InvalidStateError

REASON_LENGTH_MAX: Final = 500  # a park or void reason is kept this long at most


@dataclass(frozen=True, slots=True)
class StepProgress:
    envelopes: Mapping[str, SignedEnvelope] = field(default_factory=dict)  # by step name
    parked_step: str | None = None
    park_reason: str | None = None

    @property
    def is_parked(self) -> bool:
        return self.parked_step is not None

    def envelope(self, step: str) -> SignedEnvelope | None:
        """The envelope recorded for `step` and not voided, if any."""
        return self.envelopes.get(step)

    def holds(self, envelope: SignedEnvelope) -> bool:
        """`envelope` is still its step's recorded envelope (not voided, not replaced)."""
        recorded = self.envelopes.get(envelope.step)
        return recorded is not None and recorded.hash == envelope.hash

    # -- guards ---------------------------------------------------------------------------------

    def check_unsigned(self, step: str) -> None:
        if step in self.envelopes:
            raise InvalidStateError("this step already has a signed transaction", step=step)

    def signed(self, step: str) -> SignedEnvelope:
        """The recorded envelope of `step`, which is about to be voided."""
        recorded = self.envelopes.get(step)
        if recorded is None:
            raise InvalidStateError("no signed transaction to void", step=step)
        return recorded

    def may_park(self, step: str | None) -> bool:
        """Parking `step` means something: there is a step, and nothing is parked yet."""
        return step is not None and self.parked_step is None

    def check_parked(self, refusal: str, **details: Any) -> str:
        """The parked step, which an operator retries; `refusal` when nothing is parked."""
        if self.parked_step is None:
            raise InvalidStateError(refusal, **details)
        return self.parked_step

    # -- transitions (pure: each returns the new progress) ---------------------------------------

    def with_envelope(self, envelope: SignedEnvelope) -> StepProgress:
        return replace(self, envelopes={**self.envelopes, envelope.step: envelope})

    def without_envelope(self, step: str) -> StepProgress:
        return replace(self, envelopes={s: e for s, e in self.envelopes.items() if s != step})

    def parked_at(self, step: str, reason: str) -> StepProgress:
        return replace(self, parked_step=step, park_reason=reason)

    def resumed(self) -> StepProgress:
        """Nothing parked: retried by an operator, or the saga moved past the step."""
        return replace(self, parked_step=None, park_reason=None)


def clip(reason: str) -> str:
    return reason[:REASON_LENGTH_MAX]
