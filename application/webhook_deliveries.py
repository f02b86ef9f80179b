"""Use case: deliver one event to one webhook endpoint, and decide what the attempt means.

A delivery already delivered is not posted again (the delivery log says so), so a message
redelivered by the broker posts nothing twice. A failed attempt is retried with bounded backoff
(the broker's); a delivery that fails its last retry counts against its endpoint, and that many
in a row (DeliveryLimits.disable_after_failures) disable the endpoint, an event, until a replay
re-enables it. A slow or failing receiver holds at most `in_flight_per_endpoint` attempts at once
across all workers, and this process gives webhooks at most `threads_max` of its threads: a
delivery that finds no room is deferred rather than waiting in a thread.
"""

from __future__ import annotations

import threading
import uuid
from dataclasses import dataclass
from enum import Enum
from typing import Final, Protocol

from application.context import SYSTEM
from application.ledger import Ledger
from application.webhooks import WebhookEndpoints
from domain import identifiers
from domain.event_types import TypeFilter
from domain.webhooks import ACTIVE, WebhookEndpoint

# What the delivery log records of an attempt.
DELIVERED: Final = "DELIVERED"
FAILED: Final = "FAILED"  # will be retried
EXHAUSTED: Final = "EXHAUSTED"  # failed on its last retry
SKIPPED: Final = "SKIPPED"  # the endpoint was disabled or deleted meanwhile
# A slot outlives the request it guards by this margin, then frees itself.
SLOT_MARGIN_S: Final = 5.0


@dataclass(frozen=True, slots=True)
class Delivery:
    """One event for one endpoint; named by endpoint, event and (for a replay) the replay."""

    endpoint_id: str
    delivery_id: str
    position: int
    event_id: str
    body: str  # the canonical envelope, exactly the bytes signed and posted


@dataclass(frozen=True, slots=True)
class Attempt:
    delivery_id: str
    endpoint_id: str
    event_id: str
    position: int
    attempt: int
    outcome: str
    status_code: int | None = None
    error: str | None = None
    duration_ms: int | None = None


