"""What a measure costs, read from outside the service: CPU time of each process tree (from
/proc, so threads and worker processes are included) and PostgreSQL's commit counters.

Readings are taken at the start and the end of a measure's window, while the load runs, so
the costs divide by the operations completed in that same window. PostgreSQL publishes a
backend's counters about once a second while it is busy, so `xact_commit` over a window of a
few seconds is exact to within that; `write_xacts` (transaction ids handed out) is exact.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import psycopg

PROC: Final = Path("/proc")
CLOCK_TICKS_PER_S: Final = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _stat_fields(pid: int) -> list[str] | None:
    try:
        raw = (PROC / str(pid) / "stat").read_text()
    except OSError:
        return None
    # The command name (field 2) may hold spaces; the fields after its closing parenthesis are
    # numbered from 3.
    return raw[raw.rindex(")") + 2 :].split()


def _children() -> dict[int, list[int]]:
    tree: dict[int, list[int]] = {}
    for entry in PROC.iterdir():
        if entry.name.isdigit():
            fields = _stat_fields(int(entry.name))
            if fields is not None:
                tree.setdefault(int(fields[1]), []).append(int(entry.name))
    return tree


def tree_cpu_s(root_pid: int) -> float | None:
    """User + system CPU seconds of `root_pid` and its descendants, live or exited; None off
    Linux or when the process is gone."""
    if not PROC.exists() or _stat_fields(root_pid) is None:
        return None
    tree = _children()
    total_ticks = 0
    pending = [root_pid]
    while pending:
        pid = pending.pop()
        fields = _stat_fields(pid)
        if fields is not None:
            # utime, stime, and cutime, cstime: what its exited children used (PostgreSQL's
            # backends and autovacuum workers come and go; their time stays in the tree).
            total_ticks += sum(int(f) for f in fields[11:15])
        pending.extend(tree.get(pid, ()))
    return total_ticks / CLOCK_TICKS_PER_S


def _group_cpu_s(pids: list[int]) -> float | None:
    readings = [tree_cpu_s(pid) for pid in pids]
    known = [r for r in readings if r is not None]
    return sum(known) if known else None


def postmaster_pid(conn: psycopg.Connection[Any]) -> int | None:
    """The PostgreSQL server's pid when it runs on this machine and we may read its data
    directory (the embedded cluster; a superuser's local server)."""
    try:
        row = conn.execute("SHOW data_directory").fetchone()
    except psycopg.Error:
        return None
    if row is None:
        return None
    try:
        pid = int((Path(str(row[0])) / "postmaster.pid").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None
    return pid if _stat_fields(pid) is not None else None


@dataclass(frozen=True, slots=True)
class Reading:
    cpu_s: dict[str, float | None]
    xact_commit: int
    next_xid: int


class Meters:
    """Reads the counters of the named process trees and of the bench database."""

    def __init__(self, database_url: str) -> None:
        self._conn = psycopg.connect(database_url, autocommit=True)
        # Named groups of process trees: "api", "runner", "postgres", "generator", …
        self.roots: dict[str, list[int]] = {}
        pid = postmaster_pid(self._conn)
        if pid is not None:
            self.roots["postgres"] = [pid]

    def read(self) -> Reading:
        row = self._conn.execute(
            "SELECT xact_commit, pg_snapshot_xmax(pg_current_snapshot())::text::bigint"
            " FROM pg_stat_database WHERE datname = current_database()"
        ).fetchone()
        assert row is not None
        return Reading(
            cpu_s={name: _group_cpu_s(pids) for name, pids in self.roots.items()},
            xact_commit=int(row[0]),
            next_xid=int(row[1]),
        )

    def close(self) -> None:
        self._conn.close()


def costs(before: Reading, after: Reading, operations: int) -> dict[str, float | None]:
    """Per completed operation: CPU ms of each process tree, PostgreSQL commits and write
    transactions (the meter's own read is one commit per window: noise)."""
    per: dict[str, float | None] = {}
    count = max(operations, 1)
    for name, start in before.cpu_s.items():
        end = after.cpu_s.get(name)
        per[f"cpu_ms_per_op_{name}"] = (
            None if start is None or end is None else round((end - start) * 1000 / count, 3)
        )
    per["pg_commits_per_op"] = round((after.xact_commit - before.xact_commit) / count, 3)
    per["pg_write_xacts_per_op"] = round((after.next_xid - before.next_xid) / count, 3)
    return per
