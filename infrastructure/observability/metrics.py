"""Every Prometheus metric a Ledgerline process exports, in one place (docs/operations.md lists
them with the alerts built on them).

Counters and histograms live in the process that does the work (the API, a worker, the runner)
and are served by that process. Gauges that describe the shared state rather than one process —
projection lag, queue depth, sagas by status, dependency health — are read when scraped (see
`ClusterCollector` in exposition.py), so every API instance reports the same truth.
"""

from __future__ import annotations

from collections import Counter as Tally
from collections.abc import Sequence
from typing import Final

from prometheus_client import Counter, Gauge, Histogram, disable_created_metrics

# Every counter and histogram would also export a `*_created` series (its creation time): noise
# to every scrape and dashboard, and nothing we alert on. Process-wide, before any is created.
disable_created_metrics()

PREFIX: Final = "ledgerline"

# Request latencies from a 5 ms cache hit to a 30 s `Prefer: wait`.
LATENCY_BUCKETS_S: Final = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)

HTTP_REQUEST_DURATION = Histogram(
    f"{PREFIX}_http_request_duration_seconds",
    "Time from the request's arrival to the end of its response, by route template.",
    ["method", "route", "status"],
    buckets=LATENCY_BUCKETS_S,
)
HTTP_REQUESTS = Counter(
    f"{PREFIX}_http_requests",
    "Requests answered, by route template and status code.",
    ["method", "route", "status"],
)
COMMANDS = Counter(
    f"{PREFIX}_commands",
    "Commands by use case and outcome (ok, rejected, conflict, error).",
    ["command", "outcome"],
)
EVENTS_APPENDED = Counter(
    f"{PREFIX}_events_appended",
    "Events recorded in the log by this process, by event type.",
    ["type"],
)
DEPOSITS_CREDITED = Counter(
    f"{PREFIX}_deposits_credited",
    "Incoming USDC payments credited to a wallet (each Stellar operation once).",
)
WITHDRAWALS_FAILED = Counter(
    f"{PREFIX}_withdrawals_failed",
    "Withdrawals that failed on chain or were refused by Horizon (their hold was released).",
)
RECONCILIATION_DRIFT = Gauge(
    f"{PREFIX}_reconciliation_drift_stroops",
    "Absolute difference between the books and the chain found by the last reconciliation.",
)
RECONCILIATION_DRIFTING_WALLETS = Gauge(
    f"{PREFIX}_reconciliation_drifting_wallets",
    "Wallets whose chain balance disagreed with the books at the last reconciliation.",
)
SAGA_STEPS = Counter(
    f"{PREFIX}_saga_steps",
    "Saga steps performed by actors, by actor and outcome (succeeded, retried, failed, parked).",
    ["kind", "outcome"],
)
RUNNER_LEADER = Gauge(
    f"{PREFIX}_runner_leader",
    "1 where this runner process leads the loop, 0 where it stands by.",
    ["loop"],
)
PROVIDER_REQUESTS = Counter(
    f"{PREFIX}_provider_requests",
    "Calls to Horizon and Trustless Work, by outcome (ok, or the error kind).",
    ["provider", "outcome"],
)
PROVIDER_ERRORS = Counter(
    f"{PREFIX}_provider_errors",
    "Failed calls to Horizon and Trustless Work (transient, refused, timeout, unavailable).",
    ["provider", "kind"],
)
PROVIDER_REQUEST_DURATION = Histogram(
    f"{PREFIX}_provider_request_duration_seconds",
    "Time a call to Horizon, Trustless Work or AirTM took, including failed ones.",
    ["provider"],
    buckets=LATENCY_BUCKETS_S,
)

