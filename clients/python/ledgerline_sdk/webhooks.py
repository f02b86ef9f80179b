"""Verifying the webhooks Ledgerline sends (Standard Webhooks): `webhook-signature` is
`v1,<base64 HMAC-SHA256(key, "{webhook-id}.{webhook-timestamp}.{raw body}")>` under the key in
the endpoint's `whsec_…` secret; the timestamp must be within `tolerance_s` of now.

    event = verify(request.body, request.headers, secret)   # raises WebhookVerificationError
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import time
from collections.abc import Mapping

import msgspec

from ledgerline_sdk.errors import WebhookVerificationError
from ledgerline_sdk.models import Event

SECRET_PREFIX = "whsec_"  # noqa: S105  (a format marker, not a secret)
TOLERANCE_S = 300


def _header(headers: Mapping[str, str], name: str) -> str:
    for key, value in headers.items():
        if key.lower() == name:
            return value
    raise WebhookVerificationError(f"the {name} header is missing")


def verify(
    payload: bytes | str,
    headers: Mapping[str, str],
    secret: str,
    *,
    tolerance_s: int = TOLERANCE_S,
    now_s: float | None = None,
) -> Event:
    """The delivered event, once its signature and timestamp verify."""
    body = payload.encode() if isinstance(payload, str) else payload
    webhook_id = _header(headers, "webhook-id")
    timestamp = _header(headers, "webhook-timestamp")
    signatures = _header(headers, "webhook-signature")
    if not timestamp.isdigit():
        raise WebhookVerificationError("webhook-timestamp is not a Unix time")
    now = time.time() if now_s is None else now_s
    if abs(now - int(timestamp)) > tolerance_s:
        raise WebhookVerificationError("webhook-timestamp is too far from now (a replay?)")
    try:
        key = base64.b64decode(secret.removeprefix(SECRET_PREFIX), validate=True)
    except binascii.Error:
        raise WebhookVerificationError("the secret is not a whsec_ secret") from None
    signed = f"{webhook_id}.{timestamp}.".encode() + body
    expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    for presented in signatures.split():
        version, _, signature = presented.partition(",")
        if version == "v1" and hmac.compare_digest(signature, expected):
            try:
                return msgspec.json.decode(body, type=Event)
            except msgspec.DecodeError as error:
                raise WebhookVerificationError(f"the body is not an event: {error}") from None
    raise WebhookVerificationError("no signature matches")
