"""The spans the in-process services finished, the latest ones kept (a whole suite makes far
more than a test needs to look at)."""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Sequence
from typing import Final

from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export import SpanExporter, SpanExportResult

SPANS_KEPT_MAX: Final = 50_000


class RecentSpans(SpanExporter):
    def __init__(self) -> None:
        self._spans: deque[ReadableSpan] = deque(maxlen=SPANS_KEPT_MAX)
        self._lock = threading.Lock()

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        with self._lock:
            self._spans.extend(spans)
        return SpanExportResult.SUCCESS

    def finished(self) -> list[ReadableSpan]:
        with self._lock:
            return list(self._spans)

    def in_trace(self, trace_id: int) -> list[ReadableSpan]:
        return [
            s for s in self.finished() if s.context is not None and s.context.trace_id == trace_id
        ]

    def named(self, prefix: str) -> list[ReadableSpan]:
        return [s for s in self.finished() if s.name.startswith(prefix)]
