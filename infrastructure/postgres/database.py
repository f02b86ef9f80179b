"""Connections to our own PostgreSQL tables (read models, idempotency records, key material) and
the numbered, append-only SQL migrations that create them.

Migrations run under an advisory lock (`schema_lock`) so several processes starting together
apply each file exactly once; a file is never edited after it is merged.

Pooled connections are not checked on every checkout (a round trip per query); instead, the
first query that finds its connection broken (the server restarted) makes the pool test all its
idle ones, so one request meets the restart rather than one per pooled connection.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from importlib import resources
from typing import Any, Final

import psycopg
from psycopg import Connection
from psycopg.rows import dict_row
from psycopg_pool import ConnectionPool, PoolTimeout

MIGRATION_LOCK_KEY: Final = 7_310_001
# How long a caller waits for a pooled connection before the store counts as unavailable (a
# 503 at the edge): long enough for a busy pool, short enough to answer during an outage.
POOL_TIMEOUT_S: Final = 5.0
POOL_IDLE_S: Final = 300.0
# A pool that cannot connect retries with a doubling delay (1, 2, 4 s…) and gives up after this
# long; the next caller starts afresh. Kept short so a restarted server is found within seconds,
# not after a delay that grew through the whole outage.
RECONNECT_TIMEOUT_S: Final = 10.0


class RecoveringPool(ConnectionPool[Connection[dict[str, Any]]]):
    """A pool that tests its idle connections when one of them turned out broken."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._checking = threading.Lock()

    @contextmanager
    def connection(self, timeout: float | None = None) -> Iterator[Connection[dict[str, Any]]]:
        try:
            with super().connection(timeout) as conn:
                yield conn
        except psycopg.OperationalError as error:
            if not isinstance(error, PoolTimeout):
                self.recheck()
            raise

    def recheck(self) -> None:
        """Drops every broken idle connection (one caller at a time; others go on)."""
        if not self._checking.acquire(blocking=False):
            return
        try:
            self.check()
        finally:
            self._checking.release()


Pool = RecoveringPool


def connection_pool(url: str, *, size_max: int, name: str, size_min: int = 1) -> Pool:
    pool = RecoveringPool(
        url,
        min_size=size_min,
        max_size=size_max,
        name=name,
        timeout=POOL_TIMEOUT_S,
        kwargs={"row_factory": dict_row, "autocommit": True},
        # No check on every checkout (a round trip per query); a broken connection fails its
        # query once and the pool replaces it.
        max_idle=POOL_IDLE_S,
        reconnect_timeout=RECONNECT_TIMEOUT_S,
        open=False,
    )
    pool.open(wait=True, timeout=POOL_TIMEOUT_S)
    return pool


@contextmanager
def schema_lock(url: str) -> Iterator[None]:
    """Serialises schema changes (ours and the event store's CREATE TABLE IF NOT EXISTS, which
    races when several processes start together) across processes."""
    with psycopg.connect(url, autocommit=True, connect_timeout=10) as conn:
        conn.execute("SELECT pg_advisory_lock(%s)", (MIGRATION_LOCK_KEY,))
        try:
            yield
        finally:
            conn.execute("SELECT pg_advisory_unlock(%s)", (MIGRATION_LOCK_KEY,))


def migrations() -> list[tuple[str, str]]:
    folder = resources.files("infrastructure.postgres") / "migrations"
    files = sorted(f.name for f in folder.iterdir() if f.name.endswith(".sql"))
    return [(name, (folder / name).read_text()) for name in files]


def migrate(pool: Pool) -> list[str]:
    """Applies the migrations not yet applied; returns their names. Call under `schema_lock`."""
    applied: list[str] = []
    with pool.connection() as conn, conn.transaction():
        conn.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations ("
            " name text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())"
        )
        done = {row["name"] for row in conn.execute("SELECT name FROM schema_migrations")}
        for name, sql in migrations():
            if name in done:
                continue
            conn.execute(sql)  # type: ignore[arg-type]  # our own trusted files
            conn.execute("INSERT INTO schema_migrations (name) VALUES (%s)", (name,))
            applied.append(name)
    return applied
