"""The saga messages: which actor performs which step, on which queue, and which events ask for
a step. The outbox relay, the stall sweeper and the actors all read this one table."""

from __future__ import annotations

from typing import Final

from dramatiq import Message

from application.tracing import TRACEPARENT
from domain import identifiers
from domain.audit_anchors import AuditAnchor
from domain.orders import Order
from domain.topups import TopUp
from domain.wallets import Wallet
from domain.withdrawals import FIAT_DESTINATION_TYPES as FIAT
from domain.withdrawals import Withdrawal

QUEUE: Final = "sagas"
ADVANCE_WALLET: Final = "wallet.advance"
PAY_WITHDRAWAL: Final = "withdrawal.pay"
ADVANCE_ORDER: Final = "order.advance"
ADVANCE_TOPUP: Final = "topup.advance"
ADVANCE_ANCHOR: Final = "audit.anchor"
PARK_SAGA: Final = "saga.park"

# The actor that performs a saga's next step, by the public-id prefix of the saga.
ACTOR_BY_SAGA_PREFIX: Final = {
    identifiers.WALLET: ADVANCE_WALLET,
    identifiers.WITHDRAWAL: PAY_WITHDRAWAL,
    identifiers.ORDER: ADVANCE_ORDER,
    identifiers.TOPUP: ADVANCE_TOPUP,
    identifiers.ANCHOR: ADVANCE_ANCHOR,
}

# Events after which the saga has a step to perform (a step's own failure is retried by
# Dramatiq, so voided envelopes are not listed).
TRIGGERS: Final[dict[type, str]] = {
    Wallet.Created: identifiers.WALLET,
    Wallet.Funded: identifiers.WALLET,
    Wallet.Retried: identifiers.WALLET,
    # A fiat withdrawal's payout is created as soon as it is recorded (see `saga_asked`).
    Withdrawal.Created: identifiers.WITHDRAWAL,
    Withdrawal.Committed: identifiers.WITHDRAWAL,
    Withdrawal.Retried: identifiers.WITHDRAWAL,
    # An order asks for a step whenever its plan changes to one (see `saga_asked`).
    Order.StepPlanned: identifiers.ORDER,
    Order.Retried: identifiers.ORDER,
    TopUp.Created: identifiers.TOPUP,
    TopUp.CancelRequested: identifiers.TOPUP,
    TopUp.Retried: identifiers.TOPUP,
    AuditAnchor.Created: identifiers.ANCHOR,
    AuditAnchor.Retried: identifiers.ANCHOR,
}


def saga_asked(event: object) -> str | None:
    """The public-id prefix of the saga `event` asks to act, if it asks (a plan of no step —
    an order now waiting for the marketplace — asks nothing)."""
    prefix = TRIGGERS.get(type(event))
    if isinstance(event, Order.StepPlanned) and getattr(event, "step", None) is None:
        return None
    if isinstance(event, Withdrawal.Created) and getattr(event, "destination_type", "") not in FIAT:
        return None  # a crypto withdrawal asks when its hold is recorded (Committed)
    return prefix


def step_message(
    saga_id: str, cause: str, message_id: str, traceparent: str | None = None
) -> Message[object]:
    """A message asking the saga's actor to perform its current step; keyed by its cause,
    carrying the trace it continues."""
    return Message(
        queue_name=QUEUE,
        actor_name=actor_for(saga_id),
        args=(saga_id, cause),
        kwargs={},
        options={TRACEPARENT: traceparent} if traceparent else {},
        message_id=message_id,
    )


def actor_for(saga_id: str) -> str:
    return ACTOR_BY_SAGA_PREFIX[saga_id.partition("_")[0]]
