"""A server-sent events client for tests: reads one stream in a background thread and keeps every
frame and heartbeat it saw, so a test can wait (bounded) for what it expects."""

from __future__ import annotations

import contextlib
import json
import socket
import threading
from dataclasses import dataclass, field
from typing import Any

import httpx

from tests.support.waiting import wait_until


@dataclass(frozen=True)
class Frame:
    id: str | None
    event: str | None
    data: str

    @property
    def position(self) -> int:
        assert self.id is not None
        return int(self.id)

    @property
    def envelope(self) -> dict[str, Any]:
        return dict(json.loads(self.data))


@dataclass
class EventStreamClient:
    base_url: str
    key: str
    params: dict[str, Any] = field(default_factory=dict)
    last_event_id: str | None = None
    frames: list[Frame] = field(default_factory=list)
    heartbeats: int = 0
    status_code: int | None = None
    ended: threading.Event = field(default_factory=threading.Event)

    def __post_init__(self) -> None:
        self._client = httpx.Client(base_url=self.base_url, timeout=httpx.Timeout(30, read=15))
        self._response: httpx.Response | None = None
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._read, daemon=True)

    def start(self) -> EventStreamClient:
        self._thread.start()
        wait_until(lambda: self.status_code is not None, message="the stream's status")
        return self

    def close(self) -> None:
        """Hangs up at once: shutting the socket down wakes the reader blocked on it."""
        if self._response is not None:
            stream = self._response.extensions.get("network_stream")
            sock = stream.get_extra_info("socket") if stream is not None else None
            if sock is not None:
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
        self._thread.join(timeout=5)
        self._client.close()

    def __enter__(self) -> EventStreamClient:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    def positions(self) -> list[int]:
        with self._lock:
            return [f.position for f in self.frames]

    def wait_for_position(self, position: int, timeout_s: float = 15.0) -> None:
        wait_until(
            lambda: any(p >= position for p in self.positions()),
            timeout_s=timeout_s,
            message=f"the stream to reach position {position}",
        )

    def _read(self) -> None:
        headers = {"Authorization": f"Bearer {self.key}", "Accept": "text/event-stream"}
        if self.last_event_id is not None:
            headers["Last-Event-ID"] = self.last_event_id
        try:
            with self._client.stream("GET", "/events", params=self.params, headers=headers) as r:
                self._response = r
                self.status_code = r.status_code
                if r.status_code == 200:
                    self._parse(r)
        except (httpx.HTTPError, RuntimeError):
            pass  # closed by the test or the server
        finally:
            if self.status_code is None:
                self.status_code = -1
            self.ended.set()

    def _parse(self, response: httpx.Response) -> None:
        fields: dict[str, str] = {}
        for line in response.iter_lines():
            if line == "":
                if "data" in fields:
                    frame = Frame(fields.get("id"), fields.get("event"), fields["data"])
                    with self._lock:
                        self.frames.append(frame)
                fields = {}
            elif line.startswith(":"):
                self.heartbeats += 1
            else:
                name, _, value = line.partition(":")
                fields[name] = value[1:] if value.startswith(" ") else value
