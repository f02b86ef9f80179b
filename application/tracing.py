"""Trace context across the log: the W3C `traceparent` of the span that recorded an event rides
in the event's metadata, so whatever the event later causes (an outbox message, an actor's step,
the call to Trustless Work) joins the same trace, even in another process, minutes later.

Only the OpenTelemetry API is used here; which provider exports the spans (none, OTLP, an
in-memory exporter in tests) is the process's choice (infrastructure/observability/tracing.py).
A process that exports nothing gets spans that record nothing (their ids only): `recording`
lets a caller skip building what only a recorded span would keep.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Final

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.trace import Span, SpanKind
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

TRACER_NAME: Final = "ledgerline"
TRACEPARENT: Final = "traceparent"

_propagator = TraceContextTextMapPropagator()


def tracer() -> trace.Tracer:
    # Looked up on each use: the process may install its provider after modules are imported.
    return trace.get_tracer(TRACER_NAME)


def recording() -> bool:
    """Whether the active span records (someone exports it): else attributes and extra spans
    are wasted work."""
    return trace.get_current_span().is_recording()


def current_traceparent() -> str | None:
    """The `traceparent` of the active span, or None outside any recording span."""
    carrier: dict[str, str] = {}
    _propagator.inject(carrier)
    return carrier.get(TRACEPARENT)


@contextmanager
def continuing(traceparent: str | None) -> Iterator[None]:
    """Makes the span identified by `traceparent` the parent of spans started inside."""
    if not traceparent:
        yield
        return
    token = otel_context.attach(_propagator.extract({TRACEPARENT: traceparent}))
    try:
        yield
    finally:
        otel_context.detach(token)


@contextmanager
def span(
    name: str,
    kind: SpanKind = SpanKind.INTERNAL,
    *,
    parent: str | None = None,
    attributes: Mapping[str, str | int | float | bool] | None = None,
) -> Iterator[Span]:
    """A span named `name`, child of `parent` (a traceparent) when given, otherwise of the
    active span; exceptions are recorded on it and re-raised."""
    with continuing(parent), tracer().start_as_current_span(name, kind=kind) as current:
        if attributes and current.is_recording():
            current.set_attributes(attributes)
        yield current
