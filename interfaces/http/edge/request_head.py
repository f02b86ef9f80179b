"""A request's head (its request line and header fields) is at most HEADERS_BYTES_MAX bytes; a
larger one is refused with 431 REQUEST_HEADERS_TOO_LARGE before the app sees it, whichever HTTP
parser uvicorn runs (`protocol_for`: h11 here, httptools in request_head_httptools.py).

The parsers alone do not do it. h11 bounds only what it buffers while a head is incomplete, so a
head that arrives in one read passes whatever its size; httptools bounds nothing. And uvicorn
answers any parser refusal with a plain 400 and closes at once: closing with the client's bytes
still unread makes the kernel reset the connection, and the client sees the reset instead of
the answer (a 1 MB Authorization header did). So the protocols here count the head themselves,
answer with the error body every refusal has, and then linger: they half-close, and read and
discard what the client still sends (at most DRAIN_BYTES_MAX, for at most DRAIN_S) before
closing, so the answer is read.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from http import HTTPStatus
from typing import Any, Final

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

from domain.errors import DomainError, ValidationError
from interfaces.http.edge.edge_state import request_id_from_headers
from interfaces.http.edge.errors import HeadersTooLargeError, error_body, status_of

HEADERS_BYTES_MAX: Final = 16 * 1024
# After a refusal: how much more the client may send, and for how long, before the close.
DRAIN_BYTES_MAX: Final = 8 * 1024 * 1024
DRAIN_S: Final = 5.0
# What each header field costs besides its name and value: ": " and CRLF.
FIELD_OVERHEAD_BYTES: Final = 4


def head_bytes(target: bytes, headers: Iterable[tuple[bytes, bytes]]) -> int:
    """The size of a request head as counted against HEADERS_BYTES_MAX."""
    return len(target) + sum(len(n) + len(v) + FIELD_OVERHEAD_BYTES for n, v in headers)


def too_large() -> HeadersTooLargeError:
    return HeadersTooLargeError(
        f"the request line and headers exceed {HEADERS_BYTES_MAX} bytes", max=HEADERS_BYTES_MAX
    )


def malformed() -> ValidationError:
    return ValidationError("the request is not valid HTTP/1.1")


class Lingering:
    """A refusal written by the protocol, then a bounded drain before the close."""

    transport: asyncio.Transport
    loop: asyncio.AbstractEventLoop
    _draining: bool = False
    _drained_bytes: int = 0
    _close_timer: asyncio.TimerHandle | None = None

    def refuse(self, error: DomainError) -> None:
        status = status_of(error)
        body = error_body(error.code, error.message, request_id_from_headers(None), error.details)
        head = (
            f"HTTP/1.1 {status} {HTTPStatus(status).phrase}\r\n"
            "content-type: application/json\r\n"
            f"content-length: {len(body)}\r\n"
            "connection: close\r\n\r\n"
        ).encode("ascii")
        self.transport.write(head + body)
        self._draining = True
        if self.transport.can_write_eof():
            self.transport.write_eof()
        self.transport.resume_reading()
        self._close_timer = self.loop.call_later(DRAIN_S, self.transport.close)

    def drain(self, data: bytes) -> None:
        self._drained_bytes += len(data)
        if self._drained_bytes > DRAIN_BYTES_MAX:
            self.transport.close()

    def stop_lingering(self) -> None:
        if self._close_timer is not None:
            self._close_timer.cancel()
            self._close_timer = None


class _BoundedH11Connection(h11.Connection):
    """h11, plus the size check of a head that arrived whole, and the status it refused with."""

    refused_with: int = 400

    def next_event(self) -> Any:
        try:
            event = super().next_event()
        except h11.RemoteProtocolError as error:
            self.refused_with = error.error_status_hint
            raise
        if isinstance(event, h11.Request) and (
            head_bytes(event.target, event.headers.raw_items()) > HEADERS_BYTES_MAX
        ):
            self.refused_with = 431
            raise h11.RemoteProtocolError("request head too large", error_status_hint=431)
        return event


class H11HeadGuard(Lingering, H11Protocol):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # h11's own bound (a head still incomplete) answers 431 too.
        self.conn = _BoundedH11Connection(h11.SERVER, max_incomplete_event_size=HEADERS_BYTES_MAX)

    def data_received(self, data: bytes) -> None:
        if self._draining:
            self.drain(data)
            return
        super().data_received(data)

    def send_400_response(self, msg: str) -> None:
        refused_with = getattr(self.conn, "refused_with", 400)
        self.refuse(too_large() if refused_with == 431 else malformed())

    def connection_lost(self, exc: Exception | None) -> None:
        self.stop_lingering()
        super().connection_lost(exc)


HTTP_PARSERS: Final = ("h11", "httptools")


def protocol_for(parser: str) -> type[asyncio.Protocol]:
    """The uvicorn protocol class for `parser`, with the head bound and the lingering refusal."""
    if parser == "h11":
        return H11HeadGuard
    if parser == "httptools":
        # Imported here: httptools is optional until the server runs it.
        from interfaces.http.edge.request_head_httptools import HttpToolsHeadGuard

        return HttpToolsHeadGuard
    raise ValueError(f"unknown HTTP parser {parser!r}; expected one of {HTTP_PARSERS}")
