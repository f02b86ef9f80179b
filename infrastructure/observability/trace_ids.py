"""Trace ids without spans: the tracer of a process that exports nothing.

A span nobody exports is only worth its ids: log lines carry the trace and span id
(infrastructure/observability/logs.py) and `traceparent` flows on through events, messages and
provider calls (application/tracing.py), so a process that does export, later, still joins the
same trace. The SDK's spans cost far more than that — timestamps, attribute maps, locks, the
span processors' calls at start and end — on every request, command and event. So here a span
is the API's `NonRecordingSpan` around a fresh span id, in the parent's trace (a new trace at a
root, sampled as the SDK's default sampler would mark it): setting attributes, events or a
status on it does nothing, and ending it costs nothing.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.sdk.trace.id_generator import RandomIdGenerator
from opentelemetry.trace import Link, NonRecordingSpan, Span, SpanContext, SpanKind, TraceFlags

_ids = RandomIdGenerator()
_ROOT_FLAGS = TraceFlags(TraceFlags.SAMPLED)


class IdsOnlyTracer(trace.Tracer):
    def start_span(
        self,
        name: str,
        context: Context | None = None,
        kind: SpanKind = SpanKind.INTERNAL,
        attributes: Mapping[str, Any] | None = None,
        links: Sequence[Link] | None = None,
        start_time: int | None = None,
        record_exception: bool = True,
        set_status_on_exception: bool = True,
    ) -> Span:
        parent = trace.get_current_span(context).get_span_context()
        if parent.is_valid:
            ids = SpanContext(
                parent.trace_id,
                _ids.generate_span_id(),
                is_remote=False,
                trace_flags=parent.trace_flags,
                trace_state=parent.trace_state,
            )
        else:
            ids = SpanContext(
                _ids.generate_trace_id(),
                _ids.generate_span_id(),
                is_remote=False,
                trace_flags=_ROOT_FLAGS,
            )
        return NonRecordingSpan(ids)

    # The API types this with its private decorator; used with `with`, the two are the same.
    @contextmanager
    def start_as_current_span(  # type: ignore[override]
        self,
        name: str,
        context: Context | None = None,
        kind: SpanKind = SpanKind.INTERNAL,
        attributes: Mapping[str, Any] | None = None,
        links: Sequence[Link] | None = None,
        start_time: int | None = None,
        record_exception: bool = True,
        set_status_on_exception: bool = True,
        end_on_exit: bool = True,
    ) -> Iterator[Span]:
        current = self.start_span(name, context)
        with trace.use_span(current, end_on_exit=False, record_exception=False) as used:
            yield used


class IdsOnlyTracerProvider(trace.TracerProvider):
    def __init__(self) -> None:
        self._tracer = IdsOnlyTracer()

    def get_tracer(
        self,
        instrumenting_module_name: str,
        instrumenting_library_version: str | None = None,
        schema_url: str | None = None,
        attributes: Mapping[str, Any] | None = None,
    ) -> trace.Tracer:
        return self._tracer
