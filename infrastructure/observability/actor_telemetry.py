"""Dramatiq middleware that observes every actor run: a consumer span continuing the trace whose
`traceparent` the message carries (set by whoever enqueued it: the outbox relay, from the event's
metadata), log lines bound to the message, and the step counted by outcome.

It is installed after Retries, so by the time it hears a failure Retries has already decided:
a message it failed for good was the last try ("failed"); otherwise it comes back ("retried").
An actor whose success means something else says so where it is declared, with the actor option
`counted_as` (the saga parker's success is counted "parked").
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
# The actor option naming what a success of that actor is counted as (default: SUCCEEDED).
COUNTED_AS: Final = "counted_as"


class ActorTelemetry(dramatiq.Middleware):
    def __init__(self) -> None:
        self._runs = threading.local()  # before/after of one message run on the same thread

    @property
    def actor_options(self) -> set[str]:
        return {COUNTED_AS}

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
            outcome = _success_of(broker, message.actor_name)
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


def _success_of(broker: dramatiq.Broker, actor_name: str) -> str:
    try:
        options = broker.get_actor(actor_name).options
    except dramatiq.ActorNotFound:
        return SUCCEEDED
    return str(options.get(COUNTED_AS, SUCCEEDED))
