"""How a process sets up tracing: the OpenTelemetry SDK with an OTLP/HTTP exporter when the
OpenTelemetry environment names a collector; otherwise no spans at all, only their ids
(infrastructure/observability/trace_ids.py), so log lines still carry trace and span ids and
`traceparent` still flows through events and messages, while a request pays nothing for spans
nobody would see. Nothing is sent anywhere by default.

Whether tracing is on is decided here and only here (`exporting`): the standard variables
OTEL_EXPORTER_OTLP_TRACES_ENDPOINT (used as given) or OTEL_EXPORTER_OTLP_ENDPOINT (with
`/v1/traces` appended), unless OTEL_TRACES_EXPORTER=none or OTEL_SDK_DISABLED=true. Only then
are psycopg, Redis and httpx instrumented with the official OpenTelemetry instrumentations, so
a process that exports nothing pays nothing for spans around every query. The exporter reads
the rest of the OTLP variables itself (headers, timeout, compression, certificates).

The service name is `ledgerline-<command>` (api, runner, worker), unless OTEL_SERVICE_NAME says
otherwise; the SDK reads OTEL_RESOURCE_ATTRIBUTES and its sampler variables itself.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Final

from opentelemetry import trace
from opentelemetry.sdk.resources import SERVICE_NAME, Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor

from infrastructure.observability.trace_ids import IdsOnlyTracerProvider

TRACES_PATH: Final = "/v1/traces"
ENDPOINT: Final = "OTEL_EXPORTER_OTLP_ENDPOINT"
TRACES_ENDPOINT: Final = "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"
# The provider configure_tracing installed, which shutdown_tracing may stop. A provider someone
# else installed first (a test session's, an embedding application's) is theirs to stop.
_installed: TracerProvider | None = None
_instrumented = False


def traces_endpoint(environ: Mapping[str, str]) -> str | None:
    """Where spans go, per the OpenTelemetry specification's OTLP/HTTP rules; None: nowhere."""
    if environ.get("OTEL_SDK_DISABLED", "").strip().lower() == "true":
        return None
    if environ.get("OTEL_TRACES_EXPORTER", "").strip().lower() == "none":
        return None
    specific = environ.get(TRACES_ENDPOINT, "").strip()
    if specific:
        return specific
    base = environ.get(ENDPOINT, "").strip()
    return base.rstrip("/") + TRACES_PATH if base else None


def exporting(environ: Mapping[str, str] | None = None) -> bool:
    """Whether this process traces for real: spans exported and libraries instrumented."""
    return traces_endpoint(os.environ if environ is None else environ) is not None


def configure_tracing(
    service: str, environ: Mapping[str, str] | None = None
) -> trace.TracerProvider:
    """Installs this process's tracer provider, unless one is installed already (OpenTelemetry
    keeps the first); returns the provider in use. `environ` defaults to the process's."""
    global _installed
    environ = os.environ if environ is None else environ
    current = trace.get_tracer_provider()
    if isinstance(current, TracerProvider | IdsOnlyTracerProvider):
        return current
    endpoint = traces_endpoint(environ)
    if endpoint is None:
        ids_only = IdsOnlyTracerProvider()
        trace.set_tracer_provider(ids_only)
        return ids_only
    name = environ.get("OTEL_SERVICE_NAME") or f"ledgerline-{service}"
    provider = TracerProvider(resource=Resource.create({SERVICE_NAME: name}))
    # Imported only when used: the exporter pulls in protobuf.
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(endpoint=endpoint)))
    instrument_libraries()
    trace.set_tracer_provider(provider)
    _installed = provider
    return provider


def instrument_libraries() -> None:
    """psycopg, Redis and httpx spans from their official instrumentations (once a process)."""
    global _instrumented
    if _instrumented:
        return
    from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor
    from opentelemetry.instrumentation.psycopg import PsycopgInstrumentor
    from opentelemetry.instrumentation.redis import RedisInstrumentor

    PsycopgInstrumentor().instrument(enable_commenter=False)
    RedisInstrumentor().instrument()
    HTTPXClientInstrumentor().instrument()
    _instrumented = True


def shutdown_tracing() -> None:
    """Flushes spans still batched (bounded by the exporter's own timeout) and stops the
    provider configure_tracing installed, if it did."""
    global _installed
    if _installed is not None:
        _installed.shutdown()
        _installed = None