WEBHOOK_DELIVERIES = Counter(
    f"{PREFIX}_webhook_deliveries",
    "Webhook delivery attempts by outcome: delivered (2xx), rejected (another status), "
    "unreachable (no answer), refused (a private address, not posted).",
    ["outcome"],
)
WEBHOOK_DELIVERY_DURATION = Histogram(
    f"{PREFIX}_webhook_delivery_duration_seconds",
    "Time one webhook delivery attempt took, whatever its outcome.",
    buckets=LATENCY_BUCKETS_S,
)
SSE_STREAMS = Gauge(
    f"{PREFIX}_sse_streams",
    "Event streams (GET /events) open on this API process.",
)
SSE_STREAMS_OPENED = Counter(
    f"{PREFIX}_sse_streams_opened",
    "Event streams opened on this API process.",
)
IDEMPOTENCY_REPLAYS = Counter(
    f"{PREFIX}_idempotency_replays",
    "Requests answered with the stored response of an earlier one with the same Idempotency-Key.",
)
IDEMPOTENCY_CONFLICTS = Counter(
    f"{PREFIX}_idempotency_conflicts",
    "Idempotency-Key refusals: IDEMPOTENCY_KEY_REUSED (another body), "
    "IDEMPOTENCY_KEY_IN_PROGRESS (the first request still runs).",
    ["code"],
)
AUTH_FAILURES = Counter(
    f"{PREFIX}_auth_failures",
    "Requests refused at the edge for their credentials: UNAUTHORIZED (no key), "
    "INVALID_API_KEY, INSUFFICIENT_SCOPE.",
    ["code"],
)
RATE_LIMITED = Counter(
    f"{PREFIX}_rate_limited",
    "Requests refused at the edge by the per-key rate limit (429 RATE_LIMITED).",
)

# Provider names and error kinds, as labelled.
HORIZON: Final = "horizon"
TRUSTLESS_WORK: Final = "trustless_work"
AIRTM: Final = "airtm"
OK: Final = "ok"
TRANSIENT: Final = "transient"  # 5xx / 429: retried
REFUSED: Final = "refused"  # a 4xx: the provider said no
TIMEOUT: Final = "timeout"  # no answer in time: the outcome may be unknown
UNAVAILABLE: Final = "unavailable"  # no connection at all

# Business events worth their own counter, by event type.
_DEPOSIT_CREDITED: Final = "Deposit.Received"
_WITHDRAWAL_FAILED: Final = "Withdrawal.Failed"


class PrometheusInstruments:
    """The application's `Instruments` port, counted in this process's registry."""

    def command(self, name: str, outcome: str) -> None:
        COMMANDS.labels(name, outcome).inc()

    def appended(self, event_types: Sequence[str]) -> None:
        for event_type, count in Tally(event_types).items():
            EVENTS_APPENDED.labels(event_type).inc(count)
            if event_type == _DEPOSIT_CREDITED:
                DEPOSITS_CREDITED.inc(count)
            elif event_type == _WITHDRAWAL_FAILED:
                WITHDRAWALS_FAILED.inc(count)

    def reconciled(self, drift_stroops: int, drifting_wallets: int) -> None:
        RECONCILIATION_DRIFT.set(drift_stroops)
        RECONCILIATION_DRIFTING_WALLETS.set(drifting_wallets)


_AUTH_CODES: Final = frozenset({"UNAUTHORIZED", "INVALID_API_KEY", "INSUFFICIENT_SCOPE"})
_IDEMPOTENCY_CODES: Final = frozenset({"IDEMPOTENCY_KEY_REUSED", "IDEMPOTENCY_KEY_IN_PROGRESS"})


def edge_refused(code: str) -> None:
    """The edge refused a request with error `code` before its handler ran."""
    if code in _AUTH_CODES:
        AUTH_FAILURES.labels(code).inc()
    elif code == "RATE_LIMITED":
        RATE_LIMITED.inc()
    elif code in _IDEMPOTENCY_CODES:
        IDEMPOTENCY_CONFLICTS.labels(code).inc()


def webhook_attempt(outcome: str, seconds: float) -> None:
    WEBHOOK_DELIVERIES.labels(outcome).inc()
    WEBHOOK_DELIVERY_DURATION.observe(seconds)


def provider_call(provider: str, outcome: str, seconds: float) -> None:
    """One call to an external provider ended with `outcome` (OK or an error kind)."""
    PROVIDER_REQUESTS.labels(provider, outcome).inc()
    PROVIDER_REQUEST_DURATION.labels(provider).observe(seconds)
    if outcome != OK:
        PROVIDER_ERRORS.labels(provider, outcome).inc()
