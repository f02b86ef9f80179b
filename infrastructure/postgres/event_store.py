"""PostgreSQL configuration of the event store, and our recorder.

The recorder keeps eventsourcing's per-transaction `LOCK TABLE … IN EXCLUSIVE MODE`, which makes
positions commit in order so a follower never skips a late commit; we never enable
POSTGRES_ENABLE_DB_FUNCTIONS, whose insert path drops that lock. Our additions: a use case may
pass `on_recorded`, called with the new positions inside the same transaction, so an idempotent
command's stored response commits or rolls back together with its events; a connection lost
while the transaction commits raises CommitOutcomeUnknownError and is never retried here (had it
committed, a retry would apply the command again); and reads and writes retry a broken pooled
connection briefly but never wait out a pool timeout twice, so an outage answers in bounded time.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from functools import wraps
from typing import Any, Final, NamedTuple, TypeVar
from uuid import UUID

from eventsourcing.persistence import (
    DatabaseError,
    InterfaceError,
    OperationalError,
    StoredEvent,
)
from eventsourcing.postgres import (
    PostgresAggregateRecorder,
    PostgresApplicationRecorder,
    PostgresFactory,
)
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict
from psycopg.rows import tuple_row

from application.outages import commit_outcome_unknown
from infrastructure.outages import is_pool_timeout
from infrastructure.postgres.database import RECONNECT_TIMEOUT_S
from infrastructure.postgres.idempotency import (
    claim_lost,
    is_claim_lost,
    is_recorded_already,
    recorded_already,
)

# A writer waits at most this long for the log's table lock before giving up and retrying.
LOCK_TIMEOUT_S: Final = 5
# The log's planner statistics are refreshed before a long read once more than this fraction
# of its rows is newer than them (autovacuum's default analyze scale factor).
STATISTICS_STALE_FRACTION: Final = 0.1
AGGREGATE_CACHE_SIZE: Final = 10_000
# How long a caller waits for a pooled connection (and a new connection to open) before the
# store counts as unavailable.
CONNECT_TIMEOUT_S: Final = 5
# A broken pooled connection (the server restarted) fails at once: test the idle ones and try
# again a few times, a moment apart. A pool timeout is not retried: it would only wait as long
# again.
STORE_ATTEMPTS_MAX: Final = 3
STORE_RETRY_WAIT_S: Final = 0.1

F = TypeVar("F", bound=Callable[..., Any])


def _bounded_retry(method: F) -> F:
    """`method` (one of eventsourcing's, unwrapped from its own retry of ten attempts) retried
    as described above."""
    inner = getattr(method, "__wrapped__", method)

    @wraps(inner)
    def retrying(*args: Any, **kwargs: Any) -> Any:
        for attempt in range(1, STORE_ATTEMPTS_MAX + 1):
            try:
                return inner(*args, **kwargs)
            except (InterfaceError, OperationalError) as error:
                if attempt == STORE_ATTEMPTS_MAX or is_pool_timeout(error):
                    raise
                # The server may have restarted: drop every broken idle connection at once,
                # rather than meeting them one retry at a time.
                args[0].datastore.pool.check()
                time.sleep(STORE_RETRY_WAIT_S * attempt)
        raise AssertionError("unreachable")

    return retrying  # type: ignore[return-value]


def event_store_env(database_url: str, *, pool_size: int = 5, overflow: int = 10) -> dict[str, str]:
    """The eventsourcing environment for `database_url`; nobody else reads these keys."""
    params = conninfo_to_dict(database_url)
    return {
        "PERSISTENCE_MODULE": "infrastructure.postgres.event_store:LedgerFactory",
        "POSTGRES_DBNAME": str(params.get("dbname", "postgres")),
        "POSTGRES_HOST": str(params.get("host", "127.0.0.1")),
        "POSTGRES_PORT": str(params.get("port", "5432")),
        "POSTGRES_USER": str(params.get("user", "postgres")),
        "POSTGRES_PASSWORD": str(params.get("password", "")),
        "POSTGRES_LOCK_TIMEOUT": str(LOCK_TIMEOUT_S),
        "POSTGRES_POOL_SIZE": str(pool_size),
        "POSTGRES_MAX_OVERFLOW": str(overflow),
        "POSTGRES_CONNECT_TIMEOUT": str(CONNECT_TIMEOUT_S),
        "POSTGRES_PRE_PING": "n",
        "POSTGRES_ENABLE_DB_FUNCTIONS": "n",
        "APPLICATION_RECORDER_TOPIC": "infrastructure.postgres.event_store:LedgerRecorder",
        # Reads what eventsourcing's JSONTranscoder writes, faster (transcoder.py).
        "TRANSCODER_TOPIC": "infrastructure.postgres.transcoder:LogTranscoder",
        "AGGREGATE_CACHE_MAXSIZE": str(AGGREGATE_CACHE_SIZE),
        "AGGREGATE_CACHE_FASTFORWARD": "y",
        "DEEPCOPY_FROM_AGGREGATE_CACHE": "y",
    }


OnRecorded = Callable[[Any, list[int]], None]


def _nothing_more(cursor: Any, positions: list[int]) -> None:
    """A command with nothing to record beside its events."""


class LogRow(NamedTuple):
    """A stored event as the log's readers take it: the attributes of eventsourcing's
    `Notification` (all that its mapper and our readers use), made as a tuple from the row
    rather than through a frozen dataclass's __init__ — a sixth of the cost of reading the log."""

    id: int
    originator_id: UUID
    originator_version: int
    topic: str
    state: bytes


class LedgerRecorder(PostgresApplicationRecorder):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # eventsourcing builds its pool without this option (default 300 s); see database.py.
        self.datastore.pool.reconnect_timeout = RECONNECT_TIMEOUT_S
        self._notification_queries: dict[tuple[str, ...], sql.Composed] = {}

    select_events = _bounded_retry(PostgresApplicationRecorder.select_events)

    @_bounded_retry
    def select_notifications(  # type: ignore[override]  # LogRow reads as a Notification does
        self,
        start: int | None,
        limit: int,
        stop: int | None = None,
        topics: Sequence[str] = (),
        *,
        inclusive_of_start: bool = True,
    ) -> Sequence[LogRow]:
        """eventsourcing's query for notifications (same rows, same order), rows as LogRow
        tuples.

        A page up to `stop` of every topic (a rebuild's pass over the log) takes the first
        `limit` rows after `start` and keeps those up to `stop`: the same rows as the range
        condition, but planned as an ordered walk of the index whatever the statistics say.
        Written as a range, a log without statistics yet (never analyzed, or analyzed while it
        was small) is estimated at a few thousand rows, and PostgreSQL reads and sorts the whole
        range on every page: 160 ms for a page of 5,000 at 100k events, quadratic in the log."""
        conditions: list[str] = []
        params: list[Any] = []
        if start is not None:
            conditions.append(
                "notification_id >= %s" if inclusive_of_start else "notification_id > %s"
            )
            params.append(start)
        ordered_walk = stop is not None and not topics
        if stop is not None and not ordered_walk:
            conditions.append("notification_id <= %s")
            params.append(stop)
        if topics:
            conditions.append("topic = ANY(%s)")
            params.append(list(topics))
        params.append(limit)
        if ordered_walk:
            params.append(stop)
        query = self._notification_query(tuple(conditions), up_to_stop=ordered_walk)
        with self.datastore.get_connection() as conn, conn.cursor(row_factory=tuple_row) as curs:
            curs.execute(query, params, prepare=True)
            return [LogRow._make(row) for row in curs.fetchall()]

    def _notification_query(self, conditions: tuple[str, ...], up_to_stop: bool) -> sql.Composed:
        key = (*conditions, "up to stop") if up_to_stop else conditions
        query = self._notification_queries.get(key)
        if query is None:
            where = sql.SQL(" WHERE " + " AND ".join(conditions) if conditions else "")
            query = sql.SQL(
                "SELECT notification_id, originator_id, originator_version, topic, state"
                " FROM {schema}.{table}{where} ORDER BY notification_id LIMIT %s"
            ).format(
                schema=sql.Identifier(self.datastore.schema),
                table=sql.Identifier(self.events_table_name),
                where=where,
            )
            if up_to_stop:
                query = sql.SQL(
                    "SELECT * FROM ({page}) AS page WHERE notification_id <= %s"
                    " ORDER BY notification_id"
                ).format(page=query)
            self._notification_queries[key] = query
        return query

    max_notification_id = _bounded_retry(PostgresApplicationRecorder.max_notification_id)

    @_bounded_retry
    def refresh_statistics(self) -> bool:
        """ANALYZE the log when the planner has no statistics of it, or more than
        STATISTICS_STALE_FRACTION of it is newer than them (autovacuum's own rule, but a log
        written in bulk may be read before autovacuum comes by). Returns whether it ran.
        ANALYZE samples a bounded number of rows, but the writers' EXCLUSIVE lock waits on it:
        commands pause for its duration (≈ 0.4–0.55 s at a million events)."""
        table = sql.SQL("{schema}.{table}").format(
            schema=sql.Identifier(self.datastore.schema),
            table=sql.Identifier(self.events_table_name),
        )
        with self.datastore.get_connection() as conn:
            row = conn.execute(
                "SELECT c.reltuples AS rows, s.n_mod_since_analyze AS changed"
                " FROM pg_class c JOIN pg_stat_user_tables s ON s.relid = c.oid"
                " WHERE c.oid = %s::regclass",
                (table.as_string(conn),),
            ).fetchone()
            if row is not None and 0 <= row["changed"] <= STATISTICS_STALE_FRACTION * row["rows"]:
                return False
            conn.execute(sql.SQL("ANALYZE {table}").format(table=table))
            return True

    @_bounded_retry
    def insert_events(
        self, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        on_recorded: OnRecorded = kwargs.pop("on_recorded", None) or _nothing_more
        if not stored_events:
            return []
        try:
            return self._insert_pipelined(stored_events, on_recorded)
        except DatabaseError as error:
            if is_claim_lost(error):
                raise claim_lost() from None
            if is_recorded_already(error):
                raise recorded_already() from None
            raise

    def _insert_pipelined(
        self, stored_events: Sequence[StoredEvent], on_recorded: OnRecorded
    ) -> list[int]:
        """Two round trips while the log's lock is held: lock+notify+insert, then whatever
        `on_recorded` queues plus COMMIT. Anything failing in either rolls the whole
        transaction back; an exception raised by `on_recorded` itself leaves the transaction
        block by raising, so it rolls back too. A connection lost once COMMIT may have been
        sent leaves the outcome unknown."""
        committing = False
        try:
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
                committing = True
        except (InterfaceError, OperationalError) as error:
            if committing:
                raise commit_outcome_unknown() from error
            raise
        return positions


class SnapshotRecorder(PostgresAggregateRecorder):
    """The snapshots' table, with the same bounded retries (a snapshot is read before every
    load of a snapshotted aggregate, so its reads must fail as fast as the log's)."""

    select_events = _bounded_retry(PostgresAggregateRecorder.select_events)
    insert_events = _bounded_retry(PostgresAggregateRecorder.insert_events)


class LedgerFactory(PostgresFactory):
    """eventsourcing's PostgreSQL persistence with our two recorders."""

    aggregate_recorder_class = SnapshotRecorder
    application_recorder_class = LedgerRecorder