@dataclass(frozen=True, slots=True)
class PostOutcome:
    """What the receiver answered: its status (None when it never answered) and why not 2xx."""

    status_code: int | None
    error: str | None
    duration_ms: int

    @property
    def succeeded(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


class WebhookPoster(Protocol):
    def post_signed(self, url: str, secret: str, event_id: str, body: bytes) -> PostOutcome:
        """Signs `body` with `secret` (Standard Webhooks) and posts it once, never raising for
        the receiver's failures."""


class DeliverySlots(Protocol):
    """Leases on a bounded number of slots per group, shared by every worker."""

    def acquire(self, group: str, holder: str, limit: int, lease_s: float) -> bool: ...

    def release(self, group: str, holder: str) -> None: ...


class DeliveryRecords(Protocol):
    """The delivery log: every attempt, and each endpoint's run of failures."""

    def delivered(self, delivery_id: str) -> bool: ...

    def record(self, attempt: Attempt) -> int:
        """Logs `attempt`; returns the endpoint's consecutive exhausted deliveries after it."""


@dataclass(frozen=True, slots=True)
class DeliveryLimits:
    retries_max: int
    disable_after_failures: int
    in_flight_per_endpoint: int
    timeout_s: float
    threads_max: int  # attempts this process runs at once


class Verdict(Enum):
    DELIVERED = "delivered"
    ALREADY_DELIVERED = "already_delivered"
    SKIPPED = "skipped"  # the endpoint is no longer active
    DEFERRED = "deferred"  # no room now: enqueue it again shortly, the attempt not spent
    RETRY = "retry"  # failed, with retries left
    EXHAUSTED = "exhausted"  # failed its last retry


@dataclass(frozen=True, slots=True)
class DeliveryResult:
    verdict: Verdict
    attempt: int
    error: str | None = None
    disabled_because: str | None = None  # set when this failure disabled the endpoint


class WebhookDeliveries:
    def __init__(
        self,
        ledger: Ledger,
        endpoints: WebhookEndpoints,
        poster: WebhookPoster,
        slots: DeliverySlots,
        records: DeliveryRecords,
        limits: DeliveryLimits,
    ) -> None:
        self._ledger = ledger
        self._endpoints = endpoints
        self._poster = poster
        self._slots = slots
        self._records = records
        self._limits = limits
        self._threads = threading.BoundedSemaphore(max(limits.threads_max, 1))

    def deliver(self, delivery: Delivery, retries: int) -> DeliveryResult:
        """Posts `delivery` once (its `retries`-th retry) and records what that means."""
        attempt = retries + 1
        endpoint = self._endpoint(delivery.endpoint_id)
        if endpoint is None or endpoint.status != ACTIVE:
            status = "deleted" if endpoint is None else endpoint.status.lower()
            self._record(delivery, attempt, SKIPPED, error=f"the endpoint is {status}")
            return DeliveryResult(Verdict.SKIPPED, attempt)
        if self._records.delivered(delivery.delivery_id):
            return DeliveryResult(Verdict.ALREADY_DELIVERED, attempt)
        outcome = self._post(endpoint, delivery)
        if outcome is None:
            return DeliveryResult(Verdict.DEFERRED, attempt)
        final = retries >= self._limits.retries_max
        result = DELIVERED if outcome.succeeded else EXHAUSTED if final else FAILED
        failures = self._record(
            delivery, attempt, result, outcome.status_code, outcome.error, outcome.duration_ms
        )
        if result == DELIVERED:
            return DeliveryResult(Verdict.DELIVERED, attempt)
        if result == FAILED:
            return DeliveryResult(Verdict.RETRY, attempt, outcome.error)
        disabled = None
        if failures >= self._limits.disable_after_failures:
            reason = f"{failures} deliveries in a row failed every retry; last: {outcome.error}"
            context = SYSTEM.caused_by(delivery.event_id)
            if self._endpoints.disable(endpoint.id, reason, failures, context):
                disabled = reason
        return DeliveryResult(Verdict.EXHAUSTED, attempt, outcome.error, disabled)

    def wanted_by(self, endpoint_id: str) -> TypeFilter | None:
        """The event types an active endpoint wants; None once it is not active (a replay to
        it then stops)."""
        endpoint = self._endpoint(endpoint_id)
        if endpoint is None or endpoint.status != ACTIVE:
            return None
        return endpoint.type_filter

    def _endpoint(self, endpoint_id: str) -> WebhookEndpoint | None:
        return self._ledger.get(
            WebhookEndpoint, identifiers.parse_public_id(identifiers.WEBHOOK_ENDPOINT, endpoint_id)
        )

    def _post(self, endpoint: WebhookEndpoint, delivery: Delivery) -> PostOutcome | None:
        """The attempt's outcome, or None when this endpoint or this process has no room."""
        if not self._threads.acquire(blocking=False):
            return None
        try:
            group = f"webhook:{delivery.endpoint_id}"
            holder = uuid.uuid4().hex
            lease_s = self._limits.timeout_s + SLOT_MARGIN_S
            if not self._slots.acquire(group, holder, self._limits.in_flight_per_endpoint, lease_s):
                return None
            try:
                secret = self._endpoints.secret_of(delivery.endpoint_id)
                return self._poster.post_signed(
                    endpoint.url, secret, delivery.event_id, delivery.body.encode("utf-8")
                )
            finally:
                self._slots.release(group, holder)
        finally:
            self._threads.release()

    def _record(
        self,
        delivery: Delivery,
        attempt: int,
        outcome: str,
        status_code: int | None = None,
        error: str | None = None,
        duration_ms: int | None = None,
    ) -> int:
        return self._records.record(
            Attempt(
                delivery.delivery_id,
                delivery.endpoint_id,
                delivery.event_id,
                delivery.position,
                attempt,
                outcome,
                status_code,
                error,
                duration_ms,
            )
        )
