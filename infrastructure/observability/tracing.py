"""How a process sets up tracing: the OpenTelemetry SDK always (so log lines carry trace and span
ids and `traceparent` flows through events and messages), and an OTLP/HTTP exporter only when
OTEL_EXPORTER_OTLP_ENDPOINT is set. Without one, spans end where they started: nothing is sent
anywhere by default.

The service name is `ledgerline-<command>` (api, runner, worker), unless OTEL_SERVICE_NAME says
otherwise; the SDK reads OTEL_RESOURCE_ATTRIBUTES and its sampler variables itself.
"""

from __future__ import annotations

import os
from typing import Final

from opentelemetry import trace
from opentelemetry.sdk.resources import SERVICE_NAME, Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor

TRACES_PATH: Final = "/v1/traces"
# The provider configure_tracing installed, which shutdown_tracing may stop. A provider someone
# else installed first (a test session's, an embedding application's) is theirs to stop.
_installed: TracerProvider | None = None


def configure_tracing(service: str, otlp_endpoint: str | None = None) -> TracerProvider:
    """Installs this process's tracer provider, unless one is installed already (OpenTelemetry
    keeps the first); returns the provider in use. `otlp_endpoint` is
    OTEL_EXPORTER_OTLP_ENDPOINT (None: spans are not exported)."""
    global _installed
    current = trace.get_tracer_provider()
    if isinstance(current, TracerProvider):
        return current
    name = os.environ.get("OTEL_SERVICE_NAME") or f"ledgerline-{service}"
    provider = TracerProvider(resource=Resource.create({SERVICE_NAME: name}))
    if otlp_endpoint:
        # Imported only when used: the exporter pulls in protobuf.
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        endpoint = otlp_endpoint.rstrip("/") + TRACES_PATH
        provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(endpoint=endpoint)))
    trace.set_tracer_provider(provider)
    _installed = provider
    return provider


def shutdown_tracing() -> None:
    """Flushes spans still batched (bounded by the exporter's own timeout) and stops the
    provider configure_tracing installed, if it did."""
    global _installed
    if _installed is not None:
        _installed.shutdown()
        _installed = None
