"""Dramatiq actors for outgoing webhooks: deliver one event to one endpoint, and page a replay.

`webhook.deliver` is one call to `WebhookDeliveries.deliver` (application/webhook_deliveries.py
decides what an attempt means); this edge only turns the verdict into the broker's terms: a
failure with retries left raises dramatiq.Retry (bounded backoff from the WEBHOOK_* settings),
and a delivery that found no room is enqueued again shortly instead of holding a thread.
`webhook.replay` enqueues the deliveries of one page of the event feed, then the next page.
"""

from __future__ import annotations

import logging
import random
from typing import Any, Final

import dramatiq
from dramatiq.brokers.redis import RedisBroker
from dramatiq.middleware import CurrentMessage

from application.webhook_deliveries import Delivery, Verdict, WebhookDeliveries
from interfaces.services import Services
from interfaces.workers.webhook_messages import (
    DELIVER,
    QUEUE,
    REPLAY,
    ReplayJob,
    delivery_id,
    delivery_message,
    replay_message,
)
from projections.event_feed.view import FeedFilter, FeedView

# A delivery that finds no free slot comes back after this long (plus jitter).
DEFER_MS: Final = 500
# A replay page waiting for the event feed to catch up looks again after this long.
REPLAY_WAIT_MS: Final = 500
REPLAY_PAGE_SIZE: Final = 200

log = logging.getLogger(__name__)


def declare_webhook_actors(
    broker: RedisBroker, services: Services
) -> list[dramatiq.Actor[Any, Any]]:
    settings = services.settings
    deliveries = services.use_cases.webhook_deliveries
    feed = services.views.feed

    def deliver(
        endpoint_id: str, delivery_id: str, position: int, event_id: str, body: str
    ) -> None:
        message = CurrentMessage.get_current_message()
        retries = int(message.options.get("retries", 0)) if message is not None else 0
        delivery = Delivery(endpoint_id, delivery_id, position, event_id, body)
        deliver_once(deliveries, broker, delivery, retries)

    def replay(endpoint_id: str, replay_id: str, after: int, until: int) -> None:
        replay_page(deliveries, feed, broker, ReplayJob(endpoint_id, replay_id, after, until))

    retry_policy: dict[str, Any] = {
        "max_retries": settings.webhook_retries_max,
        "min_backoff": settings.webhook_backoff_min_ms,
        "max_backoff": settings.webhook_backoff_max_ms,
    }
    return [
        dramatiq.actor(actor_name=DELIVER, broker=broker, queue_name=QUEUE, **retry_policy)(
            deliver
        ),
        dramatiq.actor(actor_name=REPLAY, broker=broker, queue_name=QUEUE, **retry_policy)(replay),
    ]


def deliver_once(
    deliveries: WebhookDeliveries, broker: RedisBroker, delivery: Delivery, retries: int
) -> None:
    """Posts `delivery` once; raises dramatiq.Retry when the broker should try again."""
    result = deliveries.deliver(delivery, retries)
    if result.verdict is Verdict.DEFERRED:
        delay_ms = DEFER_MS + random.randint(0, DEFER_MS)
        message = delivery_message(delivery, retries=retries, fresh_id=True)
        broker.enqueue(message, delay=delay_ms)
    elif result.verdict is Verdict.RETRY:
        raise dramatiq.Retry(
            f"webhook {delivery.delivery_id} attempt {result.attempt}: {result.error}"
        )
    elif result.disabled_because is not None:
        log.warning(
            "disabled webhook endpoint %s: %s", delivery.endpoint_id, result.disabled_because
        )


def replay_page(
    deliveries: WebhookDeliveries, feed: FeedView, broker: RedisBroker, job: ReplayJob
) -> None:
    """Enqueues the deliveries of one page of a replay, then the next page."""
    wanted = deliveries.wanted_by(job.endpoint_id)
    if wanted is None:
        return  # the endpoint is no longer active: the replay ends
    read = feed.published_between(job.after, job.until, FeedFilter(types=wanted), REPLAY_PAGE_SIZE)
    for row in read.rows:
        delivery = Delivery(
            job.endpoint_id,
            delivery_id(job.endpoint_id, row.event_id, job.replay_id),
            row.position,
            row.event_id,
            row.envelope,
        )
        broker.enqueue(delivery_message(delivery))
    if read.scanned_to >= job.until:
        return
    following = ReplayJob(job.endpoint_id, job.replay_id, read.scanned_to, job.until)
    # Nothing new means the feed has not reached the replay's end yet: look again shortly.
    delay = None if read.scanned_to > job.after else REPLAY_WAIT_MS
    broker.enqueue(replay_message(following), delay=delay)
