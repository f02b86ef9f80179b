"""Use case: record a provider's webhook once, whatever how often the provider sends it.

Verifying the signature is the edge's job (it holds the raw body); this records the notification
as an event under an id derived from the provider's event id, so a retried delivery is reported
as a duplicate instead of being recorded twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from application.context import CommandContext
from application.ledger import Ledger
from domain.incoming_webhooks import IncomingWebhook, check_notification, incoming_webhook_id_for


@dataclass(frozen=True, slots=True)
class Receipt:
    webhook_id: str
    duplicate: bool
    position: int | None


class IncomingWebhooks:
    def __init__(self, ledger: Ledger) -> None:
        self._ledger = ledger

    def record(
        self,
        source: str,
        event_id: Any,
        event_type: Any,
        payload: dict[str, Any],
        body_sha256: str,
        context: CommandContext,
    ) -> Receipt:
        check_notification(event_id, event_type)
        webhook_uuid = incoming_webhook_id_for(source, event_id)

        def record_once() -> Receipt:
            existing = self._ledger.get(IncomingWebhook, webhook_uuid)
            if existing is not None:
                return Receipt(existing.public_id, duplicate=True, position=None)
            received = IncomingWebhook(
                source=source,
                event_id=event_id,
                event_type=event_type,
                payload=payload,
                body_sha256=body_sha256,
            )
            return self._ledger.commit(
                received,
                context=context,
                outcome=lambda p: Receipt(received.public_id, duplicate=False, position=p),
            )

        return self._ledger.run(record_once, touching=[webhook_uuid])
