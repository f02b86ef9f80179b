"""The outward channels of the log, composed: feed reads, the audit log, webhook endpoints and
their deliveries, incoming webhooks, SSE connection slots and the feed's announcer.

Built once by the composition root (`bootstrap.build_services`) and reached as
`services.channels`; nothing here opens a connection of its own.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import redis

from application.incoming_webhooks import IncomingWebhooks
from application.ledger import Ledger
from application.webhooks import WebhookEndpoints
from infrastructure.redis.feed_channel import FeedAnnouncer
from infrastructure.redis.slots import Slots
from infrastructure.stellar.vault import VaultKey
from infrastructure.webhooks.deliveries import DeliveryLog
from infrastructure.webhooks.secrets import SealedWebhookSecrets
from interfaces.settings import Settings
from projections.event_feed.audit_log import AuditLogView
from projections.event_feed.view import FeedView
from projections.webhook_endpoints.view import WebhookEndpointsView


@dataclass(frozen=True)
class EventChannels:
    feed: FeedView
    audit_log: AuditLogView
    endpoints: WebhookEndpointsView
    webhooks: WebhookEndpoints
    incoming: IncomingWebhooks
    deliveries: DeliveryLog
    slots: Slots
    announcer: FeedAnnouncer
    # None without WALLET_ENCRYPTION_KEY (endpoints then cannot be registered).
    secrets: SealedWebhookSecrets | None


def build_event_channels(
    settings: Settings, pool: Any, ledger: Ledger, cache: redis.Redis
) -> EventChannels:
    secrets = None
    if settings.wallet_encryption_key:
        secrets = SealedWebhookSecrets(
            pool,
            VaultKey.from_hex(settings.wallet_encryption_key),
            [VaultKey.from_hex(k) for k in settings.wallet_encryption_keys_previous],
        )
    namespace = settings.broker_namespace
    return EventChannels(
        feed=FeedView(pool),
        audit_log=AuditLogView(pool),
        endpoints=WebhookEndpointsView(pool),
        webhooks=WebhookEndpoints(
            ledger,
            secrets,
            ledger.head_position,
            private_targets_allowed=settings.webhook_private_targets_allowed,
        ),
        incoming=IncomingWebhooks(ledger),
        deliveries=DeliveryLog(pool),
        slots=Slots(cache, namespace),
        announcer=FeedAnnouncer(cache, namespace),
        secrets=secrets,
    )
