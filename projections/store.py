"""Where a projection's rows and tracking position live, and how they advance.

Each projection owns a schema `rm_<name>` holding its tables and a one-row `tracking` table, so
rows and position always commit together and a rebuild can be built aside in `rm_<name>__next`
and swapped in by renaming schemas (readers never see a half-built model). Catching up reads the
log in pages and applies each page in one transaction.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final

from psycopg import Connection, Cursor, errors, sql

from application.ledger import Ledger, topic_of
from application.log_context import bound
from projections.log_reader import PAGE_SIZE, LogReader
from projections.projection import Projection
from projections.stalls import EventNotAppliedError
from projections.storable import storable_cursor

WAIT_POLL_S: Final = 0.02
# How far a follower served by the shared reader may pass over events it does not read before it
# commits its tracking position anyway. Until then its stored position stays put and readers
# look past it (`position`, `has_applied`): a page with nothing for a projection costs it no
# transaction, and the look-ahead a reader does is bounded by this many log rows.
IDLE_POSITIONS_MAX: Final = 2 * PAGE_SIZE
# Once the log has been quiet this long, a follower that passed over events commits its
# position, so at rest every tracking row reaches the head (what operators and `simulate` see).
IDLE_FLUSH_S: Final = 0.5
Progress = Callable[[int], None]


@dataclass(frozen=True, slots=True)
class Status:
    name: str
    version: int | None
    expected_version: int
    position: int
    head: int

    @property
    def lag(self) -> int:
        return max(self.head - self.position, 0)

    @property
    def needs_rebuild(self) -> bool:
        return self.version != self.expected_version


class StaleProjectionError(Exception):
    """The tracking position moved under us (a rebuild swapped the schema): re-read and retry."""


class ProjectionStore:
    def __init__(
        self, projection: Projection, pool: Any, ledger: Ledger, page_size: int = PAGE_SIZE
    ) -> None:
        self.projection = projection
        self._pool = pool
        self._ledger = ledger
        self._page_size = page_size
        self._topics = [topic_of(c) for c in projection.event_classes]
        self._classes = frozenset(projection.event_classes)
        # Schemas whose tracking table is known to exist: looked up in the catalogue once, not
        # on every read of the position.
        self._existing: set[str] = set()
        # A follower served by a LogReader keeps its positions in memory: `_known_position`
        # is how far it has read, `_stored_position` what its tracking row holds. Between the
        # two lie only events it does not read, so the stored rows are the fold up to either.
        self._known_position: int | None = None
        self._stored_position = 0
        self._passed_over_at = 0.0

    @property
    def page_size(self) -> int:
        return self._page_size

    @property
    def name(self) -> str:
        return self.projection.name

    # -- reading the position -------------------------------------------------------------

    def status(self) -> Status:
        with self._pool.connection() as conn:
            row = self._tracking(conn, self.projection.schema)
        stored = row["position"] if row else 0
        head = self._ledger.head_position()
        return Status(
            self.name,
            row["version"] if row else None,
            self.projection.version,
            self._reached_from(stored, head),
            head,
        )

    def position(self) -> int:
        """The position the read model is the fold of: its tracking position, or further when
        the events after it are none the projection reads (it passes over those without
        committing, see IDLE_POSITIONS_MAX)."""
        stored = self._position_in(self.projection.schema)
        return self._reached_from(stored, self._ledger.head_position())

    def has_applied(self, position: int) -> bool:
        """Whether the read model reflects every event up to `position` (read-your-writes):
        one query while the tracking row is there already, and never true of a position not
        yet committed."""
        stored = self._position_in(self.projection.schema)
        if stored >= position:
            return True
        if position > self._ledger.head_position():
            return False
        return not self._ledger.read(after=stored, limit=1, topics=self._topics, stop=position)

    def _reached_from(self, stored: int, head: int) -> int:
        """Writers commit positions in order, so up to `head` every event is in the log: the
        model is the fold up to just before the first event it reads after `stored`."""
        if head <= stored:
            return stored
        first = self._ledger.read(after=stored, limit=1, topics=self._topics, stop=head)
        return first[0][0] - 1 if first else head

    def wait_for(self, position: int, timeout_s: float) -> bool:
        """Blocks until the projection has applied `position` (read-your-writes), bounded."""
        deadline = time.monotonic() + timeout_s
        while not self.has_applied(position):
            if time.monotonic() >= deadline:
                return False
            time.sleep(WAIT_POLL_S)
        return True

    # -- advancing --------------------------------------------------------------------------

    def ensure(self) -> None:
        """Creates the live schema when it does not exist yet (an empty model at position 0).
        Processes starting together take turns, so only the first creates it."""
        with self._pool.connection() as conn, conn.transaction():
            conn.execute(
                "SELECT pg_advisory_xact_lock(hashtext(%s))",
                (f"ledgerline:ensure:{self.projection.schema}",),
            )
            exists = conn.execute(
                "SELECT 1 FROM pg_namespace WHERE nspname = %s", (self.projection.schema,)
            ).fetchone()
            if not exists:
                self._create_schema(conn, self.projection.schema)
        if not exists and self._ledger.head_position():
            # A new read model over a log already written catches up from its start.
            self._ledger.refresh_statistics()
        self._existing.add(self.projection.schema)
        self._known_position = None

    def catch_up(self, pages_max: int | None = None, reader: LogReader | None = None) -> int:
        """Applies new events page by page; returns how many positions it advanced over.
        With `reader`, pages come from the process's shared reader while this projection is
        within its window, and from the log directly while it is behind."""
        applied = 0
        pages = 0
        while pages_max is None or pages < pages_max:
            try:
                advanced = self._apply_shared_page(reader) if reader else 0
                if advanced is None or reader is None:
                    advanced = self._apply_page(self.projection.schema)
                    self._known_position = None
            except Exception:
                self._known_position = None  # re-read it from the table next time
                raise
            if advanced == 0:
                break
            applied += advanced
            pages += 1
        return applied

    def rebuild(self, progress: Progress | None = None) -> int:
        """Builds a fresh copy beside the live one from position 0, then swaps it in."""
        self._ledger.refresh_statistics()
        next_schema = self._begin_rebuild()
        while self._apply_page(next_schema):
            if progress:
                progress(self._position_in(next_schema))
        self._swap(next_schema)
        final = self.position()
        if progress:
            progress(final)
        return final

    # -- internals ----------------------------------------------------------------------------

    def _begin_rebuild(self) -> str:
        """A fresh `__next` schema at position 0 beside the live one (a leftover one dropped)."""
        next_schema = self.projection.schema + "__next"
        self._drop(next_schema)
        with self._pool.connection() as conn, conn.transaction():
            self._create_schema(conn, next_schema, indexed=False)
        return next_schema

    def _build_indexes(self, schema: str) -> None:
        with self._pool.connection() as conn, conn.transaction():
            _use_schema(conn, schema)
            for statement in self.projection.indexes:
                conn.execute(statement)  # type: ignore[arg-type]  # our own DDL constants

    def _drop(self, schema: str) -> None:
        with self._pool.connection() as conn:
            conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema)))

    def _create_schema(self, conn: Connection[Any], schema: str, indexed: bool = True) -> None:
        """The projection's tables in `schema`, at position 0; its secondary indexes too unless
        a rebuild will build them after its load (`_build_indexes`)."""
        conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(schema)))
        _use_schema(conn, schema)
        for statement in self.projection.ddl + (self.projection.indexes if indexed else ()):
            conn.execute(statement)  # type: ignore[arg-type]  # our own DDL constants
        conn.execute(
            "CREATE TABLE tracking (position bigint NOT NULL, version integer NOT NULL,"
            " updated_at timestamptz NOT NULL DEFAULT now())"
        )
        conn.execute(
            "INSERT INTO tracking (position, version) VALUES (0, %s)",
            (self.projection.version,),
        )

    def _position_in(self, schema: str) -> int:
        with self._pool.connection() as conn:
            row = self._tracking(conn, schema)
        return row["position"] if row else 0

    def _apply_shared_page(self, reader: LogReader) -> int | None:
        """Applies the reader's next page after our position in one transaction: rows and
        tracking commit together. A page holding nothing this projection reads opens no
        transaction (until IDLE_POSITIONS_MAX, or the log is quiet for IDLE_FLUSH_S). Returns
        the positions advanced over, or None when we are behind the reader's window (the
        caller reads the log itself)."""
        if self._known_position is None:
            self._stored_position = self._position_in(self.projection.schema)
            self._known_position = self._stored_position
        start, stored = self._known_position, self._stored_position
        page = reader.page(start)
        if page is None:
            return None
        end, events = page
        if end <= start:
            if start > stored and time.monotonic() - self._passed_over_at >= IDLE_FLUSH_S:
                self._commit_page(stored, start, [])
            return 0
        classes = self._classes
        if end - stored < IDLE_POSITIONS_MAX and not any(type(e) in classes for _, e in events):
            self._known_position = end  # nothing to write: no transaction at all
            self._passed_over_at = time.monotonic()
            return end - start
        if not self._commit_page(stored, end, events):
            return None
        return end - start

    def _commit_page(self, stored: int, end: int, events: list[tuple[int, Any]]) -> bool:
        """Applies `events` and moves the tracking row from `stored` to `end`, in one
        transaction; False when the row had moved (a rebuild swapped the schema in)."""
        try:
            with self._pool.connection() as conn:
                self._commit_to(conn, self.projection.schema, stored, end, events)
        except StaleProjectionError:
            # A rebuild swapped the schema in since our last page: read from its position.
            self._known_position = None
            return False
        self._known_position = self._stored_position = end
        return True

    def _apply_events(
        self, conn: Connection[Any], events: list[tuple[int, Any]], at_once: bool
    ) -> None:
        """Applies `events` (this projection's already) through a cursor that escapes what
        PostgreSQL cannot store, so an old event holding a NUL applies like any other
        (storable.py): all at once, or one by one with a failing event named by its position,
        so the runner can show the stall."""
        with storable_cursor(conn.cursor()) as cursor:
            if at_once:
                self._apply_at_once(conn, cursor, events)
                return
            for position, event in events:
                with bound(position=position):
                    try:
                        self.projection.apply(cursor, event, position)
                    except Exception as error:
                        raise EventNotAppliedError(self.name, position, error) from error

    def _apply_at_once(
        self, conn: Connection[Any], cursor: Cursor[Any], events: list[tuple[int, Any]]
    ) -> None:
        """A page in as few round trips as the projection allows: folded in sets when it is
        `batched`, else its handlers' statements sent in one pipeline (none waits for the one
        before it unless it reads a result)."""
        if self.projection.batched:
            self.projection.apply_page(cursor, events)
            return
        with conn.pipeline():
            for position, event in events:
                self.projection.apply(cursor, event, position)

    def _tracking(self, conn: Connection[Any], schema: str) -> dict[str, Any] | None:
        """The tracking row of `schema`, None when it has none; the catalogue is asked only
        until the table has been seen once."""
        if schema not in self._existing:
            exists = conn.execute(
                "SELECT 1 FROM pg_tables WHERE schemaname = %s AND tablename = 'tracking'",
                (schema,),
            ).fetchone()
            if not exists:
                return None
            self._existing.add(schema)
        try:
            row: dict[str, Any] | None = conn.execute(
                sql.SQL("SELECT position, version FROM {}.tracking").format(sql.Identifier(schema))
            ).fetchone()
        except errors.UndefinedTable:
            self._existing.discard(schema)  # dropped under us (a restore): ask again next time
            raise
        return row

    def _apply_page(self, schema: str, conn: Connection[Any] | None = None) -> int:
        """Applies one page after the schema's position in one transaction; returns the number
        of positions advanced over (0 when there was nothing new)."""
        if conn is None:
            with self._pool.connection() as own:
                return self._apply_page(schema, conn=own)
        start = self._position_in_conn(conn, schema)
        head = self._ledger.head_position()
        if head <= start:
            return 0
        events = self._ledger.read(
            after=start, limit=self._page_size, topics=self._topics, stop=head
        )
        # When the page is not full, every matching event up to `head` is in it, so the
        # position may move to `head` even if the last events were of no interest to us.
        end = events[-1][0] if len(events) == self._page_size else head
        self._commit_to(conn, schema, start, end, events)
        return end - start

    def _commit_to(
        self,
        conn: Connection[Any],
        schema: str,
        start: int,
        end: int,
        events: list[tuple[int, Any]],
    ) -> None:
        """Applies `events` to `schema` and moves its tracking row from `start` to `end`, in one
        transaction; StaleProjectionError when the row was not at `start`. A page of several
        events is applied at once; should that fail, its transaction is rolled back whole and
        the page applied again event by event, which names the event that fails."""
        classes = self._classes
        mine = [(position, event) for position, event in events if type(event) in classes]
        if len(mine) > 1:
            try:
                self._commit_once(conn, schema, start, end, mine, at_once=True)
                return
            except StaleProjectionError:
                raise
            except Exception:  # noqa: S110  # found and named event by event just below
                pass
        self._commit_once(conn, schema, start, end, mine, at_once=False)

    def _commit_once(
        self,
        conn: Connection[Any],
        schema: str,
        start: int,
        end: int,
        mine: list[tuple[int, Any]],
        at_once: bool,
    ) -> None:
        with conn.transaction():
            # The schema and the tracking row in one round trip, the row moved first: the
            # UPDATE locks it as SELECT … FOR UPDATE would, finds it only if it is still at
            # `start` (re-checked after a concurrent writer commits), and saves the statement
            # and round trip a second UPDATE after the rows cost on every page. Readers see
            # the new position only with the rows, at commit.
            with conn.pipeline():
                _use_schema(conn, schema)
                moved = conn.execute(
                    "UPDATE tracking SET position = %s, updated_at = now() WHERE position = %s",
                    (end, start),
                )
            if moved.rowcount != 1:  # known once the pipeline has synced
                raise StaleProjectionError(f"{schema} moved from {start}")
            if mine:
                self._apply_events(conn, mine, at_once)

    def _position_in_conn(self, conn: Connection[Any], schema: str) -> int:
        row = self._tracking(conn, schema)
        if row is None:
            raise StaleProjectionError(f"{schema} does not exist")
        return int(row["position"])

    def _swap(self, next_schema: str) -> None:
        """Builds the loaded copy's indexes, then — holding the live tracking row — applies the
        last events to it and renames it in place of the live schema, in one transaction."""
        self._build_indexes(next_schema)
        live = self.projection.schema
        old = live + "__old"
        with self._pool.connection() as conn, conn.transaction():
            live_exists = conn.execute(
                "SELECT 1 FROM pg_namespace WHERE nspname = %s", (live,)
            ).fetchone()
            if live_exists:
                # Holding the live tracking row stops the runner between pages while we finish
                # the last events and rename; the runner then retries against the new schema.
                conn.execute(
                    sql.SQL("LOCK TABLE {}.tracking IN ACCESS EXCLUSIVE MODE").format(
                        sql.Identifier(live)
                    )
                )
            while self._apply_page(next_schema, conn=conn):
                pass
            if live_exists:
                conn.execute(
                    sql.SQL("ALTER SCHEMA {} RENAME TO {}").format(
                        sql.Identifier(live), sql.Identifier(old)
                    )
                )
            conn.execute(
                sql.SQL("ALTER SCHEMA {} RENAME TO {}").format(
                    sql.Identifier(next_schema), sql.Identifier(live)
                )
            )
            if live_exists:
                conn.execute(sql.SQL("DROP SCHEMA {} CASCADE").format(sql.Identifier(old)))


def _use_schema(conn: Connection[Any], schema: str) -> None:
    conn.execute(sql.SQL("SET LOCAL search_path TO {}, public").format(sql.Identifier(schema)))
