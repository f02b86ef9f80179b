"""The service under test, as production runs it: real `ledgerline` processes on one database.

A bench run gets a fresh database (on the durable embedded cluster under `var/bench/`, or on
`DATABASE_URL`'s server) and its own Redis namespace, starts `ledgerline sandbox` and
`ledgerline serve`, and can start and stop `ledgerline runner` and `ledgerline worker` between
measures. Each process logs to its own file under `var/bench/logs/<run>/`; a process that dies
ends the run with the tail of its log. Nothing survives the run: the database is dropped and
every process is stopped, even when a measure fails.
"""

from __future__ import annotations

import fcntl
import os
import subprocess
import sys
import time
import uuid
from contextlib import suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Final

import httpx
import psycopg

from infrastructure.embedded.postgres import EmbeddedPostgres, free_port
from infrastructure.embedded.redis import EmbeddedRedis, die_with_parent

ROOT: Final = Path(__file__).resolve().parents[2]
VAR: Final = ROOT / "var" / "bench"
MASTER_KEY: Final = "ohk_master_" + "b" * 48
WALLET_ENCRYPTION_KEY: Final = "cd" * 32
START_WITHIN_S: Final = 60.0
STOP_WITHIN_S: Final = 30.0
LOG_TAIL_CHARS: Final = 3000
# Enough SSE connections on the one bench key for the 100 subscribers of sse_commit_to_client.
SSE_CONNECTIONS_PER_KEY: Final = 200


class StackError(Exception):
    """A process of the stack did not start or died (the message carries its log's tail), or
    another run holds the embedded stores."""


