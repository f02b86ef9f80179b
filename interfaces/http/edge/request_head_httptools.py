"""The head bound of request_head.py for uvicorn's httptools parser, which has none of its own.

Complete fields are counted as httptools reports them (the URL, then each header); a field still
arriving is bounded by counting the bytes buffered since the head began, so an endless header
value is refused too, after at most one read more than HEADERS_BYTES_MAX.
"""

from __future__ import annotations

from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from interfaces.http.edge.request_head import (
    FIELD_OVERHEAD_BYTES,
    HEADERS_BYTES_MAX,
    Lingering,
    malformed,
    too_large,
)


class HttpToolsHeadGuard(Lingering, HttpToolsProtocol):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._in_head = False
        self._head_bytes = 0  # complete fields of this head
        self._buffered_bytes = 0  # bytes read since the head began, complete or not
        self._too_large = False

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._in_head, self._head_bytes, self._buffered_bytes = True, 0, 0

    def on_url(self, url: bytes) -> None:
        self._count(len(url))
        super().on_url(url)

    def on_header(self, name: bytes, value: bytes) -> None:
        self._count(len(name) + len(value) + FIELD_OVERHEAD_BYTES)
        super().on_header(name, value)

    def on_headers_complete(self) -> None:
        self._in_head = False
        super().on_headers_complete()

    def data_received(self, data: bytes) -> None:
        if self._draining:
            self.drain(data)
            return
        was_in_head = self._in_head
        super().data_received(data)
        if self._draining or not self._in_head:
            return
        # The head is still incomplete. When it began in this read, the bytes before it belonged
        # to the previous request, so only later reads are counted whole.
        self._buffered_bytes = self._buffered_bytes + len(data) if was_in_head else 0
        if self._buffered_bytes > HEADERS_BYTES_MAX:
            self._too_large = True
            self.refuse(too_large())

    def _count(self, size: int) -> None:
        self._head_bytes += size
        if self._head_bytes > HEADERS_BYTES_MAX:
            self._too_large = True
            # Raised inside a parser callback: httptools stops and uvicorn calls
            # send_400_response, which answers 431 for it.
            raise ValueError("request head too large")

    def send_400_response(self, msg: str) -> None:
        self.refuse(too_large() if self._too_large else malformed())

    def connection_lost(self, exc: Exception | None) -> None:
        self.stop_lingering()
        super().connection_lost(exc)
