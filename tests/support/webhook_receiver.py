"""A marketplace's webhook endpoint for tests: an HTTP server on loopback that answers each event
by a plan (fail its first N attempts, be slow, always fail) and records every request."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from tests.support.stack import free_port


@dataclass(frozen=True)
class Received:
    headers: dict[str, str]
    body: bytes
    answered: int

    @property
    def envelope(self) -> dict[str, Any]:
        return dict(json.loads(self.body))


def signature_verifies(secret: str, received: Received) -> bool:
    """Standard Webhooks verification, written from the specification (not our signer)."""
    key = base64.b64decode(secret.removeprefix("whsec_"))
    headers = received.headers
    signed = f"{headers['webhook-id']}.{headers['webhook-timestamp']}.".encode() + received.body
    expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    presented = [s.partition(",")[2] for s in headers["webhook-signature"].split(" ")]
    return any(hmac.compare_digest(expected, p) for p in presented)


class WebhookReceiver:
    def __init__(self, fail_first: int = 0, *, always_fail: bool = False, delay_s: float = 0.0):
        self.fail_first = fail_first
        self.always_fail = always_fail
        self.delay_s = delay_s
        self.requests: list[Received] = []
        self._attempts: dict[str, int] = {}
        self._lock = threading.Lock()
        self.port = free_port()
        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks"

    def __enter__(self) -> WebhookReceiver:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def for_event(self, event_id: str) -> list[Received]:
        with self._lock:
            return [r for r in self.requests if r.headers.get("webhook-id") == event_id]

    def delivered(self, event_id: str) -> list[Received]:
        return [r for r in self.for_event(event_id) if 200 <= r.answered < 300]

    def _answer(self, headers: dict[str, str], body: bytes) -> int:
        with self._lock:
            event_id = headers.get("webhook-id", "")
            seen = self._attempts.get(event_id, 0)
            self._attempts[event_id] = seen + 1
            status = 500 if self.always_fail or seen < self.fail_first else 200
            self.requests.append(Received(headers, body, status))
        return status

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length", "0")))
                headers = {k.lower(): v for k, v in self.headers.items()}
                if receiver.delay_s:
                    time.sleep(receiver.delay_s)  # the slow receiver under test
                status = receiver._answer(headers, body)
                self.send_response(status)
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        return Handler
