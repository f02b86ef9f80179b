"""Use cases for top-ups: create, cancel, refresh, the saga's step at the provider, park, retry.

Creating validates the amount (limits, whole cents), the user's AirTM link and its eligibility,
and records the top-up — nothing else: the outbox relay asks a worker to `advance`, whose step
creates the payin at the provider under the top-up's public id as its `code`. A worker killed
between that call and its record finds the payin by the same code on its next attempt (the
provider refuses a second payin for one code), so there is never a second payin. Cancel records
the request; the step cancels the payin at the provider and the books follow what it answers.
Refresh, the confirmation callback, webhooks and reconciliation all read the payin and apply it
with `fiat_settlement.settle_payin`, which credits the net amount the first time it succeeds.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final
from uuid import UUID, uuid4

from eventsourcing.domain import Aggregate

from application import sagas
from application.airtm_links import AirtmLinks
from application.context import CommandContext
from application.fiat_settlement import settle_payin
from application.ledger import Ledger
from application.payment_providers import AIRTM, FiatProvider, Payin, PayinRequest
from domain import identifiers
from domain.accounts import Account, account_id_for
from domain.errors import (
    LimitExceededError,
    ProviderError,
    ProviderTimeoutError,
    ProviderUnavailableError,
    ValidationError,
)
from domain.money import Amount
from domain.topups import STEP_CANCEL_PAYIN, STEP_CREATE_PAYIN, TopUp, check_cents

DESCRIPTION_LENGTH_MAX: Final = 250
DEFAULT_DESCRIPTION: Final = "Balance top-up"


@dataclass(frozen=True, slots=True)
class TopUpLimits:
    min_stroops: int
    max_stroops: int


@dataclass(frozen=True, slots=True)
class TopUpChanged:
    topup: TopUp
    position: int | None
    contradiction: str | None = None


@dataclass(frozen=True, slots=True)
class PayinStep:
    topup_id: UUID
    user_id: str
    step: str
    payin_id: str | None
    request: PayinRequest


@dataclass(frozen=True, slots=True)
class PayinAnswer:
    payin: Payin | None
    refusal: ProviderError | None = None


class TopUps:
    """Top-ups, and the payin step of their saga (a `sagas.SagaStep`)."""

    def __init__(
        self,
        ledger: Ledger,
        provider: FiatProvider,
        links: AirtmLinks,
        limits: TopUpLimits,
        callback_base_url: str,
    ) -> None:
        self._ledger = ledger
        self._provider = provider
        self._links = links
        self._limits = limits
        self._callback_base_url = callback_base_url.rstrip("/")

    def get(self, topup_id: str) -> TopUp:
        return self._ledger.require(TopUp, topup_uuid(topup_id))

    def create(
        self, user_id: str, amount: Amount, description: str | None, context: CommandContext
    ) -> TopUpChanged:
        check_cents(amount.stroops)
        low, high = self._limits.min_stroops, self._limits.max_stroops
        if not low <= amount.stroops <= high:
            raise LimitExceededError(
                f"top-ups must be between {Amount(low).to_wire()} and {Amount(high).to_wire()}",
                limit="topup",
                min=Amount(low).to_wire(),
                max=Amount(high).to_wire(),
            )
        if description is not None and not 1 <= len(description) <= DESCRIPTION_LENGTH_MAX:
            raise ValidationError("description must be 1 to 250 characters", field="description")
        link = self._links.linked(user_id)
        self._links.eligible(link.email)
        topup = TopUp(
            id=uuid4(),
            user_id=user_id,
            provider=AIRTM,
            provider_user_id=link.airtm_user_id,
            amount_stroops=amount.stroops,
            currency=amount.currency,
            description=description,
        )
        return self._ledger.commit(
            topup, context=context, outcome=lambda position: TopUpChanged(topup, position)
        )

    def cancel(self, topup_id: str, context: CommandContext) -> TopUpChanged:
        return self._ledger.change(
            TopUp,
            topup_uuid(topup_id),
            lambda topup: topup.request_cancel("user", None),
            context=context,
            outcome=lambda topup, position: TopUpChanged(topup, position),
        )

    def refresh(self, topup_id: str, context: CommandContext) -> TopUpChanged:
        """Asks the provider where the payin is, and applies it."""
        topup = self.get(topup_id)
        if topup.payin_id is None or topup.is_terminal:
            return TopUpChanged(topup, None)
        return self.apply(self._provider.payin(topup.payin_id), context)

    def apply(self, payin: Payin, context: CommandContext) -> TopUpChanged:
        """Applies the provider's report of a payin to its top-up (and the user's account)."""
        uuid = topup_uuid(payin.code)
        found = self._ledger.require(TopUp, uuid)
        noted: list[str | None] = [None]

        def settle(topup: TopUp) -> list[Aggregate]:
            account = self._ledger.require(Account, account_id_for(topup.user_id))
            noted[0] = settle_payin(topup, account, payin)
            return [account]

        return self._ledger.change(
            TopUp,
            uuid,
            settle,
            context=context,
            outcome=lambda topup, position: TopUpChanged(topup, position, noted[0]),
            touching=[account_id_for(found.user_id)],
        )

    # -- the saga ------------------------------------------------------------------------------

    def advance(self, topup_id: UUID, context: CommandContext) -> None:
        sagas.advance(self, topup_id, context)

    def prepare(self, saga_uuid: UUID, context: CommandContext) -> PayinStep | None:
        topup = self._ledger.get(TopUp, saga_uuid)
        if topup is None or topup.step is None or topup.parked_step is not None:
            return None
        callback = f"{self._callback_base_url}/topups/{topup.public_id}/callback"
        request = PayinRequest(
            code=topup.public_id,
            amount_stroops=topup.amount_stroops,
            description=topup.description or DEFAULT_DESCRIPTION,
            confirmation_uri=f"{callback}?status=confirmed",
            cancel_uri=f"{callback}?status=canceled",
        )
        return PayinStep(saga_uuid, topup.user_id, topup.step, topup.payin_id, request)

    def submit(self, prepared: PayinStep) -> PayinAnswer:
        try:
            if prepared.step == STEP_CANCEL_PAYIN and prepared.payin_id is not None:
                return PayinAnswer(self._provider.cancel_payin(prepared.payin_id))
            return PayinAnswer(self._provider.create_payin(prepared.request))
        except (ProviderUnavailableError, ProviderTimeoutError):
            raise  # asking again may succeed: the broker retries, then parks
        except ProviderError as refused:
            return PayinAnswer(None, refused)

    def conclude(self, prepared: PayinStep, answer: PayinAnswer, context: CommandContext) -> None:
        if answer.payin is not None:
            self.apply(answer.payin, context)
            return
        refusal = answer.refusal
        assert refusal is not None
        if prepared.step == STEP_CREATE_PAYIN:
            reason = f"AirTM refused the payin: {refusal.message}"
            code = str(refusal.details.get("providerCode") or "PROVIDER_REFUSED")
            self._ledger.change(
                TopUp,
                prepared.topup_id,
                lambda topup: topup.fail(reason, code),
                context=context,
                outcome=lambda topup, position: None,
            )
            return
        raise refusal  # a refused cancel: retried, then parked for an operator

    def park(self, topup_id: UUID, reason: str, context: CommandContext) -> None:
        self._ledger.change(
            TopUp,
            topup_id,
            lambda topup: topup.park(topup.step, reason) if topup.step else None,
            context=context,
            outcome=lambda topup, position: None,
        )

    def retry(self, topup_id: UUID, context: CommandContext) -> int:
        return self._ledger.change(
            TopUp, topup_id, TopUp.retry, context=context, outcome=lambda t, p: p or 0
        )


def topup_uuid(topup_id: str) -> UUID:
    return identifiers.parse_public_id(identifiers.TOPUP, topup_id)
