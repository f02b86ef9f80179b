"""Process-wide logging: one JSON object per line on stderr (or plain text for a terminal, with
LOG_FORMAT=text), for our code and every library that logs through the standard library —
uvicorn (told to install no handlers of its own), dramatiq, psycopg's pool, httpx.

Lines are formatted by python-json-logger, a standard `logging.Formatter`, so no caller logs
differently. Each carries the time, level, logger and message, the `extra` fields its caller
passed (the access log's route, status and duration), the request id, log position or saga
bound by the code that wrote it (application/log_context.py), and the active trace and span
ids, so a line leads to its trace and its trace to its lines. Secrets are kept out at the
source: seeds never leave the signing adapter, keys and webhook secrets are never formatted
into messages, and the e2e suite scans every line for them (tests/e2e/test_secrets.py).
"""

from __future__ import annotations

import logging
import sys
from datetime import UTC, datetime
from typing import Any, Final

from opentelemetry import trace
from pythonjsonlogger.core import RESERVED_ATTRS
from pythonjsonlogger.json import JsonFormatter

from application.log_context import current_fields

JSON: Final = "json"
TEXT: Final = "text"
LOG_FORMATS: Final = (JSON, TEXT)  # as LOG_FORMAT accepts (interfaces/settings.py)
ACCESS_LOGGER: Final = "ledgerline.access"
# Loggers of libraries we run whose handlers or levels would otherwise be their own.
_LIBRARY_LOGGERS: Final = ("uvicorn", "uvicorn.error", "uvicorn.access", "dramatiq")
# Per-request client logs would drown ours (httpx logs every request at INFO).
_CHATTY_LOGGERS: Final = ("httpx", "httpcore")
# uvicorn passes its message again with terminal colours as an `extra`: not worth a field.
_NOT_FIELDS: Final = ("color_message",)
# What a LogRecord carries that is not an `extra` field of the caller's.
_RECORD_ATTRIBUTES: Final = frozenset(
    {
        *vars(logging.LogRecord("", 0, "", 0, "", None, None)),
        "message",
        "asctime",
        "taskName",
        *_NOT_FIELDS,
    }
)


class JsonLines(JsonFormatter):
    def __init__(self) -> None:
        super().__init__(
            "%(asctime)s %(levelname)s %(name)s %(message)s %(threadName)s",
            rename_fields={
                "asctime": "ts",
                "levelname": "level",
                "name": "logger",
                "threadName": "thread",
                "exc_info": "exception",
            },
            reserved_attrs=[*RESERVED_ATTRS, *_NOT_FIELDS],
            json_default=str,
            json_ensure_ascii=False,
        )

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        return datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds")

    def add_fields(
        self, log_data: dict[str, Any], record: logging.LogRecord, message_dict: dict[str, Any]
    ) -> None:
        super().add_fields(log_data, record, message_dict)
        log_data.update(current_fields())
        context = trace.get_current_span().get_span_context()
        if context.is_valid:
            log_data["traceId"] = format(context.trace_id, "032x")
            log_data["spanId"] = format(context.span_id, "016x")


class PlainText(logging.Formatter):
    """For a terminal: the time, level, logger and message, then the bound and extra fields."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        fields = {**_extra(record), **current_fields()}
        if fields:
            text += " [" + " ".join(f"{k}={v}" for k, v in fields.items()) + "]"
        return text


def _extra(record: logging.LogRecord) -> dict[str, Any]:
    return {k: v for k, v in vars(record).items() if k not in _RECORD_ATTRIBUTES}


def configure_logging(level: str, log_format: str = JSON) -> None:
    """One handler on the root logger for the whole process; libraries' loggers propagate to
    it (uvicorn must be started with `log_config=None`, or it installs its own)."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonLines() if log_format == JSON else PlainText())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for name in _LIBRARY_LOGGERS:
        library = logging.getLogger(name)
        library.handlers[:] = []
        library.propagate = True
        library.setLevel(logging.NOTSET)
    for name in _CHATTY_LOGGERS:
        logging.getLogger(name).setLevel(max(logging.WARNING, root.level))
