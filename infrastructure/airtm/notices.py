"""AirTM's webhooks, verified before anything reads them: Svix signatures, checked by the
`standardwebhooks` library (the verifier Svix's own package delegates to).

Svix signs `"{svix-id}.{svix-timestamp}.{raw body}"` with HMAC-SHA256 under the endpoint's
`whsec_…` secret and sends `svix-signature: v1,<base64>` (several, space-separated, while a secret
rotates). The timestamp must be within five minutes of now, so a captured delivery cannot be
replayed later; the id is the same on every retry, so it is the key a delivery is recorded once
by. There is no switch to skip any of this: a secret is required to start, and a body that does
not verify is refused whatever its contents.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, Final

from standardwebhooks.webhooks import Webhook

from application.payment_providers import NoticeRejectedError, ProviderNotice
from domain.errors import ProviderError
from infrastructure.airtm.documents import payin_from, payout_from

SVIX_HEADERS: Final = {
    "svix-id": "webhook-id",
    "svix-timestamp": "webhook-timestamp",
    "svix-signature": "webhook-signature",
}
NOTICE_ID_LENGTH_MAX: Final = 200


def verify_notice(
    secret: str, body: bytes, headers: Mapping[str, str], checkout_base_url: str
) -> ProviderNotice:
    lowered = {name.lower(): value for name, value in headers.items()}
    standard = {
        standard_name: lowered.get(svix_name) or lowered.get(standard_name, "")
        for svix_name, standard_name in SVIX_HEADERS.items()
    }
    notice_id = standard["webhook-id"]
    if not notice_id or len(notice_id) > NOTICE_ID_LENGTH_MAX:
        raise NoticeRejectedError("the webhook has no valid svix-id header")
    try:
        Webhook(secret).verify(body, standard, json_parse=False)
    except Exception as error:  # any malformed header or body is a refusal, never a 500
        raise NoticeRejectedError("the webhook signature does not verify") from error
    return _notice(notice_id, body, checkout_base_url)


def _notice(notice_id: str, body: bytes, checkout_base_url: str) -> ProviderNotice:
    try:
        document: Any = json.loads(body)
    except ValueError as error:
        raise ProviderError("AirTM sent a signed webhook that is not JSON") from error
    if not isinstance(document, dict):
        raise ProviderError("AirTM sent a signed webhook that is not a JSON object")
    # V2 sends {type, data}; OFFER-HUB's client expected {eventType, data}.
    event_type = str(document.get("type") or document.get("eventType") or "")[:100]
    data = document.get("data")
    if not isinstance(data, dict):
        return ProviderNotice(notice_id, event_type)
    if event_type.startswith("payin."):
        return ProviderNotice(notice_id, event_type, payin=payin_from(data, checkout_base_url))
    if event_type.startswith("payout."):
        return ProviderNotice(notice_id, event_type, payout=payout_from(data))
    return ProviderNotice(notice_id, event_type)
