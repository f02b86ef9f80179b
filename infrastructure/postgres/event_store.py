"""PostgreSQL configuration of the event store, and our recorder.

The recorder keeps eventsourcing's per-transaction `LOCK TABLE … IN EXCLUSIVE MODE`, which makes
positions commit in order so a follower never skips a late commit; we never enable
POSTGRES_ENABLE_DB_FUNCTIONS, whose insert path drops that lock. Our one addition: a use case may
pass `on_recorded`, called with the new positions inside the same transaction, so an idempotent
command's stored response commits or rolls back together with its events.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Final

from eventsourcing.persistence import (
    DatabaseError,
    InterfaceError,
    OperationalError,
    StoredEvent,
)
from eventsourcing.postgres import PostgresApplicationRecorder
from eventsourcing.utils import retry
from psycopg.conninfo import conninfo_to_dict

from infrastructure.postgres.idempotency import claim_lost, is_claim_lost

# A writer waits at most this long for the log's table lock before giving up and retrying.
LOCK_TIMEOUT_S: Final = 5
AGGREGATE_CACHE_SIZE: Final = 10_000


def event_store_env(database_url: str, *, pool_size: int = 5, overflow: int = 10) -> dict[str, str]:
    """The eventsourcing environment for `database_url`; nobody else reads these keys."""
    params = conninfo_to_dict(database_url)
    return {
        "PERSISTENCE_MODULE": "eventsourcing.postgres",
        "POSTGRES_DBNAME": str(params.get("dbname", "postgres")),
        "POSTGRES_HOST": str(params.get("host", "127.0.0.1")),
        "POSTGRES_PORT": str(params.get("port", "5432")),
        "POSTGRES_USER": str(params.get("user", "postgres")),
        "POSTGRES_PASSWORD": str(params.get("password", "")),
        "POSTGRES_LOCK_TIMEOUT": str(LOCK_TIMEOUT_S),
        "POSTGRES_POOL_SIZE": str(pool_size),
        "POSTGRES_MAX_OVERFLOW": str(overflow),
        "POSTGRES_CONNECT_TIMEOUT": "10",
        "POSTGRES_PRE_PING": "n",
        "POSTGRES_ENABLE_DB_FUNCTIONS": "n",
        "APPLICATION_RECORDER_TOPIC": "infrastructure.postgres.event_store:LedgerRecorder",
        "AGGREGATE_CACHE_MAXSIZE": str(AGGREGATE_CACHE_SIZE),
        "AGGREGATE_CACHE_FASTFORWARD": "y",
        "DEEPCOPY_FROM_AGGREGATE_CACHE": "y",
    }


OnRecorded = Callable[[Any, list[int]], None]


class LedgerRecorder(PostgresApplicationRecorder):
    @retry((InterfaceError, OperationalError), max_attempts=10, wait=0.2)
    def insert_events(
        self, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        on_recorded: OnRecorded | None = kwargs.pop("on_recorded", None)
        if on_recorded is None or not stored_events:
            return super().insert_events(stored_events, **kwargs)
        try:
            return self._insert_pipelined(stored_events, on_recorded)
        except DatabaseError as error:
            if is_claim_lost(error):
                raise claim_lost() from None
            raise

    def _insert_pipelined(
        self, stored_events: Sequence[StoredEvent], on_recorded: OnRecorded
    ) -> list[int]:
        """Two round trips while the log's lock is held: lock+notify+insert, then whatever
        `on_recorded` queues plus COMMIT. Anything failing in either rolls the whole
        transaction back; an exception raised by `on_recorded` itself leaves the transaction
        block by raising, so it rolls back too."""
        with (
            self.datastore.get_connection() as conn,
            conn.pipeline() as pipeline,
            conn.transaction(),
            conn.cursor() as curs,
        ):
            self._insert_stored_events(curs, stored_events)
            pipeline.sync()
            positions = [row["notification_id"] for row in curs.fetchall()]
            on_recorded(curs, positions)
        return positions
