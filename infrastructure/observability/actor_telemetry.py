"""Dramatiq middleware that observes every actor run: a consumer span continuing the trace whose
`traceparent` the message carries (set by whoever enqueued it: the outbox relay, from the event's
metadata), log lines bound to the message, and the step counted by outcome.

It is installed after Retries, so by the time it hears a failure Retries has already decided:
a message it failed for good was the last try ("failed"); otherwise it comes back ("retried").
"""

from __future__ import annotations

import threading
from contextlib import ExitStack
from typing import Any, Final

import dramatiq
from opentelemetry.trace import SpanKind, Status, StatusCode

from application.log_context import bound
from application.tracing import TRACEPARENT, span
from infrastructure.observability import metrics

SUCCEEDED: Final = "succeeded"
RETRIED: Final = "retried"
FAILED: Final = "failed"
PARKED: Final = "parked"


class ActorTelemetry(dramatiq.Middleware):
    def __init__(self, parking_actors: frozenset[str] = frozenset()) -> None:
        # Actors whose success means a saga was parked for an operator.
        self._parking_actors = parking_actors
        self._runs = threading.local()  # before/after of one message run on the same thread

    def before_process_message(self, broker: dramatiq.Broker, message: Any) -> None:
        scope = ExitStack()
        current = scope.enter_context(
            span(
                f"actor {message.actor_name}",
                SpanKind.CONSUMER,
                parent=message.options.get(TRACEPARENT),
                attributes={
                    "messaging.system": "dramatiq",
                    "messaging.destination.name": message.queue_name,
                    "messaging.message.id": message.message_id,
                    "messaging.message.retries": int(message.options.get("retries", 0)),
                },
            )
        )
        scope.enter_context(bound(actor=message.actor_name, messageId=message.message_id))
        self._runs.current = (scope, current)

    def after_process_message(
        self,
        broker: dramatiq.Broker,
        message: Any,
        *,
        result: Any = None,
        exception: BaseException | None = None,
    ) -> None:
        run = getattr(self._runs, "current", None)
        self._runs.current = None
        if exception is None:
            outcome = PARKED if message.actor_name in self._parking_actors else SUCCEEDED
        else:
            outcome = FAILED if message.failed else RETRIED
        metrics.SAGA_STEPS.labels(message.actor_name, outcome).inc()
        if run is None:
            return
        scope, current = run
        if exception is not None:
            current.record_exception(exception)
            current.set_status(Status(StatusCode.ERROR, outcome))
        current.set_attribute("ledgerline.outcome", outcome)
        scope.close()

    def after_skip_message(self, broker: dramatiq.Broker, message: Any) -> None:
        run = getattr(self._runs, "current", None)
        self._runs.current = None
        if run is not None:
            run[0].close()
