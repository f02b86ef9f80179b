"""How soon a committed command is visible: in every read model (`projection_lag`) and to SSE
subscribers (`sse_commit_to_client`), measured under the credit load with the runner running.

One `LogWatch` thread polls PostgreSQL every `POLL_S`: the log's head (a position is committed the
moment it is visible there — positions commit in order) and each read model's position (rows and
position commit together): its tracking row's, or just before the first event after it that the
model reads — a follower passes over pages holding nothing it reads without committing
(projections/store.py, IDLE_POSITIONS_MAX), as `ProjectionStore.position` says. A commit's lag to a
model is the time from the first poll that saw it in the log to the first poll that saw the model
reach it. SSE clients (their own process, on the API's public stream) note when each frame's
position arrives; its lag is that minus the first poll that saw the position committed. Every clock
here is the machine's monotonic clock, shared by all processes; the poll interval bounds the
resolution.
"""

from __future__ import annotations

import asyncio
import bisect
import multiprocessing
import threading
import time
from dataclasses import dataclass
from multiprocessing.connection import Connection as Pipe
from typing import Any, Final

import psycopg

from application.ledger import topic_of
from interfaces.workers.outbox import OutboxRelay
from interfaces.workers.webhook_dispatch import WebhookDispatcher
from ops.bench.report import Measure, percentile_ms
from ops.bench.session import Session, say
from ops.bench.wire import EventStreamReader, WireError
from projections.registry import all_projections

POLL_S: Final = 0.002
EVENTS_TABLE: Final = "ledger_events"
CATCH_UP_WITHIN_S: Final = 300.0
DRAIN_WITHIN_S: Final = 15.0
QUIET_S: Final = 2.0
SUBSCRIBERS_READY_WITHIN_S: Final = 60.0


def read_models(database_url: str) -> list[str]:
    """The live read models' schemas (not a rebuild's `__next` / `__old`)."""
    with psycopg.connect(database_url, autocommit=True) as conn:
        rows = conn.execute(
            "SELECT n.nspname FROM pg_namespace n JOIN pg_tables t ON t.schemaname = n.nspname"
            " AND t.tablename = 'tracking' WHERE n.nspname LIKE 'rm\\_%'"
            " AND n.nspname NOT LIKE '%\\_\\_%' ORDER BY 1"
        ).fetchall()
    return [str(row[0]) for row in rows]


def followed_topics() -> dict[str, list[str]]:
    """The topics each follower of the log reads, by schema."""
    followers = [*all_projections(), OutboxRelay(None), WebhookDispatcher(None)]  # type: ignore[arg-type]  # only their topics are read
    return {f.schema: [topic_of(c) for c in f.event_classes] for f in followers}


def _positions_query(schemas: list[str]) -> str:
    """The head and each model's position, in one statement: one snapshot for all of them."""
    topics = followed_topics()

    def reached(schema: str) -> str:
        if schema not in topics:
            return f"(SELECT position FROM {schema}.tracking)"
        listed = ",".join("'" + topic.replace("'", "''") + "'" for topic in topics[schema])
        return (
            f"(SELECT coalesce((SELECT e.notification_id - 1 FROM {EVENTS_TABLE} e"
            f" WHERE e.notification_id > t.position AND e.topic IN ({listed})"
            " ORDER BY e.notification_id LIMIT 1), greatest(t.position, h.head))"
            f" FROM {schema}.tracking t)"
        )

    models = ", ".join(reached(s) for s in schemas) or "0"
    return (
        f"WITH h AS (SELECT coalesce(max(notification_id), 0) AS head FROM {EVENTS_TABLE})"
        f" SELECT h.head, ARRAY[{models}] FROM h"
    )


def wait_caught_up(database_url: str, timeout_s: float = CATCH_UP_WITHIN_S) -> float:
    """Waits until every read model has reached the log's head; returns the seconds waited."""
    schemas = read_models(database_url)
    began = time.monotonic()
    with psycopg.connect(database_url, autocommit=True) as conn:
        while True:
            row = conn.execute(_positions_query(schemas)).fetchone()  # type: ignore[arg-type]
            assert row is not None
            if all(p >= row[0] for p in row[1]):
                return time.monotonic() - began
            if time.monotonic() - began > timeout_s:
                raise TimeoutError(f"the runner did not catch up within {timeout_s:.0f}s")
            time.sleep(0.1)


