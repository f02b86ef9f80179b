"""With no exporter a process records no spans, only their ids: log lines still carry the trace
and span id, `traceparent` still flows on, children stay in their parent's trace."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
import textwrap

import pytest
from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

from infrastructure.observability.logs import JsonLines
from infrastructure.observability.trace_ids import IdsOnlyTracerProvider

pytestmark = pytest.mark.unit
REMOTE = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"


def record(message: str) -> logging.LogRecord:
    return logging.LogRecord("ledgerline.test", logging.WARNING, __file__, 1, message, (), None)


def traceparent() -> str | None:
    carrier: dict[str, str] = {}
    TraceContextTextMapPropagator().inject(carrier)
    return carrier.get("traceparent")


def test_a_root_span_has_fresh_ids_records_nothing_and_its_child_shares_its_trace() -> None:
    tracer = IdsOnlyTracerProvider().get_tracer("test")
    with tracer.start_as_current_span("request") as root:
        root_ids = root.get_span_context()
        assert root_ids.is_valid and not root.is_recording()
        root.set_attribute("ignored", 1)  # a no-op, not an error
        line = json.loads(JsonLines().format(record("inside")))
        with tracer.start_as_current_span("command") as child:
            child_ids = child.get_span_context()
            assert traceparent() == f"00-{child_ids.trace_id:032x}-{child_ids.span_id:016x}-01"
    assert line["traceId"] == f"{root_ids.trace_id:032x}"
    assert line["spanId"] == f"{root_ids.span_id:016x}"
    assert child_ids.trace_id == root_ids.trace_id and child_ids.span_id != root_ids.span_id
    assert trace.get_current_span().get_span_context() != root_ids  # the block ended


def test_a_span_under_a_remote_traceparent_continues_that_trace() -> None:
    tracer = IdsOnlyTracerProvider().get_tracer("test")
    token = otel_context.attach(TraceContextTextMapPropagator().extract({"traceparent": REMOTE}))
    try:
        with tracer.start_as_current_span("step") as step:
            ids = step.get_span_context()
    finally:
        otel_context.detach(token)
    assert f"{ids.trace_id:032x}" == "0af7651916cd43dd8448eb211c80319c"
    assert f"{ids.span_id:016x}" != "b7ad6b7169203331"


def test_an_exception_inside_a_span_propagates_unchanged() -> None:
    tracer = IdsOnlyTracerProvider().get_tracer("test")
    with pytest.raises(ValueError), tracer.start_as_current_span("failing"):
        raise ValueError("refused")


def test_a_process_without_an_exporter_installs_ids_only_and_one_with_one_the_sdk() -> None:
    script = textwrap.dedent(
        """
        import sys
        from opentelemetry import trace
        from opentelemetry.sdk.trace import TracerProvider
        from infrastructure.observability.trace_ids import IdsOnlyTracerProvider
        from infrastructure.observability.tracing import configure_tracing
        environ = {"OTEL_EXPORTER_OTLP_ENDPOINT": sys.argv[1]} if sys.argv[1] else {}
        provider = configure_tracing("api", environ)
        wanted = TracerProvider if environ else IdsOnlyTracerProvider
        assert isinstance(provider, wanted), provider
        assert trace.get_tracer_provider() is provider
        assert configure_tracing("api", environ) is provider
        """
    )
    for endpoint in ("", "http://127.0.0.1:9"):
        done = subprocess.run(
            [sys.executable, "-c", script, endpoint],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert done.returncode == 0, done.stderr
