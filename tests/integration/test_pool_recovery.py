"""After PostgreSQL restarts, a pool's idle connections are all broken. The first query to meet
one fails (the caller answers 503); the pool then tests the others, so the next query works
instead of every pooled connection failing once in turn."""

from __future__ import annotations

import psycopg
import pytest

from infrastructure.embedded.postgres import EmbeddedPostgres
from infrastructure.postgres.database import connection_pool
from tests.support.scratch import scratch_dir
from tests.support.waiting import wait_until

pytestmark = pytest.mark.integration

CONNECTIONS = 4


def test_after_a_restart_one_query_meets_it_and_the_next_finds_a_fresh_connection() -> None:
    with scratch_dir("pool-recovery") as directory:
        restart_under_a_full_pool(EmbeddedPostgres(directory / "pg", durable=False))


def restart_under_a_full_pool(server: EmbeddedPostgres) -> None:
    server.start()
    pool = connection_pool(server.url, size_min=CONNECTIONS, size_max=CONNECTIONS, name="recovery")
    try:
        wait_until(lambda: pool.get_stats()["pool_available"] == CONNECTIONS, message="pool full")
        server.stop()
        server.start()

        with pytest.raises(psycopg.OperationalError), pool.connection() as conn:
            conn.execute("SELECT 1")
        with pool.connection() as conn:
            assert conn.execute("SELECT 1").fetchone() == {"?column?": 1}
    finally:
        pool.close()
        server.stop()