class RunLock:
    """Held by the one run that uses the embedded stores under `var/bench/`: a second run would
    join the first one's PostgreSQL cluster, and whichever ends first stops it under the other
    (and both would measure each other). Released when the run stops or its process dies."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._file: IO[str] | None = None

    def acquire(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        held = self.path.open("a+")
        try:
            fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            held.seek(0)
            holder = held.read().strip() or "unknown"
            held.close()
            raise StackError(
                f"another bench run (pid {holder}) is using {self.path.parent}: wait for it to"
                " end, or give this one DATABASE_URL and REDIS_URL of its own"
            ) from None
        held.truncate(0)
        held.write(f"{os.getpid()}\n")
        held.flush()
        self._file = held

    def release(self) -> None:
        if self._file is not None:
            self._file.close()  # closing the file releases the lock
            self._file = None


@dataclass
class Process:
    name: str
    popen: subprocess.Popen[bytes]
    log_path: Path

    @property
    def pid(self) -> int:
        return self.popen.pid

    def alive(self) -> bool:
        return self.popen.poll() is None

    def tail(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-LOG_TAIL_CHARS:]
        except OSError:
            return ""

    def stop(self) -> None:
        if self.alive():
            self.popen.terminate()
            try:
                self.popen.wait(timeout=STOP_WITHIN_S)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait(timeout=STOP_WITHIN_S)


@dataclass
class Stack:
    """Embedded or given PostgreSQL and Redis, a fresh database, and the service's processes."""

    database_url: str = ""
    redis_url: str = ""
    api_port: int = 0
    env: dict[str, str] = field(default_factory=dict)
    processes: dict[str, Process] = field(default_factory=dict)
    run_id: str = field(default_factory=lambda: time.strftime("%Y%m%d-%H%M%S"))
    _postgres: EmbeddedPostgres | None = None
    _redis: EmbeddedRedis | None = None
    _admin_url: str = ""
    _database: str = ""
    _lock: RunLock = field(default_factory=lambda: RunLock(VAR / "run.lock"))

    @property
    def api_base(self) -> str:
        return f"http://127.0.0.1:{self.api_port}/api/v1"

    @property
    def log_dir(self) -> Path:
        return VAR / "logs" / self.run_id

    def start(self) -> Stack:
        self._start_stores()
        self.api_port = free_port()
        self.env = {
            **os.environ,
            "DATABASE_URL": self.database_url,
            "REDIS_URL": self.redis_url,
            "PORT": str(self.api_port),
            "LEDGERLINE_MASTER_KEY": MASTER_KEY,
            "WALLET_ENCRYPTION_KEY": WALLET_ENCRYPTION_KEY,
            "RATE_LIMIT_PER_MINUTE": "1000000",
            "SSE_CONNECTIONS_PER_KEY_MAX": str(SSE_CONNECTIONS_PER_KEY),
            "LOG_LEVEL": "WARNING",
            "LEDGERLINE_BROKER_NAMESPACE": f"ledgerline-bench-{uuid.uuid4().hex[:8]}",
            "LEDGERLINE_VAR_DIR": str(VAR / "service"),
        }
        for variable in ("METRICS_PORT", "OTEL_EXPORTER_OTLP_ENDPOINT"):
            self.env.pop(variable, None)
        self._start_sandbox()
        self.start_process("api", "serve")
        self._wait_for(f"{self.api_base}/health", self.processes["api"])
        return self

    def start_process(self, name: str, command: str, *args: str) -> Process:
        """Starts `ledgerline <command>` as `name`, logging to its own file."""
        self.log_dir.mkdir(parents=True, exist_ok=True)
        log_path = self.log_dir / f"{name}.log"
        with log_path.open("ab") as log:
            popen = subprocess.Popen(
                [sys.executable, "-m", "interfaces.cli", command, *args],
                env=self.env,
                preexec_fn=die_with_parent,
                cwd=ROOT,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        process = Process(name, popen, log_path)
        self.processes[name] = process
        return process

    def stop_process(self, name: str) -> None:
        process = self.processes.pop(name, None)
        if process is not None:
            process.stop()

    def check_alive(self) -> None:
        for process in self.processes.values():
            if not process.alive():
                raise StackError(
                    f"`ledgerline {process.name}` exited ({process.popen.returncode}); "
                    f"its log {process.log_path} ends:\n{process.tail()}"
                )

    def stop(self) -> None:
        for name in list(self.processes)[::-1]:
            with suppress(Exception):
                self.stop_process(name)
        self._drop_database()
        if self._redis is not None:
            with suppress(Exception):
                self._redis.stop()
        if self._postgres is not None:
            with suppress(Exception):
                self._postgres.stop_if_started_here()
        self._lock.release()

    # -- internals ----------------------------------------------------------------------------

    def _start_stores(self) -> None:
        """`DATABASE_URL` as given (its owner keeps it), or a new database on the durable
        embedded cluster (fsync on: commands are as durable as in production), dropped at the
        end of the run."""
        self.database_url = os.environ.get("DATABASE_URL", "")
        self.redis_url = os.environ.get("REDIS_URL", "")
        if not (self.database_url and self.redis_url):
            self._lock.acquire()
        if not self.database_url:
            self._database = f"bench_{uuid.uuid4().hex[:10]}"
            self._postgres = EmbeddedPostgres(VAR / "postgres", durable=True)
            self._admin_url = self._postgres.start()
            with psycopg.connect(self._admin_url, autocommit=True) as conn:
                conn.execute(f'CREATE DATABASE "{self._database}"')
            self.database_url = self._admin_url.rsplit("/", 1)[0] + f"/{self._database}"
        if not self.redis_url:
            self._redis = EmbeddedRedis(VAR / "redis", durable=False)
            self.redis_url = self._redis.start()

    def _drop_database(self) -> None:
        if not self._database:
            return
        with suppress(psycopg.Error), psycopg.connect(self._admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{self._database}" WITH (FORCE)')
        self._database = ""

    def _start_sandbox(self) -> None:
        port = free_port()
        sandbox = self.start_process("sandbox", "sandbox", "--port", str(port))
        url = f"http://127.0.0.1:{port}"
        state = self._wait_for(f"{url}/sandbox/state", sandbox).json()
        self.env.update(
            STELLAR_NETWORK="sandbox",
            STELLAR_HORIZON_URL=f"{url}/horizon",
            TRUSTLESS_API_URL=f"{url}/trustless-work",
            STELLAR_USDC_ISSUER=str(state["usdc"]["issuer"]),
            LEDGERLINE_SANDBOX_URL=url,
        )

    def _wait_for(self, url: str, process: Process) -> httpx.Response:
        deadline = time.monotonic() + START_WITHIN_S
        while True:
            try:
                response = httpx.get(url, timeout=1)
                if response.status_code == 200:
                    return response
            except httpx.HTTPError:
                pass
            if not process.alive() or time.monotonic() > deadline:
                raise StackError(
                    f"`ledgerline {process.name}` did not start; its log {process.log_path} "
                    f"ends:\n{process.tail()}"
                )
            time.sleep(0.1)
