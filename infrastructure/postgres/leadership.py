"""Singleton loops by PostgreSQL advisory lock: whoever holds a loop's lock leads it.

A leader holds a session-level lock on a dedicated connection. If its process dies the
connection closes, the lock is released, and a standby that polls `pg_try_advisory_lock` takes
over within one poll interval. No flag is needed to run several runners: extra ones wait.
"""

from __future__ import annotations

import hashlib
import select
import time
from typing import Any, Final

import psycopg

# High bits of every key we take, so our locks are recognisable in pg_locks.
KEY_NAMESPACE: Final = 0x4C4C  # "LL"
# A leader confirms its lock's connection with a round trip at most this often. Between those,
# each check only looks whether the connection's socket has something to read — it never has
# while the session lives (the connection sends nothing and listens to nothing), and it has
# as soon as the server closes it or says why — so a leader on a busy log pays no round trip per
# step (one per step per loop was a tenth of the runner's CPU and a commit each).
PROBE_INTERVAL_S: Final = 5.0


def lock_key(loop_name: str) -> int:
    digest = int.from_bytes(hashlib.sha256(loop_name.encode()).digest()[:4], "big")
    return (KEY_NAMESPACE << 32) | digest


class Leadership:
    """One loop's lock on its own connection (never from a pool: the lock lives with it)."""

    def __init__(self, database_url: str, loop_name: str) -> None:
        self.loop_name = loop_name
        self.key = lock_key(loop_name)
        self._url = database_url
        self._conn: psycopg.Connection[Any] | None = None
        self._probed_at = -PROBE_INTERVAL_S

    @property
    def is_leader(self) -> bool:
        return self._conn is not None and not self._conn.closed

    def try_acquire(self) -> bool:
        if self.is_leader:
            return self._still_held()
        conn = psycopg.connect(self._url, autocommit=True, connect_timeout=10)
        row = conn.execute("SELECT pg_try_advisory_lock(%s)", (self.key,)).fetchone()
        if row and row[0]:
            self._conn = conn
            self._probed_at = time.monotonic()
            return True
        conn.close()
        return False

    def release(self) -> None:
        if self._conn is None:
            return
        try:
            if not self._conn.closed:
                self._conn.execute("SELECT pg_advisory_unlock(%s)", (self.key,))
        except psycopg.Error:
            pass
        finally:
            self._conn.close()
            self._conn = None

    def _still_held(self) -> bool:
        """Leadership ends when the lock's connection does (server restart, network)."""
        assert self._conn is not None
        now = time.monotonic()
        if now - self._probed_at < PROBE_INTERVAL_S and not self._socket_readable():
            return True
        try:
            self._conn.execute("SELECT 1")
            self._probed_at = now
            return True
        except psycopg.Error:
            self._conn.close()
            self._conn = None
            return False

    def _socket_readable(self) -> bool:
        assert self._conn is not None
        try:
            readable, _, _ = select.select([self._conn.fileno()], [], [], 0)
        except (OSError, ValueError, psycopg.Error):
            return True  # no socket to look at: let the round trip decide
        return bool(readable)


def held_locks(conn: Any) -> set[int]:
    """Keys of our advisory locks currently held by some session on this connection's database
    (advisory locks are per database: another ledger on the same server has its own)."""
    rows = conn.execute(
        "SELECT (classid::bigint << 32) | objid::bigint AS key FROM pg_locks"
        " WHERE locktype = 'advisory' AND granted AND classid = %s"
        " AND database = (SELECT oid FROM pg_database WHERE datname = current_database())",
        (KEY_NAMESPACE,),
    ).fetchall()
    return {int(r["key"] if isinstance(r, dict) else r[0]) for r in rows}
