"""The webhook courier: posts one delivery, signed, and decides what its outcome means.

A failed attempt is retried by the broker with bounded exponential backoff; a delivery that
fails its last retry counts against its endpoint, and enough of those in a row disable the
endpoint (an event), until a replay re-enables it. A slow or failing receiver can hold at most
WEBHOOK_IN_FLIGHT_PER_ENDPOINT attempts at once across all workers, and this process gives
webhooks at most half its worker threads, so other endpoints and saga steps keep flowing:
a delivery that finds no room waits in the delay queue instead of a thread.
"""

from __future__ import annotations

import logging
import random
import threading
import time
import uuid
from typing import Final

import dramatiq
from dramatiq.brokers.redis import RedisBroker

from application.context import SYSTEM
from domain import identifiers
from domain.webhooks import ACTIVE, WebhookEndpoint
from infrastructure.webhooks.deliveries import (
    DELIVERED,
    EXHAUSTED,
    FAILED,
    SKIPPED,
    Attempt,
)
from infrastructure.webhooks.sender import Outcome, WebhookSender
from infrastructure.webhooks.signatures import standard_headers
from interfaces.bootstrap import Services
from interfaces.workers.webhook_messages import (
    DeliveryJob,
    ReplayJob,
    delivery_id,
    delivery_message,
    replay_message,
)
from projections.event_feed.view import FeedFilter

# A delivery that finds no free slot comes back after this long (plus jitter).
DEFER_MS: Final = 500
# A replay page waiting for the event feed to catch up looks again after this long.
REPLAY_WAIT_MS: Final = 500
REPLAY_PAGE_SIZE: Final = 200
# A slot outlives the request it guards by this margin, then frees itself.
SLOT_MARGIN_S: Final = 5.0

log = logging.getLogger(__name__)


class WebhookCourier:
    def __init__(self, services: Services, broker: RedisBroker, sender: WebhookSender) -> None:
        self._services = services
        self._channels = services.channels
        self._settings = services.settings
        self._broker = broker
        self._sender = sender
        self._threads = threading.BoundedSemaphore(max(services.settings.worker_threads // 2, 1))

    def deliver(self, job: DeliveryJob, retries: int) -> None:
        """Posts `job` once; raises dramatiq.Retry when the broker should try again."""
        attempt = retries + 1
        endpoint = self._services.ledger.get(
            WebhookEndpoint,
            identifiers.parse_public_id(identifiers.WEBHOOK_ENDPOINT, job.endpoint_id),
        )
        if endpoint is None or endpoint.status != ACTIVE:
            status = "deleted" if endpoint is None else endpoint.status.lower()
            self._record(job, attempt, SKIPPED, error=f"the endpoint is {status}")
            return
        if self._channels.deliveries.delivered(job.delivery_id):
            return
        outcome = self._post(endpoint, job)
        if outcome is None:
            self._defer(job, retries)
            return
        final = retries >= self._settings.webhook_retries_max
        result = DELIVERED if outcome.succeeded else EXHAUSTED if final else FAILED
        failures = self._record(
            job, attempt, result, outcome.status_code, outcome.error, outcome.duration_ms
        )
        if result == FAILED:
            raise dramatiq.Retry(f"webhook {job.delivery_id} attempt {attempt}: {outcome.error}")
        if result == EXHAUSTED and failures >= self._settings.webhook_disable_after_failures:
            reason = f"{failures} deliveries in a row failed every retry; last: {outcome.error}"
            if self._channels.webhooks.disable(
                endpoint.id, reason, failures, SYSTEM.caused_by(job.event_id)
            ):
                log.warning("disabled webhook endpoint %s: %s", job.endpoint_id, reason)

    def replay(self, job: ReplayJob) -> None:
        """Enqueues the deliveries of one page of a replay, then the next page."""
        endpoint = self._services.ledger.get(
            WebhookEndpoint,
            identifiers.parse_public_id(identifiers.WEBHOOK_ENDPOINT, job.endpoint_id),
        )
        if endpoint is None or endpoint.status != ACTIVE:
            return
        wanted = FeedFilter(types=endpoint.type_filter)
        read = self._channels.feed.published_between(job.after, job.until, wanted, REPLAY_PAGE_SIZE)
        for row in read.rows:
            delivery = DeliveryJob(
                job.endpoint_id,
                delivery_id(job.endpoint_id, row.event_id, job.replay_id),
                row.position,
                row.event_id,
                row.envelope,
            )
            self._broker.enqueue(delivery_message(delivery))
        if read.scanned_to >= job.until:
            return
        following = ReplayJob(job.endpoint_id, job.replay_id, read.scanned_to, job.until)
        # Nothing new means the feed has not reached the replay's end yet: look again shortly.
        delay = None if read.scanned_to > job.after else REPLAY_WAIT_MS
        self._broker.enqueue(replay_message(following), delay=delay)

    def _post(self, endpoint: WebhookEndpoint, job: DeliveryJob) -> Outcome | None:
        """The attempt's outcome, or None when this endpoint or this process has no room."""
        if not self._threads.acquire(blocking=False):
            return None
        try:
            slots = self._channels.slots
            group = f"webhook:{job.endpoint_id}"
            holder = uuid.uuid4().hex
            lease_s = self._settings.webhook_timeout_ms / 1000 + SLOT_MARGIN_S
            if not slots.acquire(
                group, holder, self._settings.webhook_in_flight_per_endpoint, lease_s
            ):
                return None
            try:
                secret = self._channels.webhooks.secret_of(job.endpoint_id)
                body = job.body.encode("utf-8")
                headers = standard_headers(secret, job.event_id, int(time.time()), body)
                return self._sender.post(endpoint.url, headers, body)
            finally:
                slots.release(group, holder)
        finally:
            self._threads.release()

    def _defer(self, job: DeliveryJob, retries: int) -> None:
        delay_ms = DEFER_MS + random.randint(0, DEFER_MS)
        self._broker.enqueue(delivery_message(job, retries=retries, fresh_id=True), delay=delay_ms)

    def _record(
        self,
        job: DeliveryJob,
        attempt: int,
        outcome: str,
        status_code: int | None = None,
        error: str | None = None,
        duration_ms: int | None = None,
    ) -> int:
        return self._channels.deliveries.record(
            Attempt(
                job.delivery_id,
                job.endpoint_id,
                job.event_id,
                job.position,
                attempt,
                outcome,
                status_code,
                error,
                duration_ms,
            )
        )