class LogWatch:
    """Samples (time, log head, each model's position) every POLL_S in a thread until stopped."""

    def __init__(self, database_url: str, schemas: list[str]) -> None:
        self.database_url = database_url
        self.schemas = schemas
        self.samples: list[tuple[float, int, list[int]]] = []
        self._halt = threading.Event()
        self._thread = threading.Thread(target=self._poll, name="bench-log-watch", daemon=True)

    def start(self) -> LogWatch:
        self._thread.start()
        return self

    def _poll(self) -> None:
        query = _positions_query(self.schemas)
        with psycopg.connect(self.database_url, autocommit=True) as conn:
            while not self._halt.is_set():
                row = conn.execute(query, prepare=True).fetchone()  # type: ignore[call-overload]
                assert row is not None
                self.samples.append((time.monotonic(), int(row[0]), [int(p) for p in row[1]]))
                time.sleep(POLL_S)

    def stop(self) -> None:
        self._halt.set()
        self._thread.join(timeout=10)

    def head(self) -> int:
        return self.samples[-1][1] if self.samples else 0

    def wait_models_reach(self, position: int, timeout_s: float) -> bool:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.samples and all(p >= position for p in self.samples[-1][2]):
                return True
            time.sleep(0.05)
        return False

    def commits(self, start: float, stop: float) -> list[tuple[float, int]]:
        """(first seen, head) for each new head first seen inside [start, stop]."""
        seen: list[tuple[float, int]] = []
        last = -1
        for t, head, _ in self.samples:
            if head > last:
                if start <= t <= stop and last >= 0:
                    seen.append((t, head))
                last = head
        return seen

    def model_lags(self, start: float, stop: float) -> list[list[float | None]]:
        """For each commit seen in the window, each model's lag to it (None: never reached)."""
        commits = self.commits(start, stop)
        lags: list[list[float | None]] = [[None] * len(self.schemas) for _ in commits]
        for m in range(len(self.schemas)):
            j = 0
            for c, (t_commit, head) in enumerate(commits):
                while j < len(self.samples) and (
                    self.samples[j][0] < t_commit or self.samples[j][2][m] < head
                ):
                    j += 1
                if j < len(self.samples):
                    lags[c][m] = self.samples[j][0] - t_commit
        return lags

    def commit_clock(self) -> CommitClock:
        return CommitClock([head for _, head, _ in self.samples], [t for t, _, _ in self.samples])


@dataclass(frozen=True)
class CommitClock:
    """When the watch first saw each position committed."""

    heads: list[int]
    times: list[float]

    def committed_at(self, position: int) -> float | None:
        """None when the position was committed before the watch began, or never seen."""
        index = bisect.bisect_left(self.heads, position)
        if index == 0 or index == len(self.heads):
            return None
        return self.times[index]


# -- SSE subscribers ----------------------------------------------------------------------------


class Subscribers:
    """`count` SSE clients of `GET /events` in a process of their own."""

    def __init__(self, shared: dict[str, Any], count: int) -> None:
        context = multiprocessing.get_context("spawn")
        self._pipe, child = context.Pipe()
        self._process = context.Process(
            target=_subscribe, args=(child, shared, count), name="bench-sse", daemon=True
        )
        self._process.start()
        child.close()
        if not self._pipe.poll(SUBSCRIBERS_READY_WITHIN_S):
            raise TimeoutError("the SSE subscribers did not connect")
        kind, detail = self._pipe.recv()
        if kind != "ready":
            raise RuntimeError(f"SSE subscribers: {detail}")
        self.pid = self._process.pid

    def finish(self, final_head: int) -> list[list[tuple[int, float]]]:
        """Lets the streams drain up to `final_head` (bounded); returns what each received."""
        self._pipe.send(final_head)
        if not self._pipe.poll(DRAIN_WITHIN_S + 30):
            raise TimeoutError("the SSE subscribers did not report")
        kind, received = self._pipe.recv()
        self._process.join(timeout=10)
        if kind != "done":
            raise RuntimeError(f"SSE subscribers: {received}")
        return list(received)


def _subscribe(pipe: Pipe, shared: dict[str, Any], count: int) -> None:
    try:
        received = asyncio.run(_subscribers_main(pipe, shared, count))
    except Exception as error:  # reported to the parent, which fails the measure
        pipe.send(("failed", repr(error)))
        return
    pipe.send(("done", received))


async def _subscribers_main(pipe: Pipe, shared: dict[str, Any], count: int) -> list[Any]:
    path = f"{shared['base']}/events"
    headers = {"Authorization": f"Bearer {shared['key']}"}
    readers = [
        EventStreamReader(shared["host"], shared["port"], path, headers) for _ in range(count)
    ]
    statuses = [await reader.open() for reader in readers]
    if any(status != 200 for status in statuses):
        pipe.send(("failed", f"SSE statuses {sorted(set(statuses))}"))
        return []
    received: list[list[tuple[int, float]]] = [[] for _ in readers]
    last_frame = [time.monotonic()]

    async def follow(index: int) -> None:
        reader = readers[index]
        while True:
            try:
                positions = await reader.positions()
            except (WireError, OSError):
                return
            now = time.monotonic()
            if positions:
                last_frame[0] = now
                received[index].extend((p, now) for p in positions)

    tasks = [asyncio.create_task(follow(i)) for i in range(count)]
    pipe.send(("ready", None))
    final_head = await asyncio.get_running_loop().run_in_executor(None, pipe.recv)
    drain_began = time.monotonic()
    while time.monotonic() - drain_began < DRAIN_WITHIN_S:
        done = all(r and r[-1][0] >= final_head for r in received)
        quiet = time.monotonic() - last_frame[0] > QUIET_S
        if done or quiet:
            break
        await asyncio.sleep(0.05)
    for task in tasks:
        task.cancel()
    for reader in readers:
        await reader.close()
    return received


