"""Dramatiq actors for outgoing webhooks: deliver one event to one endpoint, and page a replay.

Declared against a given broker and services, like the saga actors (declare_actors calls this),
with their own bounded retry policy from the WEBHOOK_* settings.
"""

from __future__ import annotations

from typing import Any

import dramatiq
from dramatiq.brokers.redis import RedisBroker
from dramatiq.middleware import CurrentMessage

from infrastructure.webhooks.sender import WebhookSender
from interfaces.bootstrap import Services
from interfaces.workers.webhook_courier import WebhookCourier
from interfaces.workers.webhook_messages import DELIVER, QUEUE, REPLAY, DeliveryJob, ReplayJob


def declare_webhook_actors(
    broker: RedisBroker, services: Services
) -> list[dramatiq.Actor[Any, Any]]:
    settings = services.settings
    courier = WebhookCourier(
        services,
        broker,
        WebhookSender(
            settings.webhook_timeout_ms / 1000,
            private_targets_allowed=settings.webhook_private_targets_allowed,
        ),
    )

    def deliver(
        endpoint_id: str, delivery_id: str, position: int, event_id: str, body: str
    ) -> None:
        message = CurrentMessage.get_current_message()
        retries = int(message.options.get("retries", 0)) if message is not None else 0
        courier.deliver(DeliveryJob(endpoint_id, delivery_id, position, event_id, body), retries)

    def replay(endpoint_id: str, replay_id: str, after: int, until: int) -> None:
        courier.replay(ReplayJob(endpoint_id, replay_id, after, until))

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
