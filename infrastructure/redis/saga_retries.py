"""Saga steps retried with backoff and a bounded budget, except while our own stores are down.

A step that fails because PostgreSQL or Redis is unreachable did not fail: it could not even
read or record its saga's state. Spending the step's retry budget on that would park every
saga that merely waited out a database restart, and an operator would have to retry each by
hand. So an outage (infrastructure/outages.py) is retried every OUTAGE_RETRY_DELAY_MS without
consuming the budget, up to OUTAGE_RETRIES_MAX times per message (about ten minutes); past
that, outages count like any failure, so a store that never comes back still ends in parked
sagas rather than messages circling forever. Every other failure (a provider's 5xx, a timeout,
a rejected transaction) spends the budget as before.
"""

from __future__ import annotations

import logging
import random
from typing import Any, Final

import dramatiq
from dramatiq.middleware import Retries

from infrastructure.outages import is_outage

OUTAGE_RETRY_DELAY_MS: Final = 1_000
OUTAGE_RETRIES_MAX: Final = 600
OUTAGES_OPTION: Final = "outages"

log = logging.getLogger(__name__)


class SagaRetries(Retries):
    def after_process_message(
        self,
        broker: dramatiq.Broker,
        message: Any,
        *,
        result: Any = None,
        exception: BaseException | None = None,
    ) -> None:
        outages = int(message.options.get(OUTAGES_OPTION, 0))
        if exception is None or not is_outage(exception) or outages >= OUTAGE_RETRIES_MAX:
            super().after_process_message(broker, message, result=result, exception=exception)
            return
        message.options[OUTAGES_OPTION] = outages + 1
        # Jittered, so the steps that waited for the same outage do not all return at once.
        delay_ms = int(OUTAGE_RETRY_DELAY_MS * (0.5 + random.random()))
        log.warning(
            "saga step %s waits for our stores (%s); retrying in %d ms, its budget untouched",
            message.actor_name,
            type(exception).__name__,
            delay_ms,
        )
        try:
            broker.enqueue(message, delay=delay_ms)
        except Exception as error:
            if not is_outage(error):
                raise
            # Redis itself is down: the message cannot be put back now. The stall sweeper
            # (SAGA_STALL_S) enqueues the saga's step again once the stores are back.
            log.warning("saga step %s not requeued, Redis is down: %s", message.actor_name, error)
