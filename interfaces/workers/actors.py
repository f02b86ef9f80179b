"""Dramatiq actors: each turns one saga message into one application call.

An actor performs its saga's current step once; StepPending or any failure is retried by the
broker with backoff, and when retries are exhausted `saga.park` parks the saga for an operator.
Actors are declared against a given broker and services (no import-time globals).
"""

from __future__ import annotations

import logging
from typing import Any, Final

import dramatiq
from dramatiq.brokers.redis import RedisBroker

from application.context import SYSTEM
from domain import identifiers
from infrastructure.observability.actor_telemetry import COUNTED_AS, PARKED
from interfaces.services import Services
from interfaces.workers.saga_messages import (
    ADVANCE_ANCHOR,
    ADVANCE_ORDER,
    ADVANCE_TOPUP,
    ADVANCE_WALLET,
    PARK_SAGA,
    PAY_WITHDRAWAL,
    QUEUE,
)
from interfaces.workers.webhook_actors import declare_webhook_actors

PARK_RETRIES_MAX: Final = 3
log = logging.getLogger(__name__)


def declare_actors(broker: RedisBroker, services: Services) -> list[dramatiq.Actor[Any, Any]]:
    use_cases = services.use_cases

    def advance_wallet(saga_id: str, cause: str) -> None:
        wallet_uuid = identifiers.parse_public_id(identifiers.WALLET, saga_id)
        use_cases.wallets.advance(wallet_uuid, SYSTEM.caused_by(cause))

    def pay_withdrawal(saga_id: str, cause: str) -> None:
        withdrawal_uuid = identifiers.parse_public_id(identifiers.WITHDRAWAL, saga_id)
        use_cases.withdrawals.pay(withdrawal_uuid, SYSTEM.caused_by(cause))

    def advance_order(saga_id: str, cause: str) -> None:
        order_uuid = identifiers.parse_public_id(identifiers.ORDER, saga_id)
        use_cases.escrows.advance(order_uuid, SYSTEM.caused_by(cause))

    def advance_topup(saga_id: str, cause: str) -> None:
        topup_uuid = identifiers.parse_public_id(identifiers.TOPUP, saga_id)
        use_cases.topups.advance(topup_uuid, SYSTEM.caused_by(cause))

    def advance_anchor(saga_id: str, cause: str) -> None:
        anchor_uuid = identifiers.parse_public_id(identifiers.ANCHOR, saga_id)
        use_cases.audit_anchors.advance(anchor_uuid, SYSTEM.caused_by(cause))

    def park_saga(message: dict[str, Any], retries: dict[str, Any]) -> None:
        saga_id, cause = message["args"][:2]
        reason = (message.get("options", {}).get("traceback") or "").strip().splitlines()
        summary = reason[-1] if reason else "retries exhausted"
        log.warning(
            "parking saga %s after %s retries: %s", saga_id, retries.get("retries"), summary
        )
        use_cases.sagas.park(saga_id, summary, SYSTEM.caused_by(cause))

    def declare(fn: Any, name: str, **options: Any) -> dramatiq.Actor[Any, Any]:
        return dramatiq.actor(actor_name=name, broker=broker, queue_name=QUEUE, **options)(fn)

    return [
        declare(advance_wallet, ADVANCE_WALLET, on_retry_exhausted=PARK_SAGA),
        declare(pay_withdrawal, PAY_WITHDRAWAL, on_retry_exhausted=PARK_SAGA),
        declare(advance_order, ADVANCE_ORDER, on_retry_exhausted=PARK_SAGA),
        declare(advance_topup, ADVANCE_TOPUP, on_retry_exhausted=PARK_SAGA),
        declare(advance_anchor, ADVANCE_ANCHOR, on_retry_exhausted=PARK_SAGA),
        declare(park_saga, PARK_SAGA, max_retries=PARK_RETRIES_MAX, **{COUNTED_AS: PARKED}),
        *declare_webhook_actors(broker, services),
    ]
