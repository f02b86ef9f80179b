"""The outbox relay and the stall sweeper: side effects driven from the log, never "save, then
enqueue".

The relay follows the log with its own tracking position (like a projection, in schema
`rm_outbox`) and enqueues one saga message per triggering event, keyed by the event id. The
enqueue and the tracking commit are not one transaction, so a crash between them re-enqueues:
delivery is at least once and every actor is idempotent. The sweeper re-enqueues sagas whose
last progress is older than SAGA_STALL_S (a message lost with Redis, say), so nothing stalls
for good.
"""

from __future__ import annotations

import logging
import uuid
from typing import Any, Final

from dramatiq.brokers.redis import RedisBroker
from opentelemetry.trace import SpanKind
from psycopg import Cursor

from application.ports import SagasInFlight
from application.tracing import TRACEPARENT, current_traceparent, span
from domain import identifiers
from interfaces.workers.saga_messages import TRIGGERS, actor_for, saga_asked, step_message
from projections.projection import Projection

SWEEP_BATCH_MAX: Final = 100
log = logging.getLogger(__name__)


class OutboxRelay(Projection):
    name = "outbox"
    version = 1

    def __init__(self, broker: RedisBroker | None) -> None:
        """Without a broker the relay can only be looked at (its position, for /metrics)."""
        self._broker = broker

    @property
    def event_classes(self) -> tuple[type, ...]:
        return tuple(TRIGGERS)

    def apply(self, cursor: Cursor[Any], event: Any, position: int) -> None:
        prefix = saga_asked(event)
        if prefix is None:
            return
        if self._broker is None:
            raise RuntimeError("an outbox relay without a broker cannot relay events")
        saga_id = identifiers.public_id(prefix, event.originator_id)
        event_id = identifiers.event_id(event.originator_id, event.originator_version)
        caused_by = (getattr(event, "metadata", None) or {}).get(TRACEPARENT)
        with span(
            f"enqueue {actor_for(saga_id)}",
            SpanKind.PRODUCER,
            parent=caused_by,
            attributes={
                "ledger.position": position,
                "messaging.message.id": event_id,
                "saga.id": saga_id,
            },
        ):
            message = step_message(saga_id, event_id, event_id, current_traceparent())
            self._broker.enqueue(message)


def sweep_stalled(sagas: SagasInFlight, stall_s: float, broker: RedisBroker) -> int:
    """Re-enqueues the next step of every saga stalled longer than `stall_s` (SAGA_STALL_S)."""
    stalled = sagas.stalled(stall_s, SWEEP_BATCH_MAX)
    for saga in stalled:
        log.warning(
            "saga %s stalled at %s since %s; re-enqueuing", saga.saga_id, saga.step, saga.updated_at
        )
        broker.enqueue(
            step_message(saga.saga_id, f"sweeper:{saga.position}", message_id=str(uuid.uuid4()))
        )
    return len(stalled)
