"""Process-wide logging: one JSON object per line on stderr (or plain text for a terminal, with
LOG_FORMAT=text), level from LOG_LEVEL.

Each JSON line carries the time, level, logger and message, the request id, log position or
saga bound by the code that wrote it (application/log_context.py), and the active trace and span
ids, so a line leads to its trace and its trace to its lines. Secrets are kept out at the
source: seeds never leave the signing adapter, keys and webhook secrets are never formatted
into messages, and the e2e suite scans every line for them (tests/e2e/test_secrets.py).
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime
from typing import Any, Final

from opentelemetry import trace

from application.log_context import current_fields

JSON: Final = "json"
TEXT: Final = "text"
LOG_FORMATS: Final = (JSON, TEXT)  # as LOG_FORMAT accepts (interfaces/settings.py)


class JsonLines(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "thread": record.threadName,
        }
        line.update(current_fields())
        context = trace.get_current_span().get_span_context()
        if context.is_valid:
            line["traceId"] = format(context.trace_id, "032x")
            line["spanId"] = format(context.span_id, "016x")
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, default=str, ensure_ascii=False)


class PlainText(logging.Formatter):
    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        fields = current_fields()
        if fields:
            text += " [" + " ".join(f"{k}={v}" for k, v in fields.items()) + "]"
        return text


def configure_logging(level: str, log_format: str = JSON) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonLines() if log_format == JSON else PlainText())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # Per-request client logs would drown ours.
    logging.getLogger("httpx").setLevel(logging.WARNING)
