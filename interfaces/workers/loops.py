"""The catalogue of `ledgerline runner`'s loops: one per projection, the outbox relay and the
webhook dispatcher (which follow the log like projections), the deposit monitor, the reconciler,
the auto-release timer and housekeeping. Each loop's step is one call into a use case or a store;
the engine that leads and runs them is runner.py.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable
from functools import partial
from typing import Final

from dramatiq.brokers.redis import RedisBroker

from application.anchor_schedule import AnchorPolicy, AnchorSchedule
from application.context import SYSTEM
from infrastructure.outages import is_outage
from infrastructure.postgres.idempotency import PURGE_BATCH_MAX as IDEMPOTENCY_PURGE_BATCH_MAX
from infrastructure.webhooks.deliveries import PURGE_BATCH_MAX as DELIVERY_PURGE_BATCH_MAX
from interfaces.services import Services
from interfaces.workers.deposit_monitor import DepositMonitor
from interfaces.workers.outbox import OutboxRelay, sweep_stalled
from interfaces.workers.runner import Loop, Runner
from interfaces.workers.webhook_dispatch import WebhookDispatcher
from projections.event_feed.projection import EventFeedProjection
from projections.log_reader import PAGE_SIZE, LogReader
from projections.stalls import EventNotAppliedError, Stalls
from projections.store import ProjectionStore

PROJECTION_PAGES_PER_STEP: Final = 10
HOUSEKEEPING_INTERVAL_S: Final = 60.0
DEPOSIT_POLL_S: Final = 0.5
AUTO_RELEASE_BATCH_MAX: Final = 100
# Loops other than one per projection; without a broker only housekeeping runs.
HOUSEKEEPING: Final = "housekeeping"
OUTBOX: Final = "outbox"
DEPOSIT_MONITOR: Final = "deposit-monitor"
RECONCILER: Final = "reconciler"
AIRTM_RECONCILER: Final = "airtm-reconciler"
AUTO_RELEASE: Final = "auto-release"
WEBHOOK_DISPATCH: Final = "webhook-dispatch"
AUDIT_ANCHOR: Final = "audit-anchor"
# How often the anchor loop asks whether an anchor is due (its own schedule is the settings').
ANCHOR_POLL_S: Final = 1.0
SAGA_LOOPS: Final = (
    OUTBOX,
    DEPOSIT_MONITOR,
    RECONCILER,
    AUTO_RELEASE,
    WEBHOOK_DISPATCH,
    AIRTM_RECONCILER,
    AUDIT_ANCHOR,
)
EVENT_FEED: Final = EventFeedProjection.name
# The event store's NOTIFY channel when its recorder does not name one.
DEFAULT_LOG_CHANNEL: Final = "ledger_events"

log = logging.getLogger(__name__)


def projection_loop(
    store: ProjectionStore,
    stalls: Stalls,
    reader: LogReader | None = None,
    on_lead: Callable[[], object] | None = None,
) -> Loop:
    """`reader`, when given, is the process's shared reader the pages come from. An event the
    projection cannot apply is recorded in `stalls` (readiness and the metrics show it) and
    retried by the runner's backoff; the stall is cleared once passed. `on_lead` runs once per
    leadership term, once the read model is ready."""
    watch = StallWatch(store, stalls)

    def prepare() -> None:
        store.ensure()
        stalls.ensure()
        status = store.status()
        if status.needs_rebuild:
            log.info(
                "projection %s is at version %s, rebuilding to %s",
                store.name,
                status.version,
                status.expected_version,
            )
            with watch:
                store.rebuild()
            watch.passed()
        if on_lead is not None:
            on_lead()

    def step() -> bool:
        with watch:
            advanced = store.catch_up(pages_max=PROJECTION_PAGES_PER_STEP, reader=reader)
        if advanced:
            watch.passed()
        return advanced > 0

    return Loop(name=f"projection:{store.name}", step=step, prepare=prepare, reader=reader)


class StallWatch:
    """Records an event a projection cannot apply, and forgets it once the projection moves
    on. A dependency outage is no stall: it passes through for the runner to wait out."""

    def __init__(self, store: ProjectionStore, stalls: Stalls) -> None:
        self._store, self._stalls = store, stalls
        # A stall may be left from an earlier leader or process: look once after advancing.
        self._maybe_stalled = True

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: object, error: BaseException | None, trace: object) -> None:
        if isinstance(error, EventNotAppliedError) and not is_outage(error.error):
            try:
                self._stalls.record(error)
            except Exception as unrecorded:  # the step's own error is the one to report
                log.warning("could not record the stall of %s: %s", self._store.name, unrecorded)
            self._maybe_stalled = True

    def passed(self) -> None:
        if self._maybe_stalled:
            self._stalls.clear(self._store.name, self._store.position())
            self._maybe_stalled = False


def housekeeping_loop(services: Services, broker: RedisBroker | None) -> Loop:
    resources, settings = services.resources, services.settings

    def step() -> bool:
        """True while a purge still finds a full batch, so a backlog clears without waiting."""
        records = resources.idempotency.purge_expired()
        if records:
            log.info("purged %d expired idempotency records", records)
        retention_days = settings.webhook_delivery_retention_days
        attempts = resources.deliveries.purge_older_than(retention_days)
        if attempts:
            log.info(
                "purged %d webhook delivery attempts older than %d days", attempts, retention_days
            )
        if broker is not None:
            sweep_stalled(services.views.sagas, settings.saga_stall_s, broker)
        return records == IDEMPOTENCY_PURGE_BATCH_MAX or attempts == DELIVERY_PURGE_BATCH_MAX

    return Loop(HOUSEKEEPING, step, idle_wait_s=HOUSEKEEPING_INTERVAL_S, follows_log=False)


def relay_loop(name: str, store: ProjectionStore, reader: LogReader | None = None) -> Loop:
    """A follower of the log that acts rather than keeps rows (the outbox relay, the webhook
    dispatcher): like a projection, but never rebuilt, since replaying it would enqueue every
    step or delivery ever made again (harmless, being idempotent, but a flood)."""
    return Loop(
        name=name,
        step=lambda: store.catch_up(pages_max=PROJECTION_PAGES_PER_STEP, reader=reader) > 0,
        prepare=store.ensure,
        reader=reader,
    )


def deposit_monitor_loop(services: Services, stopping: threading.Event) -> Loop:
    resources = services.resources
    monitor = DepositMonitor(
        resources.network,
        resources.cursors,
        services.use_cases.deposits,
        services.settings.stellar_network,
        stopping,
    )
    return Loop(DEPOSIT_MONITOR, monitor.step, idle_wait_s=DEPOSIT_POLL_S, follows_log=False)


def reconciler_loop(services: Services) -> Loop:
    reconciler = services.use_cases.reconciler

    def step() -> bool:
        report = reconciler.reconcile_everything("schedule", SYSTEM)
        if report.drifts:
            log.warning("reconciliation found %d drifting wallets", len(report.drifts))
        return False

    return Loop(
        RECONCILER, step, idle_wait_s=services.settings.reconcile_interval_s, follows_log=False
    )


def airtm_reconciler_loop(services: Services) -> Loop:
    """Top-ups and fiat withdrawals still pending, read from AirTM and applied (a lost webhook's
    work); contradictions recorded as drift. Idle when the fiat ramp is off."""
    reconciler, enabled = services.use_cases.fiat_reconciler, services.settings.airtm_enabled

    def step() -> bool:
        if enabled:
            report = reconciler.reconcile("schedule", SYSTEM)
            if report.drifts:
                log.warning("AirTM reconciliation found %d drifts", len(report.drifts))
        return False

    return Loop(
        AIRTM_RECONCILER,
        step,
        idle_wait_s=services.settings.airtm_reconcile_interval_s,
        follows_log=False,
    )


def auto_release_loop(services: Services) -> Loop:
    """Releases funded orders whose auto-release deadline passed with no dispute open."""
    orders, clock = services.use_cases.orders, services.resources.clock

    def step() -> bool:
        released = orders.release_due(clock(), AUTO_RELEASE_BATCH_MAX, SYSTEM)
        for order_id in released:
            log.info("auto-released order %s: its deadline passed", order_id)
        return len(released) == AUTO_RELEASE_BATCH_MAX

    return Loop(
        AUTO_RELEASE,
        step,
        idle_wait_s=services.settings.auto_release_interval_s,
        follows_log=False,
    )


def audit_anchor_loop(services: Services) -> Loop:
    """Starts an anchor of the chain's head when one is due (application/anchor_schedule.py);
    the saga itself is the workers' (an anchor stalled past SAGA_STALL_S is re-enqueued by the
    housekeeping's stall sweeper, like every saga)."""
    resources, settings, views = services.resources, services.settings, services.views
    stores = resources.projections
    schedule = AnchorSchedule(
        views.feed,
        views.audit_anchors,
        lambda: min(stores["ledger_entries"].position(), stores["audit_anchors"].position()),
        services.use_cases.balance_proofs,
        services.use_cases.audit_anchors,
        AnchorPolicy(settings.audit_anchor_every_events, settings.audit_anchor_interval_s),
        resources.clock,
    )

    return Loop(AUDIT_ANCHOR, schedule.step, idle_wait_s=ANCHOR_POLL_S, follows_log=False)


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
    resources = services.resources
    stalls = Stalls(resources.pool)
    # One reader for every follower of the log: each page is selected and decoded once. Its
    # pages are no larger than the smallest store's, so no store meets a page larger than asked.
    stores = list(resources.projections.values())
    reader = LogReader(
        resources.ledger, page_size=min((s.page_size for s in stores), default=PAGE_SIZE)
    )
    # The event feed's leader links the hash chain: it records the chain version its code
    # links with, once per log (a leader running older code never does, so every link from
    # the recorded position on is made by code that knows that version).
    chain_version = partial(services.use_cases.chain_versions.record_latest, SYSTEM)
    loops = [
        projection_loop(
            store,
            stalls,
            reader=reader,
            on_lead=chain_version if store.name == EVENT_FEED else None,
        )
        for store in stores
    ]
    loops.append(housekeeping_loop(services, broker))
    if broker is not None:
        pool, ledger = resources.pool, resources.ledger
        loops += [
            relay_loop(OUTBOX, ProjectionStore(OutboxRelay(broker), pool, ledger), reader),
            deposit_monitor_loop(services, stopping),
            reconciler_loop(services),
            auto_release_loop(services),
            relay_loop(
                WEBHOOK_DISPATCH,
                ProjectionStore(WebhookDispatcher(broker), pool, ledger),
                reader,
            ),
            airtm_reconciler_loop(services),
            audit_anchor_loop(services),
        ]
    return loops


def runner_of(
    services: Services, loops: list[Loop], stopping: threading.Event | None = None
) -> Runner:
    """A runner of `loops` against the services' database, woken by its event store."""
    ledger = services.resources.ledger
    return Runner(
        services.resources.database_url,
        loops,
        log_channel=getattr(ledger.recorder, "channel_name", DEFAULT_LOG_CHANNEL),
        stopping=stopping,
    )


def default_runner(services: Services, broker: RedisBroker | None = None) -> Runner:
    """A runner of every loop, whose long steps hear its stop."""
    stopping = threading.Event()
    return runner_of(services, default_loops(services, broker, stopping), stopping)
