"""AirTM's webhooks as Svix delivers them: signed, retried, and — when told to — misbehaving.

Each message is POSTed as `{"type": "payin.confirmed", "data": {…}}` with the headers `svix-id`
(the message id: the same on every retry and every duplicate), `svix-timestamp` (Unix seconds,
wall clock) and `svix-signature: v1,<base64 HMAC-SHA256>` computed by the `standardwebhooks`
library (Svix's own verifier is a thin wrapper over it). A non-2xx answer or no answer is retried
after each of RETRY_DELAYS_S, then the message is given up. Delivery faults come from the shared
fault registry, matched against `airtm-webhook POST <event type>`: `webhook_drop` never sends
the message, `webhook_duplicate` sends it twice, `webhook_reorder` holds it back until a later
message about the same payin or payout has been sent (or `delay_ms` passes).
"""

from __future__ import annotations

import base64
import hashlib
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Final

import httpx
import msgspec
from standardwebhooks.webhooks import Webhook

from sandbox.faults.fault_rules import DELIVERY_MODES, FaultRegistry

RETRY_DELAYS_S: Final = (0.25, 0.5, 1.0, 2.0, 4.0)
DELIVERY_TIMEOUT_S: Final = 5.0
REORDER_HOLD_S: Final = 3.0
# Delivered and given-up messages kept for the control API; the oldest are forgotten first.
MESSAGES_KEPT_MAX: Final = 10_000
WEBHOOK_ROUTE: Final = "airtm-webhook POST"
_JSON: Final = msgspec.json.Encoder(decimal_format="number")

PENDING: Final = "pending"
DELIVERED: Final = "delivered"
GIVEN_UP: Final = "given_up"
DROPPED: Final = "dropped"


@dataclass
class WebhookMessage:
    message_id: str
    event_type: str
    object_id: str
    body: bytes
    sequence: int
    due_at_s: float
    status: str = PENDING
    attempts: list[str] = field(default_factory=list)  # each answer: a status or an error
    held_for_later: bool = False
    hold_until_s: float = 0.0
    duplicate_after: bool = False
    is_duplicate: bool = False


class WebhookCourier:
    def __init__(
        self,
        secret: str,
        faults: FaultRegistry,
        seed: int,
        wall_clock_s: Callable[[], float] = time.time,
    ):
        self.secret = secret
        self.url: str | None = None
        self._signer = Webhook(secret)
        self._faults = faults
        self._seed = seed
        self._now = wall_clock_s
        self._lock = threading.Lock()
        self._messages: list[WebhookMessage] = []
        self._sequence = 0
        self._http = httpx.Client(timeout=DELIVERY_TIMEOUT_S)

    def close(self) -> None:
        self._http.close()

    def reset(self) -> None:
        with self._lock:
            self._messages.clear()

    def emit(self, event_type: str, object_id: str, data: dict[str, Any]) -> None:
        """Queues one webhook (called by the AirTM backend as a status changes)."""
        rule = self._faults.match(f"{WEBHOOK_ROUTE} {event_type}", DELIVERY_MODES)
        with self._lock:
            self._sequence += 1
            message = WebhookMessage(
                message_id=self._message_id(self._sequence),
                event_type=event_type,
                object_id=object_id,
                body=_JSON.encode({"type": event_type, "data": data}),
                sequence=self._sequence,
                due_at_s=self._now(),
            )
            if rule is not None and rule.mode == "webhook_drop":
                message.status = DROPPED
            elif rule is not None and rule.mode == "webhook_duplicate":
                message.duplicate_after = True
            elif rule is not None and rule.mode == "webhook_reorder":
                message.held_for_later = True
                message.hold_until_s = self._now() + (rule.delay_ms / 1000 or REORDER_HOLD_S)
            self._messages.append(message)
            self._forget_old()

    def deliver_due(self) -> int:
        """Sends every message that is due now; answers how many attempts were made."""
        attempts = 0
        while (message := self._next_due()) is not None:
            self._attempt(message)
            attempts += 1
        return attempts

    def deliveries(self) -> list[dict[str, Any]]:
        with self._lock:
            return [
                {
                    "id": m.message_id,
                    "type": m.event_type,
                    "objectId": m.object_id,
                    "status": m.status,
                    "attempts": list(m.attempts),
                    "duplicate": m.is_duplicate,
                }
                for m in self._messages
            ]

    def pending(self) -> int:
        with self._lock:
            return sum(1 for m in self._messages if m.status == PENDING)

    # -- internals -----------------------------------------------------------------------------

    def _next_due(self) -> WebhookMessage | None:
        with self._lock:
            if self.url is None:
                return None
            now = self._now()
            for message in self._messages:
                if message.status != PENDING or message.due_at_s > now:
                    continue
                if message.held_for_later and not self._released(message, now):
                    continue
                return message
            return None

    def _released(self, held: WebhookMessage, now: float) -> bool:
        """A held message goes once a later one about the same object has been attempted."""
        later_sent = any(
            m.object_id == held.object_id and m.sequence > held.sequence and m.attempts
            for m in self._messages
        )
        return later_sent or now >= held.hold_until_s

    def _attempt(self, message: WebhookMessage) -> None:
        sent_at = datetime.fromtimestamp(int(self._now()), tz=UTC)
        signature = self._signer.sign(message.message_id, sent_at, message.body.decode())
        headers = {
            "svix-id": message.message_id,
            "svix-timestamp": str(int(sent_at.timestamp())),
            "svix-signature": signature,
            "content-type": "application/json",
        }
        url = self.url
        try:
            assert url is not None
            answer = str(self._http.post(url, content=message.body, headers=headers).status_code)
        except httpx.HTTPError as error:
            answer = type(error).__name__
        with self._lock:
            message.attempts.append(answer)
            if answer.isdigit() and 200 <= int(answer) < 300:
                message.status = DELIVERED
                if message.duplicate_after:
                    self._messages.append(self._duplicate_of(message))
            elif len(message.attempts) > len(RETRY_DELAYS_S):
                message.status = GIVEN_UP
            else:
                message.due_at_s = self._now() + RETRY_DELAYS_S[len(message.attempts) - 1]

    def _duplicate_of(self, message: WebhookMessage) -> WebhookMessage:
        self._sequence += 1
        return WebhookMessage(
            message_id=message.message_id,
            event_type=message.event_type,
            object_id=message.object_id,
            body=message.body,
            sequence=self._sequence,
            due_at_s=self._now(),
            is_duplicate=True,
        )

    def _message_id(self, sequence: int) -> str:
        digest = hashlib.sha256(f"ledgerline-sandbox/{self._seed}/msg/{sequence}".encode())
        return "msg_" + digest.hexdigest()[:27]

    def _forget_old(self) -> None:
        excess = len(self._messages) - MESSAGES_KEPT_MAX
        if excess > 0:
            finished = [m for m in self._messages if m.status != PENDING][:excess]
            for message in finished:
                self._messages.remove(message)


def derived_webhook_secret(seed: int) -> str:
    """The sandbox's Svix signing secret when none is given: `whsec_` + base64 of 24 bytes."""
    key = hashlib.sha256(f"ledgerline-sandbox/{seed}/airtm-webhook".encode()).digest()[:24]
    return "whsec_" + base64.b64encode(key).decode()
