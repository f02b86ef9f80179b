"""Traces leave a process by the OpenTelemetry environment variables alone, and then carry the
PostgreSQL and Redis calls the process made (the official instrumentations)."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from infrastructure.observability.tracing import traces_endpoint
from tests.support.stack import MASTER_KEY, free_port

pytestmark = pytest.mark.integration
COMMAND_TIMEOUT_S = 240


class Collector:
    """An OTLP/HTTP collector that keeps what it is sent (path, body)."""

    def __init__(self) -> None:
        self.received: list[tuple[str, bytes]] = []
        received = self.received

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length", 0)))
                received.append((self.path, body))
                self.send_response(200)
                self.send_header("content-type", "application/x-protobuf")
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.port = free_port()
        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> Collector:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()


def test_the_traces_endpoint_alone_exports_spans_of_postgresql_and_redis_calls(
    database_url: str, redis_url: str
) -> None:
    with Collector() as collector:
        environ = {key: value for key, value in os.environ.items() if not key.startswith("OTEL_")}
        environ.update(
            DATABASE_URL=database_url,
            REDIS_URL=redis_url,
            LEDGERLINE_MASTER_KEY=MASTER_KEY,
            WALLET_ENCRYPTION_KEY="ab" * 32,
            OTEL_EXPORTER_OTLP_TRACES_ENDPOINT=f"http://127.0.0.1:{collector.port}/custom/traces",
        )
        done = subprocess.run(
            [sys.executable, "-m", "interfaces.cli", "projections", "status"],
            env=environ,
            capture_output=True,
            text=True,
            timeout=COMMAND_TIMEOUT_S,
            check=False,
        )
        assert done.returncode == 0, done.stderr
    assert collector.received, "no spans were exported"
    assert {path for path, _ in collector.received} == {"/custom/traces"}
    exported = b"".join(body for _, body in collector.received)
    assert b"ledgerline-cli" in exported
    assert b"postgresql" in exported
    assert b"redis" in exported


@pytest.mark.parametrize(
    ("environ", "endpoint"),
    [
        ({}, None),
        ({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4318"}, "http://c:4318/v1/traces"),
        ({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4318/"}, "http://c:4318/v1/traces"),
        ({"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://t:1/x"}, "http://t:1/x"),
        (
            {
                "OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4318",
                "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://t:1/x",
            },
            "http://t:1/x",
        ),
        ({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4318", "OTEL_TRACES_EXPORTER": "none"}, None),
        ({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4318", "OTEL_SDK_DISABLED": "true"}, None),
    ],
)
def test_the_traces_endpoint_follows_the_opentelemetry_specification(
    environ: dict[str, str], endpoint: str | None
) -> None:
    assert traces_endpoint(environ) == endpoint
