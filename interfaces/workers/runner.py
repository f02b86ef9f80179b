"""`ledgerline runner`: the singleton loops — projections, the outbox relay, the deposit monitor,
the reconciler, the auto-release timer and housekeeping — each led by whoever holds its
advisory lock. A second runner is a hot standby for every loop.

A loop's step does a bounded amount of work and says whether it did any; idle loops sleep until
the log signals new events or their interval passes. A failing step is logged and retried with
backoff; it never takes the other loops down. An outage of PostgreSQL or Redis is one warning
line, not a traceback, and its backoff stays short (OUTAGE_BACKOFF_MAX_S), so every loop is back
within seconds of the store.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Final

from dramatiq.brokers.redis import RedisBroker

from application.context import SYSTEM
from application.log_context import bound
from domain import identifiers
from infrastructure import metrics
from infrastructure.idempotency import PURGE_BATCH_MAX as IDEMPOTENCY_PURGE_BATCH_MAX
from infrastructure.leadership import Leadership
from infrastructure.outages import is_outage
from infrastructure.webhooks.deliveries import PURGE_BATCH_MAX as DELIVERY_PURGE_BATCH_MAX
from interfaces.bootstrap import Services
from interfaces.reconciliation import reconcile_now
from interfaces.workers.deposit_monitor import DepositMonitor
from interfaces.workers.log_signal import LogSignal
from interfaces.workers.outbox import OutboxRelay, sweep_stalled
from interfaces.workers.webhook_dispatch import WebhookDispatcher
from projections.event_feed.projection import EventFeedProjection
from projections.store import ProjectionStore

STANDBY_POLL_S: Final = 1.0
IDLE_WAIT_S: Final = 1.0
ERROR_BACKOFF_S: Final = 0.2
ERROR_BACKOFF_MAX_S: Final = 10.0
# Asking a store that is down again costs one refused connection: back off less.
OUTAGE_BACKOFF_MAX_S: Final = 2.0
PROJECTION_PAGES_PER_STEP: Final = 10
HOUSEKEEPING_INTERVAL_S: Final = 60.0
DEPOSIT_POLL_S: Final = 0.5
AUTO_RELEASE_BATCH_MAX: Final = 100
# On SIGTERM each loop finishes its step within this bound; its lock is released as it ends.
RUNNER_STOP_S: Final = 10.0
# Loops other than one per projection; without a broker only housekeeping runs.
HOUSEKEEPING: Final = "housekeeping"
OUTBOX: Final = "outbox"
DEPOSIT_MONITOR: Final = "deposit-monitor"
RECONCILER: Final = "reconciler"
AUTO_RELEASE: Final = "auto-release"
WEBHOOK_DISPATCH: Final = "webhook-dispatch"
SAGA_LOOPS: Final = (OUTBOX, DEPOSIT_MONITOR, RECONCILER, AUTO_RELEASE, WEBHOOK_DISPATCH)

log = logging.getLogger(__name__)

Step = Callable[[], bool]


@dataclass
class Loop:
    """A named singleton: `prepare` runs once per leadership term, `step` repeatedly."""

    name: str
    step: Step
    prepare: Callable[[], None] = field(default=lambda: None)
    idle_wait_s: float = IDLE_WAIT_S
    follows_log: bool = True


def projection_loop(store: ProjectionStore, on_page: Callable[[int], None] | None = None) -> Loop:
    """`on_page`, when given, hears the position after every page committed (one per step)."""

    def prepare() -> None:
        store.ensure()
        status = store.status()
        if status.needs_rebuild:
            log.info(
                "projection %s is at version %s, rebuilding to %s",
                store.name,
                status.version,
                status.expected_version,
            )
            store.rebuild()

    def step() -> bool:
        if on_page is None:
            return store.catch_up(pages_max=PROJECTION_PAGES_PER_STEP) > 0
        advanced = store.catch_up(pages_max=1)
        if advanced:
            on_page(store.position())
        return advanced > 0

    return Loop(name=f"projection:{store.name}", step=step, prepare=prepare)


def housekeeping_loop(services: Services, broker: RedisBroker | None) -> Loop:
    def step() -> bool:
        """True while a purge still finds a full batch, so a backlog clears without waiting."""
        records = services.idempotency.purge_expired()
        if records:
            log.info("purged %d expired idempotency records", records)
        retention_days = services.settings.webhook_delivery_retention_days
        attempts = services.channels.deliveries.purge_older_than(retention_days)
        if attempts:
            log.info(
                "purged %d webhook delivery attempts older than %d days", attempts, retention_days
            )
        if broker is not None:
            sweep_stalled(services, broker)
        return records == IDEMPOTENCY_PURGE_BATCH_MAX or attempts == DELIVERY_PURGE_BATCH_MAX

    return Loop(HOUSEKEEPING, step, idle_wait_s=HOUSEKEEPING_INTERVAL_S, follows_log=False)


def outbox_loop(services: Services, broker: RedisBroker) -> Loop:
    """Follows the log like a projection, but is never rebuilt: replaying the outbox would
    re-enqueue every step ever taken (harmless, being idempotent, but a flood)."""
    store = ProjectionStore(OutboxRelay(broker), services.pool, services.ledger)
    return Loop(
        name=OUTBOX,
        step=lambda: store.catch_up(pages_max=PROJECTION_PAGES_PER_STEP) > 0,
        prepare=store.ensure,
    )


def webhook_dispatch_loop(services: Services, broker: RedisBroker) -> Loop:
    """Follows the log like the outbox, enqueuing webhook deliveries; never rebuilt either."""
    store = ProjectionStore(WebhookDispatcher(broker), services.pool, services.ledger)
    return Loop(
        name=WEBHOOK_DISPATCH,
        step=lambda: store.catch_up(pages_max=PROJECTION_PAGES_PER_STEP) > 0,
        prepare=store.ensure,
    )


def deposit_monitor_loop(services: Services, stopping: threading.Event) -> Loop:
    monitor = DepositMonitor(services, stopping)
    return Loop(DEPOSIT_MONITOR, monitor.step, idle_wait_s=DEPOSIT_POLL_S, follows_log=False)


def reconciler_loop(services: Services) -> Loop:
    def step() -> bool:
        report = reconcile_now(services, "schedule", SYSTEM)
        if report.drifts:
            log.warning("reconciliation found %d drifting wallets", len(report.drifts))
        return False

    return Loop(
        RECONCILER, step, idle_wait_s=services.settings.reconcile_interval_s, follows_log=False
    )


def auto_release_loop(services: Services) -> Loop:
    """Releases funded orders whose auto-release deadline passed with no dispute open. The read
    model proposes candidates; the order itself decides (it may have moved on)."""

    def step() -> bool:
        due = services.views.orders.due_for_auto_release(services.clock(), AUTO_RELEASE_BATCH_MAX)
        released = 0
        for order_id in due:
            order_uuid = identifiers.parse_public_id(identifiers.ORDER, order_id)
            if services.orders.auto_release(order_uuid, SYSTEM):
                log.info("auto-released order %s: its deadline passed", order_id)
                released += 1
        return released == AUTO_RELEASE_BATCH_MAX

    return Loop(
        AUTO_RELEASE,
        step,
        idle_wait_s=services.settings.auto_release_interval_s,
        follows_log=False,
    )


def loop_names(projection_names: Iterable[str]) -> list[str]:
    """The names `default_loops` gives its loops (with a broker), for readiness without
    building them."""
    return [*(f"projection:{name}" for name in projection_names), HOUSEKEEPING, *SAGA_LOOPS]


def default_loops(
    services: Services,
    broker: RedisBroker | None = None,
    stopping: threading.Event | None = None,
) -> list[Loop]:
    """Every loop; without a broker (tests of the read side) the saga loops are left out.
    `stopping`, the runner's own stop event, lets long steps end early when it is set."""
    stopping = stopping or threading.Event()
    # The event feed announces each page it commits, so SSE streams on every API instance wake.
    announce = services.channels.announcer.announce
    loops = [
        projection_loop(store, announce if store.name == EventFeedProjection.name else None)
        for store in services.projections.values()
    ]
    loops.append(housekeeping_loop(services, broker))
    if broker is not None:
        loops += [
            outbox_loop(services, broker),
            deposit_monitor_loop(services, stopping),
            reconciler_loop(services),
            auto_release_loop(services),
            webhook_dispatch_loop(services, broker),
        ]
    return loops