# -- the measures -------------------------------------------------------------------------------

SSE_SUBSCRIBERS: Final = 100
WITH_RUNNER: Final = "http_credit_spread_with_runner"


def _spread_params(session: Session, clients: int) -> list[dict[str, Any]]:
    assert session.population is not None
    users = session.population.spread
    return [{"user_id": users[i % len(users)]} for i in range(clients)]


def projection_lag(session: Session, clients: int) -> None:
    """Commit → visible in every read model, under spread credits, with the runner running."""
    database_url = session.stack.database_url
    schemas = read_models(database_url)
    wait_caught_up(database_url)
    watch = LogWatch(database_url, schemas).start()
    try:
        loaded = session.load(
            "projection_lag",
            "credit",
            _spread_params(session, clients),
            session.http_shared,
            baseline=WITH_RUNNER,
            add=False,
        )
        watch.wait_models_reach(watch.head(), DRAIN_WITHIN_S)
    finally:
        watch.stop()
    per_commit = watch.model_lags(loaded.window.start_at, loaded.window.stop_at)
    everywhere = [max(_known(lags)) for lags in per_commit if None not in lags]
    by_model = {
        schema.removeprefix("rm_"): round(
            percentile_ms(_known([lags[m] for lags in per_commit]), 0.99), 2
        )
        for m, schema in enumerate(schemas)
    }
    load = loaded.measure
    measure = Measure(
        "projection_lag",
        load.ops_per_s,
        percentile_ms(everywhere, 0.5),
        percentile_ms(everywhere, 0.99),
        WITH_RUNNER,
        unit="commands/s",
        extra={
            **load.extra,
            "latency_of": "commit to visible in every read model",
            "commits_sampled": len(everywhere),
            "commits_never_visible": len(per_commit) - len(everywhere),
            "p99_ms_by_model": by_model,
            "poll_interval_ms": POLL_S * 1000,
        },
    )
    _report(session, measure)


def sse_commit_to_client(session: Session, clients: int) -> None:
    """Commit → frame received, for each of 100 SSE subscribers, under spread credits."""
    database_url = session.stack.database_url
    wait_caught_up(database_url)
    subscribers = Subscribers(session.http_shared, SSE_SUBSCRIBERS)
    watch = LogWatch(database_url, []).start()
    try:
        session.observers["sse_clients"] = [subscribers.pid] if subscribers.pid else []
        loaded = session.load(
            "sse_commit_to_client",
            "credit",
            _spread_params(session, clients),
            session.http_shared,
            baseline=WITH_RUNNER,
            add=False,
        )
        received = subscribers.finish(watch.head())
    finally:
        session.observers.pop("sse_clients", None)
        watch.stop()
    start, stop = loaded.window.start_at, loaded.window.stop_at
    clock = watch.commit_clock()
    lags: list[float] = []
    universe: set[int] = set()
    for frames in received:
        for position, arrived in frames:
            committed = clock.committed_at(position)
            if committed is not None and start <= committed <= stop:
                lags.append(arrived - committed)
                universe.add(position)
    missing = sum(len(universe - {p for p, _ in frames}) for frames in received)
    load = loaded.measure
    measure = Measure(
        "sse_commit_to_client",
        load.ops_per_s,
        percentile_ms(lags, 0.5),
        percentile_ms(lags, 0.99),
        WITH_RUNNER,
        unit="commands/s",
        extra={
            **load.extra,
            "latency_of": "commit to SSE frame received, per subscriber",
            "subscribers": len(received),
            "deliveries": len(lags),
            "deliveries_missing": missing,
            "poll_interval_ms": POLL_S * 1000,
        },
    )
    _report(session, measure)


def _known(lags: list[float | None]) -> list[float]:
    return [lag for lag in lags if lag is not None]


def _report(session: Session, measure: Measure) -> None:
    session.report.add(measure)
    say(
        f"  {measure.name:<38} {measure.ops_per_s:>9.0f} cmd/s  p50 {measure.p50_ms:>8.2f} ms"
        f"  p99 {measure.p99_ms:>8.2f} ms"
    )
