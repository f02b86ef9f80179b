"""Every read model equals a fold of the log: copy the database once the service is stopped
(PostgreSQL's `CREATE DATABASE … TEMPLATE`, a file copy), rebuild every projection in the copy
with `ledgerline projections rebuild --all` (from the log alone), and compare each read model's
rows, table by table, with the ones the service built incrementally through every kill.

Only `tracking` tables are skipped (their `updated_at` is the time of the fold). The original
database is only read.
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Final

import psycopg

from simulation.books import read_only
from simulation.fleet import Fleet

COPY_DATABASE: Final = "ledgerline_refold"
DIFFERING_ROWS_SHOWN_MAX: Final = 3
REBUILD_TIMEOUT_S: Final = 900.0
# A stopped process's sessions end as PostgreSQL notices their sockets closed: wait this long
# for the last ones before copying, since a copy needs no other session on the database.
SESSIONS_GONE_WITHIN_S: Final = 30.0
SESSIONS_POLL_S: Final = 0.2


@dataclass
class Comparison:
    tables: int = 0
    rows: int = 0
    differing: dict[str, list[str]] = field(default_factory=dict)
    problem: str | None = None


def compare_with_refold(fleet: Fleet) -> Comparison:
    admin = fleet.postgres.url_of("postgres")
    with psycopg.connect(admin, autocommit=True) as conn:
        lingering = _sessions_gone(conn)
        if lingering:
            return Comparison(
                problem="sessions still on the database after the service stopped: "
                + "; ".join(lingering)
            )
        conn.execute(f'DROP DATABASE IF EXISTS "{COPY_DATABASE}"')
        conn.execute(f'CREATE DATABASE "{COPY_DATABASE}" TEMPLATE "ledgerline"')
    copy_url = fleet.postgres.url_of(COPY_DATABASE)
    rebuilt = fleet.run_cli(
        "projections", "rebuild", "--all", database_url=copy_url, timeout_s=REBUILD_TIMEOUT_S
    )
    if rebuilt.returncode != 0:
        return Comparison(problem=f"projections rebuild failed: {rebuilt.stderr.strip()[-2000:]}")
    comparison = Comparison()
    with read_only(fleet.postgres.url) as live, read_only(copy_url) as copy:
        for schema, table in _tables(live):
            comparison.tables += 1
            name = f'"{schema}"."{table}"'
            ours, theirs = _rows(live, name), _rows(copy, name)
            comparison.rows += ours.total()
            if ours != theirs:
                only_live = sorted((ours - theirs).elements())[:DIFFERING_ROWS_SHOWN_MAX]
                only_copy = sorted((theirs - ours).elements())[:DIFFERING_ROWS_SHOWN_MAX]
                comparison.differing[f"{schema}.{table}"] = [
                    *(f"incremental only: {row}" for row in only_live),
                    *(f"rebuilt only:     {row}" for row in only_copy),
                ]
    return comparison


def _sessions_gone(conn: psycopg.Connection[Any]) -> list[str]:
    """Waits (bounded) until no other session is on the service's database; the ones left
    past the bound, described, else nothing."""
    deadline = time.monotonic() + SESSIONS_GONE_WITHIN_S
    while True:
        rows = conn.execute(
            "SELECT pid, application_name, client_port, state, left(query, 80)"
            " FROM pg_stat_activity WHERE datname = 'ledgerline' AND pid <> pg_backend_pid()"
        ).fetchall()
        if not rows or time.monotonic() > deadline:
            return [" ".join(str(v) for v in row) for row in rows]
        time.sleep(SESSIONS_POLL_S)


def _tables(conn: psycopg.Connection[tuple[str, ...]]) -> list[tuple[str, str]]:
    """The read models' tables: schemas rm_*, not their tracking and not the followers that
    are never rebuilt (the outbox and the webhook dispatcher only enqueue)."""
    rows = conn.execute(
        "SELECT table_schema, table_name FROM information_schema.tables"
        " WHERE table_schema LIKE 'rm\\_%' AND table_schema NOT LIKE '%\\_\\_next'"
        " AND table_name <> 'tracking'"
        " AND table_schema NOT IN ('rm_outbox', 'rm_webhook_dispatch') ORDER BY 1, 2"
    ).fetchall()
    return [(str(s), str(t)) for s, t in rows]


def _rows(conn: psycopg.Connection[tuple[str, ...]], table: str) -> Counter[str]:
    return Counter(str(r[0]) for r in conn.execute(f"SELECT t::text FROM {table} t").fetchall())  # noqa: S608
