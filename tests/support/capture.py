"""What the test session showed the outside world: every HTTP response body our clients
received and every log record emitted in-process, kept to scan for secrets at the end."""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field

import httpx


@dataclass
class Capture:
    bodies: list[bytes] = field(default_factory=list)
    log_lines: list[str] = field(default_factory=list)
    tokens: list[str] = field(default_factory=list)  # API keys issued (shown once, by design)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def record_response(self, response: httpx.Response) -> None:
        if response.headers.get("content-type", "").startswith("text/event-stream"):
            return  # an event stream never ends: reading it here would hang its caller
        body = response.read()
        with self._lock:
            self.bodies.append(body)


class _LogSink(logging.Handler):
    def __init__(self, capture: Capture) -> None:
        super().__init__(level=logging.DEBUG)
        self._capture = capture
        self.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        try:
            line = self.format(record)
        except Exception:
            return
        with self._capture._lock:
            self._capture.log_lines.append(line)


SESSION = Capture()


def install_log_sink() -> logging.Handler:
    sink = _LogSink(SESSION)
    root = logging.getLogger()
    root.addHandler(sink)
    root.setLevel(min(root.level or logging.INFO, logging.INFO))
    return sink
