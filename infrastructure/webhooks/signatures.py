"""Webhook signatures: Standard Webhooks for the ones we send, Trustless Work's for the ones we
receive.

Sent: `webhook-signature: v1,<base64 HMAC-SHA256(key, "{webhook-id}.{webhook-timestamp}.{body}")>`
where the key is the base64-decoded part of the endpoint's `whsec_…` secret. Received: header
`x-tw-signature` is the hex HMAC-SHA256 of the raw body under TRUSTLESS_WEBHOOK_SECRET, compared
in constant time; a missing or malformed header never verifies.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from typing import Final

from application.webhooks import secret_key

SIGNATURE_VERSION: Final = "v1"
TRUSTLESS_WORK_HEADER: Final = "x-tw-signature"
_HEX_SHA256_LENGTH: Final = 64


def standard_headers(secret: str, webhook_id: str, timestamp_s: int, body: bytes) -> dict[str, str]:
    """The Standard Webhooks headers for one delivery attempt of `body`."""
    signed = f"{webhook_id}.{timestamp_s}.".encode() + body
    digest = hmac.new(secret_key(secret), signed, hashlib.sha256).digest()
    return {
        "webhook-id": webhook_id,
        "webhook-timestamp": str(timestamp_s),
        "webhook-signature": f"{SIGNATURE_VERSION},{base64.b64encode(digest).decode()}",
        "content-type": "application/json",
    }


def trustless_work_signature_valid(secret: str, body: bytes, header: str | None) -> bool:
    if header is None:
        return False
    presented = header.strip().lower()
    if len(presented) != _HEX_SHA256_LENGTH:
        return False
    expected = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(presented.encode(), expected.encode())