class Runner:
    def __init__(
        self, services: Services, loops: list[Loop], stopping: threading.Event | None = None
    ) -> None:
        self._services = services
        self._loops = loops
        self._stopping = stopping or threading.Event()
        channel = getattr(services.ledger.recorder, "channel_name", "ledger_events")
        self._signal = LogSignal(services.database_url, channel=channel)
        self._threads = [
            threading.Thread(target=self._run, args=(loop,), name=loop.name, daemon=True)
            for loop in loops
        ]
        self.leading: dict[str, bool] = {loop.name: False for loop in loops}

    def start(self) -> None:
        self._signal.start()
        for thread in self._threads:
            thread.start()

    def stop(self, timeout_s: float = RUNNER_STOP_S) -> None:
        self._stopping.set()
        self._signal.notify()
        deadline = time.monotonic() + timeout_s
        for thread in self._threads:
            thread.join(timeout=max(deadline - time.monotonic(), 0.1))
        self._signal.stop()

    def wait(self) -> None:
        while not self._stopping.wait(1.0):
            pass

    def _run(self, loop: Loop) -> None:
        with bound(loop=loop.name):
            self._lead_or_stand_by(loop)

    def _lead_or_stand_by(self, loop: Loop) -> None:
        leadership = Leadership(self._services.database_url, loop.name)
        try:
            while not self._stopping.is_set():
                if not self._lead(leadership, loop):
                    self._stopping.wait(STANDBY_POLL_S)
                    continue
                self._follow(loop, leadership)
        finally:
            leadership.release()
            self._set_leading(loop.name, False)

    def _lead(self, leadership: Leadership, loop: Loop) -> bool:
        was_leading = leadership.is_leader
        try:
            leading = leadership.try_acquire()
        except Exception as error:  # the database is unreachable: stand by and retry
            log.warning("loop %s cannot reach the database: %s", loop.name, error)
            return False
        if leading and not was_leading:
            log.info("loop %s: leading", loop.name)
            try:
                loop.prepare()
            except Exception as error:
                if not is_outage(error):
                    log.exception("loop %s failed to prepare; releasing leadership", loop.name)
                else:
                    log.warning("loop %s cannot prepare, a store is down: %s", loop.name, error)
                leadership.release()
                return False
        self._set_leading(loop.name, leading)
        return leading

    def _follow(self, loop: Loop, leadership: Leadership) -> None:
        backoff_s = ERROR_BACKOFF_S
        while not self._stopping.is_set() and leadership.try_acquire():
            seen = self._signal.generation
            try:
                busy = loop.step()
                backoff_s = ERROR_BACKOFF_S
            except Exception as error:
                backoff_s = self._after_failure(loop, error, backoff_s)
                continue
            if busy:
                continue
            if loop.follows_log:
                self._signal.wait(seen, loop.idle_wait_s)
            else:
                self._stopping.wait(loop.idle_wait_s)
        self._set_leading(loop.name, False)

    def _after_failure(self, loop: Loop, error: Exception, backoff_s: float) -> float:
        """Waits out a failed step; returns the next backoff."""
        if is_outage(error):
            backoff_s = min(backoff_s, OUTAGE_BACKOFF_MAX_S)
            log.warning(
                "loop %s waits for a store (%s: %s); retrying in %.1fs",
                loop.name,
                type(error).__name__,
                str(error).strip().splitlines()[0] if str(error).strip() else "",
                backoff_s,
            )
            self._stopping.wait(backoff_s)
            return min(backoff_s * 2, OUTAGE_BACKOFF_MAX_S)
        log.exception("loop %s step failed; retrying in %.1fs", loop.name, backoff_s)
        self._stopping.wait(backoff_s)
        return min(backoff_s * 2, ERROR_BACKOFF_MAX_S)

    def _set_leading(self, name: str, leading: bool) -> None:
        self.leading[name] = leading
        metrics.RUNNER_LEADER.labels(name).set(1 if leading else 0)


def default_runner(services: Services, broker: RedisBroker | None = None) -> Runner:
    """A runner of every loop, whose long steps hear its stop."""
    stopping = threading.Event()
    return Runner(services, default_loops(services, broker, stopping), stopping)
